import { spawn } from "node:child_process";
import { existsSync, promises as fs, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { commitId, canonicalJson } from "../../runtime/lake/commit-id.js";
import { BranchMovedError } from "../../runtime/lake/errors.js";
import { Lake } from "../../runtime/lake/lake.js";
import type { Commit } from "../../runtime/lake/types.js";
import { cleanupTemp, fakeEntry, snapshotTree, tempDir } from "./helpers.js";

afterAll(cleanupTemp);

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const distLake = path.join(repo, "dist/runtime/lake/lake.js");

/** Checks that everything reachable from the head is intact: commits verify, data files exist. */
async function checkConsistent(root: string): Promise<number> {
  const lake = Lake.open(root);
  let cur = await lake.head();
  let n = 0;
  while (cur) {
    n++;
    for (const t of Object.values(cur.tables)) {
      for (const f of t.files) expect((await fs.stat(path.join(root, f.path))).size).toBe(f.bytes);
    }
    const p = cur.parents[0];
    cur = p === undefined ? null : await lake.readCommit(p);
  }
  return n;
}

describe("concurrent commits", () => {
  it("in one process: exactly one of many commits on the same head wins", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const base = await lake.commit({ expectedHead: null, message: "base", put: { a: fakeEntry(lake, "a") } });
    const attempts = Array.from({ length: 12 }, (_, i) =>
      // separate Lake objects, as separate commands would have
      Lake.open(root).commit({ expectedHead: base.id, message: `attempt ${i}`, put: { [`t${i}`]: fakeEntry(lake, `t${i}`) } }),
    );
    const settled = await Promise.allSettled(attempts);
    const won = settled.filter((s): s is PromiseFulfilledResult<Commit> => s.status === "fulfilled");
    const lost = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(11);
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(BranchMovedError);
      expect((l.reason as BranchMovedError).actual).toBe(won[0]!.value.id);
    }
    const head = await Lake.open(root).head();
    expect(head!.id).toBe(won[0]!.value.id);
    expect(head!.parents).toEqual([base.id]);
    expect(existsSync(path.join(root, "refs/branches/main.lock"))).toBe(false);
    expect(existsSync(path.join(root, "refs/branches/main.tmp"))).toBe(false);
  });

  it("across processes: exactly one of many commits on the same head wins", async () => {
    expect(existsSync(distLake), "global setup builds dist/").toBe(true);
    const root = tempDir();
    const lake = Lake.open(root);
    const base = await lake.commit({ expectedHead: null, message: "base" });
    const go = path.join(root, "go");
    const script = `
      import { existsSync } from "node:fs";
      const { Lake } = await import(${JSON.stringify(pathToFileURL(distLake).href)});
      const [root, head, i, go] = process.argv.slice(1);
      const lake = Lake.open(root);
      while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
      try {
        const c = await lake.commit({ expectedHead: head, message: "process " + i, author: "p" + i });
        process.stdout.write("won " + c.id);
      } catch (e) {
        process.stdout.write(e.name + " " + e.actual);
      }`;
    const n = 8;
    const children = Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, root, base.id, String(i), go], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      return new Promise<string>((resolve) => child.on("close", () => resolve(out || err)));
    });
    await new Promise((r) => setTimeout(r, 500)); // let them all load and wait
    writeFileSync(go, "");
    const outputs = await Promise.all(children);
    const winners = outputs.filter((o) => o.startsWith("won "));
    expect(winners, outputs.join("\n")).toHaveLength(1);
    const winner = winners[0]!.slice(4);
    expect(outputs.filter((o) => o === `BranchMovedError ${winner}`)).toHaveLength(n - 1);
    expect((await Lake.open(root).head())!.id).toBe(winner);
  });
});

