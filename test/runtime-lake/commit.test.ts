import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commitId, canonicalJson } from "../../runtime/lake/commit-id.js";
import {
  BranchMovedError,
  CommitNotFoundError,
  CorruptLakeError,
  InvalidNameError,
  InvalidTableEntryError,
  UnknownRefError,
  UnknownTableError,
} from "../../runtime/lake/errors.js";
import { Lake, defaultAuthor } from "../../runtime/lake/lake.js";
import { cleanupTemp, fakeEntry, snapshotTree, tempDir } from "./helpers.js";

afterAll(cleanupTemp);

describe("empty lake", () => {
  it("reads as having no tables and creates nothing", async () => {
    const root = path.join(tempDir(), "lake");
    const lake = Lake.open(root);
    expect(lake.root).toBe(root);
    expect(await lake.head()).toBeNull();
    expect(await lake.headId()).toBeNull();
    expect(await lake.resolve("main")).toBeNull();
    expect(await lake.tables()).toEqual({});
    expect(lake.dataFileLocation("data/t/x.parquet")).toBe(path.join(root, "data", "t", "x.parquet"));
    expect(existsSync(root)).toBe(false);
  });

  it("rejects unknown branches and commits", async () => {
    const lake = Lake.open(tempDir());
    await expect(lake.resolve("dev")).rejects.toBeInstanceOf(UnknownRefError);
    await expect(lake.resolve("a".repeat(64))).rejects.toBeInstanceOf(CommitNotFoundError);
    await expect(lake.readCommit("nope")).rejects.toBeInstanceOf(UnknownRefError);
    await expect(lake.resolve("../etc")).rejects.toBeInstanceOf(UnknownRefError);
  });
});

describe("commit chain", () => {
  it("links parents, hashes content, and snapshots every table", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const a = fakeEntry(lake, "a");
    const c1 = await lake.commit({ expectedHead: null, message: "first", author: "tester", put: { a } });
    expect(c1.parents).toEqual([]);
    expect(c1.author).toBe("tester");
    expect(c1.message).toBe("first");
    expect(new Date(c1.time).toISOString()).toBe(c1.time);
    expect(c1.tables).toEqual({ a });
    expect((await fs.readFile(path.join(root, "refs/branches/main"), "utf8")).trim()).toBe(c1.id);

    const b = fakeEntry(lake, "b", 5);
    const c2 = await lake.commit({ expectedHead: c1.id, message: "second", put: { b } });
    expect(c2.parents).toEqual([c1.id]);
    expect(Object.keys(c2.tables).sort()).toEqual(["a", "b"]);
    expect(c2.tables["a"]).toEqual(a);

    const a2 = fakeEntry(lake, "a", 7);
    const c3 = await lake.commit({ expectedHead: c2.id, message: "third", put: { a: a2 }, drop: ["b"] });
    expect(c3.parents).toEqual([c2.id]);
    expect(c3.tables).toEqual({ a: a2 });

    // ids are content hashes: recomputing gives the same id, and it is the file name
    for (const c of [c1, c2, c3]) {
      const { id, ...body } = c;
      expect(commitId(body)).toBe(id);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const stored = await fs.readFile(path.join(root, "commits", `${id}.json`), "utf8");
      expect(stored).toBe(`${canonicalJson(c)}\n`);
    }
    expect(new Set([c1.id, c2.id, c3.id]).size).toBe(3);

    // a fresh Lake object (no cache) reads the same history
    const again = Lake.open(root);
    expect(await again.head()).toEqual(c3);
    expect(await again.readCommit(c1.id)).toEqual(c1);
    expect(await again.resolve(c2.id)).toEqual(c2);
    expect(await again.tables(c2.id)).toEqual(c2.tables);
    expect(await again.tables()).toEqual({ a: a2 });

    // walk the chain back to the root
    const chain: string[] = [];
    let cur = await again.head();
    while (cur) {
      chain.push(cur.message);
      const parent = cur.parents[0];
      cur = parent === undefined ? null : await again.readCommit(parent);
    }
    expect(chain).toEqual(["third", "second", "first"]);
  });

  it("does not let callers corrupt cached commits", async () => {
    const lake = Lake.open(tempDir());
    const c = await lake.commit({ expectedHead: null, message: "m", put: { a: fakeEntry(lake, "a") } });
    c.tables = {};
    const h = await lake.head();
    h!.message = "changed";
    expect((await lake.head())!.tables["a"]).toBeDefined();
    expect((await lake.head())!.message).toBe("m");
  });

  it("uses defaultAuthor() when no author is given", async () => {
    expect(defaultAuthor()).not.toBe("");
    const lake = Lake.open(tempDir());
    const c = await lake.commit({ expectedHead: null, message: "m" });
    expect(c.author).toBe(defaultAuthor());
    expect(c.tables).toEqual({});
  });

  it("detects a modified commit object", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const c = await lake.commit({ expectedHead: null, message: "original", put: { a: fakeEntry(lake, "a") } });
    const file = path.join(root, "commits", `${c.id}.json`);
    await fs.writeFile(file, (await fs.readFile(file, "utf8")).replace("original", "tampered"));
    await expect(Lake.open(root).head()).rejects.toBeInstanceOf(CorruptLakeError);
    await fs.writeFile(file, "{not json");
    await expect(Lake.open(root).readCommit(c.id)).rejects.toBeInstanceOf(CorruptLakeError);
  });
});

