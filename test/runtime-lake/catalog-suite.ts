/**
 * The catalog's behaviour (branches, tags, ref resolution, time travel, log, diff, merge, CAS) as
 * one suite over any `LakeStorage`: `catalogSuite("local", factory)` here, and the same suite against
 * the S3 backend. Everything goes through `Lake` on the given storage; data files are written with
 * `storage.putIfAbsent` (the catalog never reads their content).
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { commitId } from "../../runtime/lake/commit-id.js";
import {
  AmbiguousRefError,
  BranchMovedError,
  InvalidNameError,
  MergeConflictError,
  RefExistsError,
  RefusedError,
  UnknownRefError,
} from "../../runtime/lake/errors.js";
import { Lake } from "../../runtime/lake/lake.js";
import type { LakeStorage } from "../../runtime/lake/storage.js";
import type { TableEntry } from "../../runtime/lake/types.js";

export interface CatalogFixture {
  readonly storage: LakeStorage;
  /** Called once after the suite (remove folders, buckets...). */
  readonly cleanup?: () => Promise<void> | void;
}

/** A fresh, empty storage per call. */
export type StorageFactory = () => Promise<CatalogFixture> | CatalogFixture;

/** A lake on fresh storage with a clock the test moves (`at(iso)`). */
interface TestLake {
  lake: Lake;
  storage: LakeStorage;
  at(iso: string): void;
  entry(table: string, rows?: number): Promise<TableEntry>;
}

