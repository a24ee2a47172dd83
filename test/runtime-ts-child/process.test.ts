import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsModel } from "../../runtime/ts-child/run-ts-model.js";
import { alive, outputLeftovers, Project, readOutput, rowsOf, transactions } from "./helpers.js";

let project: Project;
let txPath: string;

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

describe("runTsModel: the child process", () => {
  it("streams logs live: the first line arrives while the model is still running", async () => {
    const src = `
import { model, input } from "bauplan-ts";
import { setTimeout as sleep } from "node:timers/promises";
export default model({
  inputs: { data: input("transactions") },
  async run({ data }) {
    console.log("first");
    await sleep(500);
    console.log("second");
    return data;
  },
});
`;
    const { result, lines, elapsed } = await project.run("live", src, { inputs: inputs() });
    expect(result.ok).toBe(true);
    expect(lines.map((l) => l.line)).toEqual(["first", "second"]);
    const first = lines[0]!;
    const second = lines[1]!;
    expect(second.at - first.at).toBeGreaterThanOrEqual(400);
    expect(elapsed - first.at).toBeGreaterThanOrEqual(400);
  });

  it("lines printed before a long synchronous stretch arrive during it, also beyond a pipe's buffer (blocking writes)", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    for (let i = 0; i < 3000; i++) console.log("line " + i + " " + "x".repeat(100));
    const until = Date.now() + 1000;
    while (Date.now() < until) {} // the event loop is busy: nothing queued gets written
    console.log("done");
    return data;
  },
});
`;
    const { result, lines } = await project.run("busy", src, { inputs: inputs() });
    expect(result.ok).toBe(true);
    expect(lines).toHaveLength(3001);
    const last = lines.find((l) => l.line.startsWith("line 2999 "))!;
    const done = lines.find((l) => l.line === "done")!;
    expect(done.at - last.at).toBeGreaterThan(700);
  });

  it("cancellation kills the child (SIGTERM) and leaves no output", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run() {
    console.log("pid " + process.pid);
    for (;;) {} // busy forever
  },
});
`;
    const controller = new AbortController();
    let pid = 0;
    const running = project.run("cancel_me", src, { inputs: inputs() }, {
      signal: controller.signal,
      onLine: (_s, line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) {
          pid = Number(m[1]);
          controller.abort();
        }
      },
    });
    const { result, outputPath, elapsed } = await running;
    expect(pid).toBeGreaterThan(0);
    expect(result).toMatchObject({ ok: false, kind: "cancelled", signal: "SIGTERM" });
    expect(alive(pid)).toBe(false);
    expect(elapsed).toBeLessThan(10_000);
    expect(outputLeftovers(outputPath)).toEqual([]);
  });

  it("a child that ignores SIGTERM is SIGKILLed after the grace period", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run() {
    process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
    setInterval(() => {}, 1000);
    console.log("pid " + process.pid);
    return new Promise(() => {});
  },
});
`;
    const controller = new AbortController();
    let pid = 0;
    const started = Date.now();
    const { result, stdout } = await project.run("stubborn", src, { inputs: inputs() }, {
      signal: controller.signal,
      killGraceMs: 300,
      onLine: (_s, line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) {
          pid = Number(m[1]);
          controller.abort();
        }
      },
    });
    expect(result).toMatchObject({ ok: false, kind: "cancelled", signal: "SIGKILL" });
    expect(stdout).toContain("ignoring SIGTERM");
    expect(alive(pid)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a signal already aborted does not start the child", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runTsModel(
      { model: "never_started", modelFile: "/nonexistent/model.ts", inputs: [], outputPath: `${project.shm}/never.arrow`, memoryMb: 64 },
      { onLine: () => {}, signal: controller.signal },
    );
    expect(result).toMatchObject({ ok: false, kind: "cancelled", exitCode: null, signal: null });
  });

  it("killed from outside: kind signal", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run() {
    console.log("pid " + process.pid);
    setInterval(() => {}, 1000);
    return new Promise(() => {});
  },
});
`;
    let pid = 0;
    const { result } = await project.run("killed", src, { inputs: inputs() }, {
      onLine: (_s, line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) {
          pid = Number(m[1]);
          process.kill(pid, "SIGKILL");
        }
      },
    });
    expect(result).toMatchObject({ ok: false, kind: "signal", signal: "SIGKILL", exitCode: null });
    if (!result.ok) expect(result.message).toMatch(/killed by SIGKILL/);
    expect(await waitUntil(() => !alive(pid), 2000)).toBe(true);
  });

  it("runs in the given cwd and sees the parent's environment without the job variable", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run: () => [{ cwd: process.cwd(), job: String(process.env.BP_TS_JOB), home: typeof process.env.PATH }],
});
`;
    const { result, outputPath } = await project.run("cwd", src, { inputs: inputs(), cwd: project.shm });
    expect(result.ok).toBe(true);
    expect(rowsOf(readOutput(outputPath))).toEqual([{ cwd: project.shm, job: "undefined", home: "string" }]);
  });

  for (const how of ["calls process.exit()", "is SIGKILLed"] as const) {
    it(`the child does not outlive a parent that ${how}`, async () => {
      const modelFile = project.write(
        `models/orphan_${how.length}.ts`,
        `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run() {
    console.log("pid " + process.pid);
    setInterval(() => {}, 1000);
    return new Promise(() => {});
  },
});
`,
      );
      const runner = new URL("../../dist/runtime/ts-child/run-ts-model.js", import.meta.url).href;
      const parentScript = path.join(project.dir, `parent_${how.length}.mjs`);
      writeFileSync(
        parentScript,
        `
import { runTsModel } from ${JSON.stringify(runner)};
runTsModel(
  { model: "orphan", modelFile: ${JSON.stringify(modelFile)}, inputs: ${JSON.stringify(inputs())}, outputPath: ${JSON.stringify(path.join(project.shm, "orphan.arrow"))}, memoryMb: 128 },
  { onLine: (_s, line) => { console.log(line); if (line.startsWith("pid ") && ${how === "calls process.exit()"}) process.exit(0); } },
);
`,
      );
      const parent = spawn(process.execPath, [parentScript], { stdio: ["ignore", "pipe", "inherit"] });
      const childPid = await new Promise<number>((resolve, reject) => {
        let out = "";
        parent.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /pid (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        parent.on("close", () => reject(new Error(`parent ended first: ${out}`)));
      });
      expect(childPid).toBeGreaterThan(0);
      if (how === "is SIGKILLed") parent.kill("SIGKILL");
      expect(await waitUntil(() => !alive(childPid), 5000)).toBe(true);
    });
  }
});
