/**
 * Children started ahead of their run (TsChild, TsChildPool): they load everything and wait; the
 * run sends the job. Each still runs one model, with its own heap limit, and fails exactly like a
 * child started at the run.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsModel, TsChild, type TsChildSpec, type TsRunResult } from "../../runtime/ts-child/run-ts-model.js";
import { TsChildPool } from "../../runtime/ts-child/warm-pool.js";
import { alive, outputLeftovers, Project, readOutput, rowsOf, transactions } from "./helpers.js";

let project: Project;
let txPath: string;
let counter = 0;

beforeAll(() => {
  project = new Project();
  txPath = project.writeInput("transactions", transactions());
});
afterAll(() => project.dispose());

const inputs = () => [{ param: "data", path: txPath, columns: null }];

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes models/<name>.ts and returns the spec of its process. */
function modelSpec(name: string, source: string, memoryMb = 256): TsChildSpec {
  return { model: name, modelFile: project.write(`models/${name}.ts`, source), memoryMb };
}

/** Runs the job of `spec` with `child` (started ahead, or not); collects lines. */
async function runWith(spec: TsChildSpec, child: TsChild | undefined): Promise<{ result: TsRunResult; lines: string[]; outputPath: string }> {
  const lines: string[] = [];
  const outputPath = path.join(project.shm, `${spec.model}.${++counter}.out.arrow`);
  const result = await runTsModel({ ...spec, inputs: inputs(), outputPath }, { onLine: (_s, l) => lines.push(l), ...(child ? { child } : {}) });
  return { result, lines, outputPath };
}

const HEAP_LIMIT_MODEL = `
import { model, input } from "bauplan-ts";
import v8 from "node:v8";
export default model({
  inputs: { data: input("transactions") },
  run: () => [{ limit: v8.getHeapStatistics().heap_size_limit, pid: process.pid }],
});
`;