describe("crash safety", () => {
  it("a commit object written without moving the head reads as before", async () => {
    const root = tempDir();
    const lake = Lake.open(root);
    const c1 = await lake.commit({ expectedHead: null, message: "first", put: { a: fakeEntry(lake, "a") } });
    const before = await snapshotTree(root);

    // simulate a crash after steps 1-2 of a commit: data file + commit object, head not moved
    const orphanEntry = fakeEntry(lake, "b");
    const body = { parents: [c1.id], time: new Date().toISOString(), message: "crashed", author: "x", tables: { ...c1.tables, b: orphanEntry } };
    const orphan = { id: commitId(body), ...body };
    writeFileSync(path.join(root, "commits", `${orphan.id}.json`), `${canonicalJson(orphan)}\n`);
    // and a half-written head temp file from the ref update that never happened
    writeFileSync(path.join(root, "refs/branches/main.tmp"), "garbage");

    const fresh = Lake.open(root);
    expect((await fresh.head())!.id).toBe(c1.id);
    expect(await fresh.tables()).toEqual(c1.tables);
    expect(await snapshotTree(root)).not.toEqual(before); // the orphans are there, harmless

    // the next commit builds on the real head, not on the orphan
    const c2 = await fresh.commit({ expectedHead: c1.id, message: "after crash" });
    expect(c2.parents).toEqual([c1.id]);
    expect(c2.tables).toEqual(c1.tables);
    expect(existsSync(path.join(root, "refs/branches/main.tmp"))).toBe(false);
    await expect(fresh.commit({ expectedHead: orphan.id, message: "x" })).rejects.toBeInstanceOf(BranchMovedError);
  });

  it("a commit crashed while holding the lock is recovered (stale lock of a dead pid)", async () => {
    const root = tempDir();
    const lake = Lake.open(root, { lockTimeoutMs: 2000 });
    const c1 = await lake.commit({ expectedHead: null, message: "first" });
    const dead = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ["-e", ""]);
      p.on("close", () => resolve(p.pid!));
    });
    writeFileSync(
      path.join(root, "refs/branches/main.lock"),
      JSON.stringify({ pid: dead, host: os.hostname(), token: "crashed", time: new Date().toISOString() }),
    );
    expect((await lake.head())!.id).toBe(c1.id); // readers ignore the lock
    const c2 = await lake.commit({ expectedHead: c1.id, message: "second" });
    expect((await lake.head())!.id).toBe(c2.id);
    expect(existsSync(path.join(root, "refs/branches/main.lock"))).toBe(false);
  });

  it("killing committing processes at random moments never breaks the catalog", async () => {
    expect(existsSync(distLake)).toBe(true);
    const root = tempDir();
    const script = `
      import { writeFileSync } from "node:fs";
      const { Lake } = await import(${JSON.stringify(pathToFileURL(distLake).href)});
      const lake = Lake.open(process.argv[1]);
      for (let i = 0; ; i++) {
        const f = lake.newDataFile("t");
        const content = "row ".repeat(1 + (i % 50));
        writeFileSync(f.absolute, content);
        const bytes = Buffer.byteLength(content);
        const entry = { schema: [{ name: "c", type: "VARCHAR" }], rows: 1, bytes, files: [{ path: f.path, rows: 1, bytes }] };
        const head = await lake.headId();
        try { await lake.commit({ expectedHead: head, message: "c" + i, author: "k", put: { t: entry } }); } catch (e) { if (e.name !== "BranchMovedError") throw e; }
      }`;
    let total = 0;
    for (let round = 0; round < 6; round++) {
      const kids = [0, 1].map(() => spawn(process.execPath, ["--input-type=module", "-e", script, root], { stdio: "ignore" }));
      await new Promise((r) => setTimeout(r, 250 + round * 37));
      for (const k of kids) k.kill("SIGKILL");
      await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null || k.signalCode !== null ? r(null) : k.on("close", r)))));
      const n = await checkConsistent(root);
      expect(n).toBeGreaterThanOrEqual(total);
      total = n;
    }
    expect(total).toBeGreaterThan(1);
    // and the lake still accepts commits (a lock left by a killed process is broken)
    const lake = Lake.open(root, { lockTimeoutMs: 5000 });
    const c = await lake.commit({ expectedHead: await lake.headId(), message: "after kills" });
    expect((await lake.head())!.id).toBe(c.id);
  });
});