export function catalogSuite(name: string, factory: StorageFactory): void {
  const fixtures: CatalogFixture[] = [];
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup?.();
  });

  async function fresh(): Promise<TestLake> {
    const fixture = await factory();
    fixtures.push(fixture);
    let now = Date.parse("2026-11-20T12:00:00Z");
    const lake = new Lake(fixture.storage, { now: () => new Date(now) });
    return {
      lake,
      storage: fixture.storage,
      at(iso: string) {
        now = Date.parse(iso);
      },
      async entry(table: string, rows = 3): Promise<TableEntry> {
        const p = `data/${table}/${randomUUID()}.parquet`;
        const bytes = Buffer.from(`fake ${table} ${rows} ${randomUUID()}`);
        expect(await fixture.storage.putIfAbsent(p, bytes)).toBe(true);
        return { schema: [{ name: "id", type: "BIGINT" }], rows, bytes: bytes.length, files: [{ path: p, rows, bytes: bytes.length }] };
      },
    };
  }

  /** main: c1 (a:1 row) -> c2 (+b) -> c3 (a:3 rows), at 13:00, 14:00 and 15:00 UTC. */
  async function threeCommits(t: TestLake) {
    t.at("2026-11-20T13:00:00Z");
    const c1 = await t.lake.commit({ expectedHead: null, message: "c1", author: "t", put: { a: await t.entry("a", 1) } });
    t.at("2026-11-20T14:00:00Z");
    const c2 = await t.lake.commit({ expectedHead: c1.id, message: "c2", author: "t", put: { b: await t.entry("b", 2) } });
    t.at("2026-11-20T15:00:00Z");
    const c3 = await t.lake.commit({ expectedHead: c2.id, message: "c3", author: "t", put: { a: await t.entry("a", 3) } });
    return { c1, c2, c3 };
  }

  describe(`catalog (${name})`, () => {
    describe("tags", () => {
      it("keep pointing at the old commit after main moved on, and never move", async () => {
        const t = await fresh();
        const { c1, c2, c3 } = await threeCommits(t);
        expect((await t.lake.createTag("friday", c1.id)).id).toBe(c1.id);
        await t.lake.createTag("latest");
        expect((await t.lake.resolve("friday"))?.id).toBe(c1.id);
        expect((await t.lake.tables("friday"))["a"]?.rows).toBe(1);
        expect((await t.lake.tables("latest"))["a"]?.rows).toBe(3);
        expect(await t.lake.tags()).toEqual([
          { name: "friday", commit: c1.id },
          { name: "latest", commit: c3.id },
        ]);
        await expect(t.lake.createTag("friday", c2.id)).rejects.toBeInstanceOf(RefExistsError);
        expect((await t.lake.resolveRef("friday")).kind).toBe("tag");
        expect((await t.lake.resolve("friday"))?.id).toBe(c1.id);
      });

      it("refuse unknown refs, bad names and names of branches", async () => {
        const t = await fresh();
        await threeCommits(t);
        await expect(t.lake.createTag("x", "nope")).rejects.toBeInstanceOf(UnknownRefError);
        await expect(t.lake.createTag("bad/name")).rejects.toBeInstanceOf(InvalidNameError);
        await expect(t.lake.createTag("main")).rejects.toBeInstanceOf(RefExistsError);
      });
    });

    describe("branches", () => {
      it("are created from a ref, listed, moved independently and deleted", async () => {
        const t = await fresh();
        const { c2, c3 } = await threeCommits(t);
        expect((await t.lake.createBranch("dev")).id).toBe(c3.id);
        expect((await t.lake.createBranch("old", c2.id.slice(0, 8))).id).toBe(c2.id);
        await expect(t.lake.createBranch("dev")).rejects.toBeInstanceOf(RefExistsError);
        await expect(t.lake.createBranch("x", "nope")).rejects.toBeInstanceOf(UnknownRefError);
        const d1 = await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "on dev", author: "t", put: { c: await t.entry("c") } });
        expect(await t.lake.headId("main")).toBe(c3.id);
        expect(await t.lake.branches()).toEqual([
          { name: "dev", commit: d1.id },
          { name: "main", commit: c3.id },
          { name: "old", commit: c2.id },
        ]);
        expect(await t.lake.deleteBranch("old")).toBe(c2.id);
        expect((await t.lake.branches()).map((b) => b.name)).toEqual(["dev", "main"]);
        await expect(t.lake.resolve("old")).rejects.toBeInstanceOf(UnknownRefError);
      });

      it("refuse deleting the default branch or an unknown branch, and branching from an empty lake", async () => {
        const t = await fresh();
        await expect(t.lake.createBranch("dev")).rejects.toBeInstanceOf(RefusedError);
        await threeCommits(t);
        await expect(t.lake.deleteBranch("main")).rejects.toBeInstanceOf(RefusedError);
        await expect(t.lake.deleteBranch("prod", ["prod"])).rejects.toBeInstanceOf(RefusedError);
        await expect(t.lake.deleteBranch("ghost")).rejects.toBeInstanceOf(UnknownRefError);
      });

      it("one of two concurrent creations of the same branch wins", async () => {
        const t = await fresh();
        await threeCommits(t);
        const results = await Promise.allSettled([t.lake.createBranch("race"), t.lake.createBranch("race")]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(RefExistsError);
      });
    });

    describe("ref resolution", () => {
      it("reads full ids, unique prefixes of at least 4 hex digits, and refuses shorter ones", async () => {
        const t = await fresh();
        const { c1, c2 } = await threeCommits(t);
        expect((await t.lake.resolveRef(c1.id)).kind).toBe("commit");
        expect((await t.lake.resolve(c2.id.slice(0, 12)))?.id).toBe(c2.id);
        expect((await t.lake.resolveRef(c2.id.slice(0, 12))).name).toBe(c2.id);
        await expect(t.lake.resolve(c2.id.slice(0, 3))).rejects.toBeInstanceOf(UnknownRefError);
        await expect(t.lake.resolve("0000000")).rejects.toThrow(/unknown ref "0000000"/);
      });

      it("lists every candidate of an ambiguous prefix", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        await t.lake.createBranch("x");
        await t.lake.createBranch("y");
        t.at("2026-11-20T16:00:00Z");
        const e = await t.entry("z");
        const time = "2026-11-20T16:00:00.000Z";
        const id = (message: string) => commitId({ parents: [c3.id], time, message, author: "t", tables: { ...c3.tables, z: e } });
        // Two messages whose commits share the first 4 hex digits (found by hashing, no I/O).
        const seen = new Map<string, string>();
        let pair: [string, string] | null = null;
        for (let i = 0; pair === null; i++) {
          const m = `m${i}`;
          const p = id(m).slice(0, 4);
          const other = seen.get(p);
          if (other !== undefined) pair = [other, m];
          else seen.set(p, m);
        }
        const a = await t.lake.commit({ branch: "x", expectedHead: c3.id, message: pair[0], author: "t", put: { z: e } });
        const b = await t.lake.commit({ branch: "y", expectedHead: c3.id, message: pair[1], author: "t", put: { z: e } });
        const prefix = a.id.slice(0, 4);
        expect(b.id.slice(0, 4)).toBe(prefix);
        const err = await t.lake.resolve(prefix).catch((x: unknown) => x);
        expect(err).toBeInstanceOf(AmbiguousRefError);
        expect((err as AmbiguousRefError).candidates).toEqual([a.id, b.id].sort());
        expect((err as Error).message).toContain(a.id);
        expect((err as Error).message).toContain(b.id);
        const longer = a.id.slice(0, a.id.split("").findIndex((ch, i) => ch !== b.id[i]) + 1);
        expect((await t.lake.resolve(longer))?.id).toBe(a.id);
      });

      it("reads branch@time along first parents, a time without zone being UTC", async () => {
        const t = await fresh();
        const { c1, c2, c3 } = await threeCommits(t);
        expect((await t.lake.resolve("main@2026-11-20T13:30"))?.id).toBe(c1.id);
        expect((await t.lake.resolve("main@2026-11-20T14:00"))?.id).toBe(c2.id);
        expect((await t.lake.resolve("main@2026-11-20T14:59:59"))?.id).toBe(c2.id);
        expect((await t.lake.resolve("main@2026-11-20T15:30+01:00"))?.id).toBe(c2.id);
        expect((await t.lake.resolve("main@2026-11-21"))?.id).toBe(c3.id);
        expect((await t.lake.resolveRef("main@2026-11-21")).kind).toBe("time");
        await expect(t.lake.resolve("main@2026-11-20T12:00")).rejects.toThrow(/no commit at or before 2026-11-20T12:00:00.000Z/);
        await expect(t.lake.resolve("main@yesterday")).rejects.toThrow(/not a time/);
        await expect(t.lake.resolve("main@2026-02-31")).rejects.toBeInstanceOf(UnknownRefError);
        await expect(t.lake.resolve("ghost@2026-11-21")).rejects.toBeInstanceOf(UnknownRefError);
      });

      it("branch@time is where the head pointed then, also across a fast-forward and a deletion", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        t.at("2026-11-20T15:10:00Z");
        await t.lake.createBranch("dev");
        t.at("2026-11-20T15:20:00Z");
        const onDev = await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "dev", author: "t", put: { d: await t.entry("d") } });
        t.at("2026-11-20T16:00:00Z");
        expect((await t.lake.merge({ from: "dev", into: "main" })).kind).toBe("fast-forward");
        // dev's commit is older than the fast-forward: main did not point to it before 16:00
        expect((await t.lake.resolve("main@2026-11-20T15:30"))?.id).toBe(c3.id);
        expect((await t.lake.resolve("main@2026-11-20T16:00"))?.id).toBe(onDev.id);
        expect((await t.lake.resolve("dev@2026-11-20T15:15"))?.id).toBe(c3.id);
        t.at("2026-11-20T17:00:00Z");
        await t.lake.deleteBranch("dev");
        await expect(t.lake.resolve("dev@2026-11-20T17:30")).rejects.toThrow(/branch dev did not exist at 2026-11-20T17:30:00.000Z/);
        expect((await t.lake.resolve("dev@2026-11-20T16:30"))?.id).toBe(onDev.id);
      });
    });

    describe("log and diff", () => {
      it("walks first parents, newest first, optionally only where a table changed", async () => {
        const t = await fresh();
        const { c1, c2, c3 } = await threeCommits(t);
        expect((await t.lake.log()).map((c) => c.id)).toEqual([c3.id, c2.id, c1.id]);
        expect((await t.lake.log("main", { limit: 2 })).map((c) => c.id)).toEqual([c3.id, c2.id]);
        expect((await t.lake.log("main", { table: "a" })).map((c) => c.id)).toEqual([c3.id, c1.id]);
        expect((await t.lake.log("main", { table: "b" })).map((c) => c.id)).toEqual([c2.id]);
        expect((await t.lake.log(c2.id, { table: "a" })).map((c) => c.id)).toEqual([c1.id]);
        const c4 = await t.lake.commit({ expectedHead: c3.id, message: "drop b", author: "t", drop: ["b"] });
        expect((await t.lake.log("main", { table: "b" })).map((c) => c.id)).toEqual([c4.id, c2.id]);
      });

      it("diffs two refs: tables added, removed and changed with row counts", async () => {
        const t = await fresh();
        const { c1, c3 } = await threeCommits(t);
        await t.lake.createTag("v1", c1.id);
        const d = await t.lake.diff("v1", "main");
        expect(d).toEqual({ from: c1.id, to: c3.id, added: [{ table: "b", rows: 2 }], removed: [], changed: [{ table: "a", rowsBefore: 1, rowsAfter: 3, schemaChanged: false }] });
        const back = await t.lake.diff("main", "v1");
        expect(back.removed).toEqual([{ table: "b", rows: 2 }]);
        expect((await t.lake.diff("main", c3.id.slice(0, 6))).changed).toEqual([]);
      });
    });

    describe("merge", () => {
      it("fast-forwards when the target is behind, does nothing when up to date", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        await t.lake.createBranch("dev");
        const d1 = await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "d1", author: "t", put: { c: await t.entry("c") } });
        const r = await t.lake.merge({ from: "dev", into: "main" });
        expect(r.kind).toBe("fast-forward");
        expect(await t.lake.headId("main")).toBe(d1.id);
        const again = await t.lake.merge({ from: "dev", into: "main" });
        expect(again.kind).toBe("up-to-date");
        expect((await t.lake.merge({ from: c3.id, into: "main" })).kind).toBe("up-to-date");
        expect(await t.lake.headId("main")).toBe(d1.id);
      });

      it("merges three-way at table granularity with a two-parent commit", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        await t.lake.createBranch("dev");
        t.at("2026-11-20T16:00:00Z");
        const onDev = await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "dev: a", author: "t", put: { a: await t.entry("a", 10) } });
        const onMain = await t.lake.commit({ expectedHead: c3.id, message: "main: b, c", author: "t", put: { b: await t.entry("b", 20), c: await t.entry("c", 5) } });
        t.at("2026-11-20T17:00:00Z");
        const r = await t.lake.merge({ from: "dev", into: "main", author: "t" });
        expect(r.kind).toBe("merge");
        expect(r.mergeBase).toBe(c3.id);
        expect(r.commit.parents).toEqual([onMain.id, onDev.id]);
        expect(r.commit.message).toBe("merge dev into main");
        expect(r.commit.tables["a"]).toEqual(onDev.tables["a"]);
        expect(r.commit.tables["b"]).toEqual(onMain.tables["b"]);
        expect(r.commit.tables["c"]).toEqual(onMain.tables["c"]);
        expect(await t.lake.headId("main")).toBe(r.commit.id);
        expect(await t.lake.headId("dev")).toBe(onDev.id);
        // first-parent log stays on main's line
        expect((await t.lake.log()).map((c) => c.message)).toEqual(["merge dev into main", "main: b, c", "c3", "c2", "c1"]);
        // merging main back into dev is now a fast-forward
        expect((await t.lake.merge({ from: "main", into: "dev" })).kind).toBe("fast-forward");
      });

      it("takes a table removed on one side", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        await t.lake.createBranch("dev");
        await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "drop b", author: "t", drop: ["b"] });
        await t.lake.commit({ expectedHead: c3.id, message: "c", author: "t", put: { c: await t.entry("c") } });
        const r = await t.lake.merge({ from: "dev", into: "main" });
        expect(Object.keys(r.commit.tables).sort()).toEqual(["a", "c"]);
      });

      it("refuses when both sides changed a table, naming it, and moves nothing", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        await t.lake.createBranch("dev");
        await t.lake.commit({ branch: "dev", expectedHead: c3.id, message: "dev", author: "t", put: { a: await t.entry("a", 7), c: await t.entry("c") } });
        const m = await t.lake.commit({ expectedHead: c3.id, message: "main", author: "t", put: { a: await t.entry("a", 8), b: await t.entry("b", 1) } });
        const err = await t.lake.merge({ from: "dev", into: "main" }).catch((x: unknown) => x);
        expect(err).toBeInstanceOf(MergeConflictError);
        expect((err as MergeConflictError).tables).toEqual(["a"]);
        expect((err as Error).message).toMatch(/both sides changed table a /);
        expect(await t.lake.headId("main")).toBe(m.id);
      });

      it("refuses an unknown source or target", async () => {
        const t = await fresh();
        await threeCommits(t);
        await expect(t.lake.merge({ from: "ghost", into: "main" })).rejects.toBeInstanceOf(UnknownRefError);
        await expect(t.lake.merge({ from: "main", into: "ghost" })).rejects.toBeInstanceOf(UnknownRefError);
      });
    });

    describe("compare-and-swap of heads", () => {
      it("moveBranch moves only from the expected head", async () => {
        const t = await fresh();
        const { c1, c2, c3 } = await threeCommits(t);
        await t.lake.createBranch("run", c1.id);
        await expect(t.lake.moveBranch("run", c2.id, c3.id)).rejects.toBeInstanceOf(BranchMovedError);
        await t.lake.moveBranch("run", c1.id, c3.id);
        expect(await t.lake.headId("run")).toBe(c3.id);
        await t.lake.moveBranch("fresh", null, c2.id);
        expect(await t.lake.headId("fresh")).toBe(c2.id);
      });

      it("of concurrent commits on one head exactly one wins and none is lost", async () => {
        const t = await fresh();
        const { c3 } = await threeCommits(t);
        const entries = await Promise.all([1, 2, 3, 4].map((i) => t.entry(`t${i}`)));
        const results = await Promise.allSettled(
          entries.map((e, i) => t.lake.commit({ expectedHead: c3.id, message: `w${i}`, author: "t", put: { [`t${i + 1}`]: e } })),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(BranchMovedError);
        expect(await t.lake.headId()).toBe((won[0] as PromiseFulfilledResult<{ id: string }>).value.id);
      });
    });
  });
}
