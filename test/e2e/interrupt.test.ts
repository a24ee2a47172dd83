/** Ctrl-C during a build: running TS processes are killed, shared memory removed, nothing committed. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { BP, bp, importSql, treeDigest, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("SIGINT stops the build with exit 130, kills the model's process and leaves lake and /dev/shm clean", async () => {
  const dir = writeProject(
    {
      "models/slow.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("nums") },
  materialize: true,
  async run({ t }) {
    console.log("pid", process.pid);
    await new Promise((r) => setTimeout(r, 60_000));
    return t;
  },
});
`,
      "models/quick.sql": "-- bp: materialize = true\nSELECT count(*) AS c FROM nums\n",
    },
    "sigint",
  );
  temps.push(dir);
  await importSql(dir, "nums", "SELECT range AS n FROM range(100)");
  const shm = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-sigint-"));
  temps.push(shm);
  const before = treeDigest(path.join(dir, ".bp/lake"));

  const child = spawn(process.execPath, [BP, "build", "-p", dir], { env: { ...process.env, NO_COLOR: "1", BP_SHM_DIR: shm }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const modelPid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`model never started: ${out}${err}`)), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /\[slow\] pid (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  expect(alive(modelPid)).toBe(true);
  expect(readdirSync(shm).length).toBe(1); // this run's folder, holding the exported input

  child.kill("SIGINT");
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code).toBe(130);
  expect(err).toMatch(/interrupted/);
  expect(out).toMatch(/cancelled/);
  expect(alive(modelPid)).toBe(false);
  expect(readdirSync(shm)).toEqual([]);
  expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
});

it("a run removes shared-memory folders left by a bp process that was killed outright", async () => {
  const dir = writeProject({ "models/one.sql": "SELECT 1 AS x\n" }, "orphans");
  temps.push(dir);
  const shm = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-orphans-"));
  temps.push(shm);
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid!; // a pid that has exited
  const orphan = path.join(shm, `bp-${dead}-20260101T000000-abcdef-XyZ123`);
  const live = path.join(shm, `bp-${process.pid}-20260101T000000-abcdef-XyZ456`);
  mkdirSync(orphan);
  mkdirSync(live);
  writeFileSync(path.join(orphan, "t.arrow"), "stale");
  const r = await bp(["build", "-p", dir], { env: { BP_SHM_DIR: shm } });
  expect(r.code, r.stderr).toBe(0);
  expect(readdirSync(shm)).toEqual([path.basename(live)]);
});

it("SIGINT interrupts a long-running SQL model at once", async () => {
  const dir = writeProject({ "models/slow_sql.sql": "SELECT count(*) AS n FROM range(200000) a, range(200000) b WHERE (a.range * b.range) % 7 = 3\n" }, "sigint-sql");
  temps.push(dir);
  const child = spawn(process.execPath, [BP, "build", "-p", dir], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`model never started: ${out}`)), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      if (/start slow_sql \(sql\)/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  const sent = performance.now();
  child.kill("SIGINT");
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code).toBe(130);
  expect(performance.now() - sent).toBeLessThan(10_000);
});
