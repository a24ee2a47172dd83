/**
 * bp build starts the TS models' processes before compiling (they load while the compiler and the
 * upstream nodes work). Results, failures and Ctrl-C behave exactly as with processes started at
 * the node: one process per model, its own heap limit, nothing left behind.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BP, bp, importSql, runResultOf, treeDigest, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function shmFolder(name: string): string {
  const d = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), `bp-${name}-`));
  temps.push(d);
  return d;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the TS model processes (child-main.js) whose parent is `parent` (Linux /proc). */
function tsChildrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("child-main.js")) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

const HEAP_MODEL = (memoryLines: string) => `import { model, input } from "bauplan-ts";
import v8 from "node:v8";
${memoryLines.includes("comment") ? '// an old note said memory: "64MB" here\n' : ""}export default model({
  inputs: { t: input("nums") },
  memory: "256MB",
  materialize: true,
  run({ t }) {
    console.log("heap limit MiB", Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20));
    return t;
  },
});
`;

describe.runIf(process.platform === "linux")("bp build with TS processes started ahead", () => {
  it("runs the TS model in the process started ahead, with the heap limit the plan gives it", async () => {
    const dir = writeProject({ "models/plain.ts": HEAP_MODEL(""), "models/noted.ts": HEAP_MODEL("comment") }, "warm");
    temps.push(dir);
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    const r = await bp(["build", "-p", dir, "-v", "--threads", "2"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/debug: plain: ran in a process started ahead/);
    // Two `memory:` spellings: the guess made before compiling (1GB) is wrong; the plan's 256MB wins
    // (the run replaces that process with one started for 256MB).
    const limits = [...r.stdout.matchAll(/\[(plain|noted)\] heap limit MiB (\d+)/g)].map((m) => [m[1], Number(m[2])]);
    expect(limits).toHaveLength(2);
    expect(limits[0]![1]).toBe(limits[1]![1]);
    expect(limits[0]![1]).toBeLessThan(512);
  });

  it("a model that fails to import fails its own node with bad-module; the rest behaves as usual", async () => {
    const dir = writeProject(
      {
        "models/broken.ts": `import { model, input } from "bauplan-ts";
throw new Error("broken at import");
export default model({ inputs: { t: input("nums") }, materialize: true, run: ({ t }) => t });
`,
        "models/after_broken.sql": "-- bp: materialize = true\nSELECT count(*) AS c FROM broken\n",
        "models/fine.ts": `import { model, input } from "bauplan-ts";
export default model({ inputs: { t: input("nums") }, materialize: true, run: ({ t }) => t });
`,
      },
      "warm-bad-module",
    );
    temps.push(dir);
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    const before = treeDigest(path.join(dir, ".bp/lake"));
    const shm = shmFolder("warm-bad");
    // --keep-failed false: the failed run's branch (which would hold fine's table) is dropped too
    const r = await bp(["build", "-p", dir, "--json", "--keep-failed", "false"], { env: { BP_SHM_DIR: shm } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED broken \(ts\)/);
    expect(r.stderr).toMatch(/broken at import/);
    const run = runResultOf<{ nodes: { name: string; kind: string; status: string; failure?: { cause: string; file?: string } }[] }>(r.stdout);
    expect(run.nodes.find((n) => n.name === "broken" && n.kind === "ts")).toMatchObject({ status: "failed", failure: { cause: "bad-module", file: "models/broken.ts" } });
    expect(run.nodes.find((n) => n.name === "after_broken")).toMatchObject({ status: "skipped" });
    expect(run.nodes.find((n) => n.name === "fine" && n.kind === "ts")).toMatchObject({ status: "ok" });
    expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
    expect(readdirSync(shm)).toEqual([]);
  });

  for (const when of ["while compiling", "while an upstream SQL node runs"] as const) {
    it(`Ctrl-C ${when}: exit 130, no TS process left, shared memory and lake untouched`, async () => {
      const files: Record<string, string> =
        when === "while compiling"
          ? { "models/later.ts": `import { model, input } from "bauplan-ts";\n// ${Math.random()}\nexport default model({ inputs: { t: input("nums") }, materialize: true, run: ({ t }) => t });\n` }
          : {
              "models/slow_sql.sql": "SELECT count(*) AS n FROM range(200000) a, range(200000) b WHERE (a.range * b.range) % 7 = 3\n",
              "models/later.ts": `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { t: input("slow_sql") }, materialize: true, run: ({ t }) => t });\n`,
            };
      const dir = writeProject(files, "warm-sigint");
      temps.push(dir);
      await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
      const before = treeDigest(path.join(dir, ".bp/lake"));
      const shm = shmFolder("warm-sigint");

      const child = spawn(process.execPath, [BP, "build", "-p", dir], { env: { ...process.env, NO_COLOR: "1", BP_SHM_DIR: shm }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      let warm: number[] = [];
      expect(await waitUntil(() => (warm = tsChildrenOf(child.pid!)).length > 0, 20_000), `no TS process started: ${out}${err}`).toBe(true);
      if (when === "while an upstream SQL node runs") {
        expect(await waitUntil(() => /start slow_sql \(sql\)/.test(out), 30_000), out + err).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        expect(warm.every(alive)).toBe(true); // started ahead, waiting for its node
      }
      child.kill("SIGINT");
      const code = await closed;
      expect(code, out + err).toBe(130);
      expect(err).toMatch(/interrupted/);
      expect(await waitUntil(() => !warm.some(alive), 3000)).toBe(true);
      expect(readdirSync(shm)).toEqual([]);
      expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
    });
  }
});