describe("commit validation leaves the catalog untouched", () => {
  async function expectUntouched(root: string, action: () => Promise<unknown>, error: unknown): Promise<void> {
    const before = await snapshotTree(root);
    await expect(action()).rejects.toBeInstanceOf(error);
    expect(await snapshotTree(root)).toEqual(before);
  }

  it("refuses bad entries, names and drops", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const a = fakeEntry(lake, "a");
    const c1 = await lake.commit({ expectedHead: null, message: "first", put: { a } });
    const ok = fakeEntry(lake, "b");
    const head = c1.id;

    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { "bad-name": ok } }), InvalidNameError);
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", drop: ["zzz"] }), UnknownTableError);
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { a: ok }, drop: ["a"] }), InvalidTableEntryError);
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { b: { ...ok, rows: 99 } } }), InvalidTableEntryError);
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { b: { ...ok, schema: [] } } }), InvalidTableEntryError);
    const missing = { ...ok, files: [{ path: "data/b/missing.parquet", rows: 3, bytes: ok.bytes }] };
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { b: missing } }), InvalidTableEntryError);
    const wrongSize = { ...ok, bytes: ok.bytes + 1, files: [{ ...ok.files[0]!, bytes: ok.bytes + 1 }] };
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { b: wrongSize } }), InvalidTableEntryError);
    const escape = { ...ok, files: [{ ...ok.files[0]!, path: "data/../refs/branches/main" }] };
    await expectUntouched(root, () => lake.commit({ expectedHead: head, message: "x", put: { b: escape } }), InvalidTableEntryError);
    await expectUntouched(root, () => lake.commit({ branch: "x/../../y", expectedHead: head, message: "x" }), InvalidNameError);
    expect((await lake.head())!.id).toBe(head);
  });

  it("a failed compare-and-swap changes nothing and says where the branch is", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const c1 = await lake.commit({ expectedHead: null, message: "first", put: { a: fakeEntry(lake, "a") } });
    const c2 = await lake.commit({ expectedHead: c1.id, message: "second" });
    const b = fakeEntry(lake, "b");
    const before = await snapshotTree(root);
    const err = await lake.commit({ expectedHead: c1.id, message: "stale", put: { b } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BranchMovedError);
    const moved = err as BranchMovedError;
    expect(moved.code).toBe("branch-moved");
    expect(moved.branch).toBe("main");
    expect(moved.expected).toBe(c1.id);
    expect(moved.actual).toBe(c2.id);
    expect(moved.message).toBe(`branch main moved from ${c1.id} to ${c2.id}; re-run`);
    expect(await snapshotTree(root)).toEqual(before);

    // expecting an empty branch when it has commits
    const err2 = await lake.commit({ expectedHead: null, message: "x" }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(BranchMovedError);
    expect((err2 as BranchMovedError).message).toBe(`branch main moved from (empty) to ${c2.id}; re-run`);
    expect(await snapshotTree(root)).toEqual(before);
  });
});

describe("branches", () => {
  it("keeps heads per branch (creation by committing on an absent branch)", async () => {
    const lake = Lake.open(tempDir());
    const m = await lake.commit({ expectedHead: null, message: "main" });
    const d = await lake.commit({ branch: "dev.feature-1", expectedHead: null, message: "dev" });
    expect((await lake.head())!.id).toBe(m.id);
    expect((await lake.head("dev.feature-1"))!.id).toBe(d.id);
    expect((await lake.resolve("dev.feature-1"))!.id).toBe(d.id);
    await expect(lake.commit({ branch: "a".repeat(64), expectedHead: null, message: "x" })).rejects.toBeInstanceOf(InvalidNameError);
  });
});
