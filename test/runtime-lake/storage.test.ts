import { spawnSync } from "node:child_process";
import { existsSync, promises as fs, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../runtime/lake/commit-id.js";
import { LakeLockedError } from "../../runtime/lake/errors.js";
import { acquireLock } from "../../runtime/lake/file-lock.js";
import { LocalLakeStorage } from "../../runtime/lake/local-storage.js";
import { cleanupTemp, tempDir } from "./helpers.js";

afterAll(cleanupTemp);

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("LocalLakeStorage", () => {
  it("reads missing objects as null and versions by content hash", async () => {
    const s = new LocalLakeStorage(path.join(tempDir(), "nothing-yet"));
    expect(await s.read("refs/branches/main")).toBeNull();
    expect(await s.size("x/y")).toBeNull();
    expect(await s.list("")).toEqual([]);
    expect(existsSync(s.root)).toBe(false);
    expect(await s.putIfAbsent("a/b.json", Buffer.from("hello"))).toBe(true);
    expect(await s.read("a/b.json")).toEqual({ data: Buffer.from("hello"), version: sha256Hex("hello") });
  });

  it("putIfAbsent never overwrites and leaves no temp files", async () => {
    const s = new LocalLakeStorage(tempDir());
    expect(await s.putIfAbsent("commits/x.json", Buffer.from("one"))).toBe(true);
    expect(await s.putIfAbsent("commits/x.json", Buffer.from("two"))).toBe(false);
    expect((await s.read("commits/x.json"))!.data.toString()).toBe("one");
    expect(await fs.readdir(path.join(s.root, "commits"))).toEqual(["x.json"]);
    // concurrent creators: exactly one wins
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.putIfAbsent("commits/y.json", Buffer.from(`v${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await fs.readdir(path.join(s.root, "commits"))).toEqual(["x.json", "y.json"]);
  });

  it("putIfVersion is a compare-and-swap", async () => {
    const s = new LocalLakeStorage(tempDir());
    const key = "refs/branches/main";
    expect(await s.putIfVersion(key, Buffer.from("a"), "not-there")).toBe(false);
    expect(await s.read(key)).toBeNull();
    expect(await s.putIfVersion(key, Buffer.from("a"), null)).toBe(true);
    expect(await s.putIfVersion(key, Buffer.from("b"), null)).toBe(false);
    const v = (await s.read(key))!.version;
    expect(await s.putIfVersion(key, Buffer.from("b"), v)).toBe(true);
    expect(await s.putIfVersion(key, Buffer.from("c"), v)).toBe(false);
    expect((await s.read(key))!.data.toString()).toBe("b");
    expect((await fs.readdir(path.join(s.root, "refs/branches"))).sort()).toEqual(["main"]);
  });

  it("lists by prefix, sorted, without temp or lock files", async () => {
    const s = new LocalLakeStorage(tempDir());
    for (const k of ["data/b/2.parquet", "data/a/1.parquet", "data/ab/3.parquet", "commits/c.json"]) {
      writeFileSync(s.prepareWrite(k), k);
    }
    writeFileSync(path.join(s.root, "commits/c.json.tmp-abc123"), "");
    writeFileSync(path.join(s.root, "data/a/x.lock"), "");
    expect(await s.list("data/")).toEqual(["data/a/1.parquet", "data/ab/3.parquet", "data/b/2.parquet"]);
    expect(await s.list("data/a")).toEqual(["data/a/1.parquet", "data/ab/3.parquet"]);
    expect(await s.list("data/a/")).toEqual(["data/a/1.parquet"]);
    expect(await s.list("commits/")).toEqual(["commits/c.json"]);
    expect(await s.list("")).toHaveLength(4);
  });

  it("refuses keys that escape the root", () => {
    const s = new LocalLakeStorage(tempDir());
    for (const k of ["../x", "a/../../x", "/etc/passwd", "a//b", "", "a\\b"]) expect(() => s.location(k)).toThrow(/invalid lake key/);
  });

  it("deletes and prunes empty folders up to the root", async () => {
    const s = new LocalLakeStorage(tempDir());
    writeFileSync(s.prepareWrite("data/t/1.parquet"), "x");
    await s.delete("data/t/1.parquet");
    await s.delete("data/t/1.parquet"); // missing is fine
    await s.pruneEmptyParents("data/t/1.parquet");
    expect(await fs.readdir(s.root)).toEqual([]);
    expect(existsSync(s.root)).toBe(true);
  });
});

describe("lock file", () => {
  it("serializes holders and removes itself", async () => {
    const lockPath = path.join(tempDir(), "refs", "branches", "main.lock");
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        const held = await acquireLock(lockPath);
        order.push(`in${i}`);
        await new Promise((r) => setTimeout(r, 10));
        order.push(`out${i}`);
        await held.release();
      }),
    );
    for (let i = 0; i < order.length; i += 2) expect(order[i]!.slice(2)).toBe(order[i + 1]!.slice(3));
    expect(existsSync(lockPath)).toBe(false);
  });

  it("breaks a lock left by a dead process on this host", async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, "main.lock");
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: os.hostname(), token: "t", time: "then" }));
    const held = await acquireLock(lockPath, { timeoutMs: 2000 });
    await held.release();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("waits for a live holder, then reports who holds it", async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const lockPath = path.join(dir, "main.lock");
    const live = JSON.stringify({ pid: process.pid, host: os.hostname(), token: "other", time: "now" });
    writeFileSync(lockPath, live);
    const err = await acquireLock(lockPath, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeLockedError);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect(await fs.readFile(lockPath, "utf8")).toBe(live);
    // another host's lock is never broken automatically
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: "elsewhere.example", token: "x", time: "now" }));
    await expect(acquireLock(lockPath, { timeoutMs: 100 })).rejects.toBeInstanceOf(LakeLockedError);
  });

  it("breaks an unreadable lock only once it is old", async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, "main.lock");
    writeFileSync(lockPath, "");
    await expect(acquireLock(lockPath, { timeoutMs: 100 })).rejects.toBeInstanceOf(LakeLockedError);
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockPath, old, old);
    const held = await acquireLock(lockPath, { timeoutMs: 1000 });
    await held.release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