describe("a TS child started ahead", () => {
  it("runs its model when the job comes, with the lines it prints from then on", async () => {
    const spec = modelSpec(
      "ahead",
      `
import { model, input } from "bauplan-ts";
console.log("module loaded");
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    console.log("rows", data.numRows);
    return [{ n: data.numRows }];
  },
});
`,
    );
    const child = TsChild.start(spec);
    await sleep(1500); // fully loaded and waiting
    expect(child.idle).toBe(true);
    const started = performance.now();
    const { result, lines, outputPath } = await runWith(spec, child);
    expect(result).toMatchObject({ ok: true, rows: 1, warm: true });
    expect(lines).toEqual(["module loaded", "rows 6"]);
    expect(rowsOf(readOutput(outputPath))).toEqual([{ n: 6 }]);
    // loaded ahead: the run itself is short (a cold child takes ~0.4 s or more before run() starts)
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("does not run the model's top-level code before the job", async () => {
    const marker = path.join(project.dir, "top-level-ran");
    const spec = modelSpec(
      "side_effect",
      `
import { model, input } from "bauplan-ts";
import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(marker)}, "x");
export default model({ inputs: { data: input("transactions") }, run: ({ data }) => data });
`,
    );
    const child = TsChild.start(spec);
    await sleep(1500);
    expect(existsSync(marker)).toBe(false);
    const { result } = await runWith(spec, child);
    expect(result).toMatchObject({ ok: true, warm: true });
    expect(existsSync(marker)).toBe(true);
  });

  it("gets its own heap limit, the same as a child started at the run", async () => {
    const small = modelSpec("heap_small", HEAP_LIMIT_MODEL, 128);
    const big = modelSpec("heap_big", HEAP_LIMIT_MODEL, 512);
    const [smallChild, bigChild] = [TsChild.start(small), TsChild.start(big)];
    await sleep(1000);
    const limits: Record<string, number> = {};
    for (const [name, spec, child] of [
      ["small warm", small, smallChild],
      ["big warm", big, bigChild],
      ["small cold", small, undefined],
      ["big cold", big, undefined],
    ] as const) {
      const { result, outputPath } = await runWith(spec, child);
      expect(result).toMatchObject({ ok: true, warm: child !== undefined });
      limits[name] = Number(rowsOf(readOutput(outputPath))[0]!.limit);
    }
    expect(limits["small warm"]).toBe(limits["small cold"]);
    expect(limits["big warm"]).toBe(limits["big cold"]);
    expect(limits["big warm"]! - limits["small warm"]!).toBe((512 - 128) * 2 ** 20);
  });

  it("whose model fails to import reports bad-module", async () => {
    const spec = modelSpec("broken_import", `import { model } from "bauplan-ts";\nthrow new Error("cannot load me");\nexport default model({ inputs: {}, run: () => [] });\n`);
    const child = TsChild.start(spec);
    await sleep(500);
    const { result, outputPath } = await runWith(spec, child);
    expect(result).toMatchObject({ ok: false, kind: "bad-module", message: "cannot load me", warm: true });
    expect(outputLeftovers(outputPath)).toEqual([]);

    const syntax = modelSpec("syntax_error", `import { model } from "bauplan-ts";\nexport default model({ inputs: {}, run: () => [ });\n`);
    const syntaxRun = await runWith(syntax, TsChild.start(syntax));
    expect(syntaxRun.result).toMatchObject({ ok: false, kind: "bad-module", warm: true });
    if (!syntaxRun.result.ok) expect(syntaxRun.result.message).toMatch(/syntax_error\.ts:2:/);
  });

  it("runs the model file as it is when the job comes, even if it changed after the child started", async () => {
    const spec = modelSpec("edited", `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { data: input("transactions") }, run: () => [{ v: "old" }] });\n`);
    const child = TsChild.start(spec);
    await sleep(1000);
    writeFileSync(spec.modelFile, `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { data: input("transactions") }, run: () => [{ v: "new" }] });\n`);
    const { result, outputPath } = await runWith(spec, child);
    expect(result).toMatchObject({ ok: true, warm: true });
    expect(rowsOf(readOutput(outputPath))).toEqual([{ v: "new" }]);
  });

  it("is replaced by a fresh child when it died while waiting, or does not fit the job", async () => {
    const spec = modelSpec("replaced", HEAP_LIMIT_MODEL, 256);
    const dead = TsChild.start(spec);
    await sleep(300);
    process.kill(dead.pid!, "SIGKILL");
    await dead.exited;
    const afterDeath = await runWith(spec, dead);
    expect(afterDeath.result).toMatchObject({ ok: true, warm: false });

    const otherLimit = TsChild.start({ ...spec, memoryMb: 128 });
    const mismatch = await runWith(spec, otherLimit);
    expect(mismatch.result).toMatchObject({ ok: true, warm: false });
    expect(await waitUntil(() => !alive(otherLimit.pid!), 2000)).toBe(true);
    expect(Number(rowsOf(readOutput(mismatch.outputPath))[0]!.limit)).toBe(Number(rowsOf(readOutput(afterDeath.outputPath))[0]!.limit));
  });

  it("an out-of-memory child is still reported as oom (the limit applies from the start)", async () => {
    const spec = modelSpec(
      "warm_oom",
      `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run() {
    const hoard: object[] = [];
    for (let i = 0; ; i++) hoard.push({ i, s: "row " + i, more: [i, i + 1] });
  },
});
`,
      64,
    );
    const child = TsChild.start(spec);
    await sleep(500);
    const { result } = await runWith(spec, child);
    expect(result).toMatchObject({ ok: false, kind: "oom", warm: true });
    if (!result.ok) expect(result.message).toContain("64 MiB heap limit");
  });

  it("cancelled after the job was sent: kind cancelled, no output, process gone", async () => {
    const spec = modelSpec(
      "warm_cancel",
      `
import { model, input } from "bauplan-ts";
export default model({ inputs: { data: input("transactions") }, run() { console.log("pid " + process.pid); for (;;) {} } });
`,
    );
    const child = TsChild.start(spec);
    const controller = new AbortController();
    const outputPath = path.join(project.shm, "warm_cancel.out.arrow");
    const result = await runTsModel(
      { ...spec, inputs: inputs(), outputPath },
      { child, signal: controller.signal, onLine: (_s, l) => l.startsWith("pid ") && controller.abort() },
    );
    expect(result).toMatchObject({ ok: false, kind: "cancelled", warm: true });
    expect(alive(child.pid!)).toBe(false);
    expect(outputLeftovers(outputPath)).toEqual([]);
  });
});

describe("TsChildPool", () => {
  it("keeps `lookahead` children for the first expected runs (one loading at a time), refills on take, stops dropped ones and everything on close", async () => {
    const specs = [0, 1, 2].map((i) => modelSpec(`pooled_${i}`, HEAP_LIMIT_MODEL, 128));
    const pool = new TsChildPool(2);
    pool.expect(specs);
    expect(pool.pids()).toHaveLength(1); // the second starts once the first has loaded
    expect(await waitUntil(() => pool.pids().length === 2, 10_000)).toBe(true);
    await sleep(1000);
    const first = pool.pids();
    expect(first).toHaveLength(2);

    const child = pool.take(specs[0]!);
    expect(child?.pid).toBe(first[0]);
    expect(await waitUntil(() => pool.pids().length === 2, 10_000)).toBe(true);
    expect(pool.pids()).toContain(first[1]);
    const { result } = await runWith(specs[0]!, child);
    expect(result).toMatchObject({ ok: true, warm: true });

    pool.drop(specs[1]!);
    expect(await waitUntil(() => !alive(first[1]!), 2000)).toBe(true);
    expect(pool.pids()).toHaveLength(1);

    const last = pool.pids();
    pool.close();
    expect(pool.pids()).toEqual([]);
    expect(await waitUntil(() => last.every((p) => !alive(p)), 2000)).toBe(true);
    expect(pool.take(specs[2]!)).toBeUndefined();
    pool.expect(specs);
    expect(pool.pids()).toEqual([]);
  });

  it("no child for a run that was not expected; a spec expected again with another limit replaces its child", () => {
    const spec = modelSpec("pooled_limit", HEAP_LIMIT_MODEL, 128);
    const pool = new TsChildPool(1);
    try {
      expect(pool.take({ ...spec, model: "unexpected", modelFile: path.join(project.models, "nope.ts") })).toBeUndefined();
      pool.expect([spec]);
      const [before] = pool.pids();
      pool.expect([{ ...spec, memoryMb: 256 }]);
      const [after] = pool.pids();
      expect(after).not.toBe(before);
      expect(pool.take(spec)).toBeUndefined();
    } finally {
      pool.close();
    }
  });

  it("waiting children do not keep the parent alive, and die with it", async () => {
    const spec = modelSpec("pooled_orphan", HEAP_LIMIT_MODEL, 128);
    const poolModule = new URL("../../dist/runtime/ts-child/warm-pool.js", import.meta.url).href;
    const script = path.join(project.dir, "pool-parent.mjs");
    writeFileSync(
      script,
      `import { TsChildPool } from ${JSON.stringify(poolModule)};
const pool = new TsChildPool(1);
pool.expect([${JSON.stringify(spec)}]);
console.log("pids " + pool.pids().join(","));
setTimeout(() => {}, 300); // then nothing is left to do: the process ends without pool.close()
`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    parent.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => parent.on("close", resolve));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(/pids (\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(pid), 2000)).toBe(true);
  });
});
