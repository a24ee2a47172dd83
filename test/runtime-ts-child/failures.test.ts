import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineOf, outputLeftovers, Project, transactions } from "./helpers.js";

let project: Project;
let txPath: string;

beforeAll(() => {
  project = new Project();
  txPath = project.writeInput("transactions", transactions());
});
afterAll(() => project.dispose());

const inputs = () => [{ param: "data", path: txPath, columns: null }];

function modelReturning(expr: string): string {
  return `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    return ${expr};
  },
});
`;
}

describe("runTsModel: failures", () => {
  it("a throw in run(): kind throw, the user's file:line in a stack without bp frames, no output", async () => {
    const src = `
import { model, input } from "bauplan-ts";

function check(n: number): void {
  if (n > 0) {
    throw new RangeError("too many rows: " + n);
  }
}

export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    check(data.numRows);
    return data;
  },
});
`;
    const { result, outputPath } = await project.run("throws", src, { inputs: inputs() });
    expect(result).toMatchObject({ ok: false, kind: "throw", message: "RangeError: too many rows: 6", exitCode: 1, signal: null });
    if (result.ok) return;
    const file = path.join(project.models, "throws.ts");
    expect(result.stack).toContain(`${file}:${lineOf(src, "throw new RangeError")}:`);
    expect(result.stack).toContain(`${file}:${lineOf(src, "check(data.numRows)")}:`);
    expect(result.stack!.split("\n")[0]).toBe("RangeError: too many rows: 6");
    expect(result.stack).not.toMatch(/child-main|node:internal|dist\//);
    expect(outputLeftovers(outputPath)).toEqual([]);
  });

  it("an async rejection and a throw from a timer are kind throw too", async () => {
    const rejecting = await project.run("rejects", modelReturning(`Promise.reject(new Error("async boom"))`), { inputs: inputs() });
    expect(rejecting.result).toMatchObject({ ok: false, kind: "throw", message: "async boom" });

    const fromTimer = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    return new Promise(() => {
      setTimeout(() => {
        throw new Error("timer boom");
      }, 10);
    });
  },
});
`;
    const timer = await project.run("timer_throws", fromTimer, { inputs: inputs() });
    expect(timer.result).toMatchObject({ ok: false, kind: "throw", message: "timer boom" });
    if (!timer.result.ok) expect(timer.result.stack).toContain(`timer_throws.ts:${lineOf(fromTimer, "timer boom")}:`);

    const nonError = await project.run("throws_string", modelReturning(`(() => { throw "just a string"; })()`), { inputs: inputs() });
    expect(nonError.result).toMatchObject({ ok: false, kind: "throw", message: 'a non-Error value was thrown: a string ("just a string")' });
  });

  it("process.exit(3) without a result: kind exit with the code", async () => {
    const { result, outputPath } = await project.run("exits", modelReturning(`process.exit(3)`), { inputs: inputs() });
    expect(result).toMatchObject({ ok: false, kind: "exit", exitCode: 3, signal: null });
    if (!result.ok) expect(result.message).toMatch(/exited with code 3/);
    expect(outputLeftovers(outputPath)).toEqual([]);

    const zero = await project.run("exits_zero", modelReturning(`process.exit(0)`), { inputs: inputs() });
    expect(zero.result).toMatchObject({ ok: false, kind: "exit", exitCode: 0 });
  });

  it('out of memory with memory "64MB": kind oom, says the limit (the node adds where it came from, the CLI how to raise it)', async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  memory: "64MB",
  run() {
    const hoard: object[] = [];
    for (let i = 0; ; i++) hoard.push({ i, s: "row " + i, more: [i, i + 1] });
  },
});
`;
    const { result, stderr, outputPath } = await project.run("oom", src, { inputs: inputs(), memoryMb: 64 });
    expect(result).toMatchObject({ ok: false, kind: "oom" });
    if (result.ok) return;
    expect(result.message).toBe('model "oom" ran out of memory at its 64 MiB heap limit');
    expect(stderr.join("\n")).toMatch(/heap/i);
    expect(outputLeftovers(outputPath)).toEqual([]);
  });

  it("a bigger limit is suggested in GB", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({ inputs: { data: input("transactions") }, run() { process.abort(); } });
`;
    const { result } = await project.run("aborts", src, { inputs: inputs(), memoryMb: 2048 });
    // An abort without V8's heap message is a crash, not an out-of-memory kill.
    expect(result).toMatchObject({ ok: false, kind: "signal", signal: "SIGABRT" });
    if (!result.ok) expect(result.message).not.toMatch(/memory/);
  });

  it("returns that are not tables: kind bad-return with a clear message", async () => {
    const cases: [string, string][] = [
      ["42", "run() returned a number (42); expected an apache-arrow Table or an array of row objects"],
      [`"hello"`, 'run() returned a string ("hello"); expected an apache-arrow Table or an array of row objects'],
      ["undefined", "run() returned undefined; expected an apache-arrow Table or an array of row objects"],
      ["{ a: 1 }", "run() returned a plain object (not an array of them); expected an apache-arrow Table or an array of row objects"],
      ["[{ a: 1 }, 2]", "run() returned an array whose element 1 is a number (2); expected an apache-arrow Table or an array of row objects"],
      ["data.batches[0]", "run() returned an apache-arrow RecordBatch (wrap it: new Table(batch)); expected an apache-arrow Table or an array of row objects"],
      ["Promise.resolve(7)", "run() returned a number (7); expected an apache-arrow Table or an array of row objects"],
    ];
    for (const [i, [expr, message]] of cases.entries()) {
      const { result, outputPath } = await project.run(`bad_return_${i}`, modelReturning(expr), { inputs: inputs() });
      expect(result, expr).toMatchObject({ ok: false, kind: "bad-return", message });
      expect(outputLeftovers(outputPath)).toEqual([]);
    }
  });

  it("an empty array without declared columns, and rows mixing types, are bad returns", async () => {
    const empty = await project.run("empty", modelReturning("[]"), { inputs: inputs() });
    expect(empty.result).toMatchObject({ ok: false, kind: "bad-return" });
    if (!empty.result.ok) expect(empty.result.message).toMatch(/empty array.*empty apache-arrow Table/);

    const mixed = await project.run("mixed", modelReturning(`[{ a: 1 }, { a: "x" }]`), { inputs: inputs() });
    expect(mixed.result).toMatchObject({
      ok: false,
      kind: "bad-return",
      message: 'run() returned rows whose column "a" mixes number (row 0) and string (row 1) values; give each column a single type',
    });
  });

  it("a throw at module top level: kind bad-module with the user's file:line", async () => {
    const src = `
import { model, input } from "bauplan-ts";
const config: Record<string, string> = {};
if (!config.key) throw new Error("missing config key");
export default model({ inputs: { data: input("transactions") }, run: ({ data }) => data });
`;
    const { result } = await project.run("top_level", src, { inputs: inputs() });
    expect(result).toMatchObject({ ok: false, kind: "bad-module", message: "missing config key" });
    if (!result.ok) expect(result.stack).toContain(`top_level.ts:${lineOf(src, "missing config key")}:`);
  });

  it("no default export, a default that is not a model, a missing import, a TS syntax error: kind bad-module", async () => {
    const noDefault = await project.run(
      "no_default",
      `import { model, input } from "bauplan-ts";\nexport const m = model({ inputs: { data: input("t") }, run: ({ data }) => data });\n`,
      { inputs: inputs() },
    );
    expect(noDefault.result).toMatchObject({ ok: false, kind: "bad-module" });
    if (!noDefault.result.ok) expect(noDefault.result.message).toMatch(/no_default\.ts has no default export; expected `export default model/);

    const notModel = await project.run("not_model", `export default { run() { return []; } };\n`, { inputs: inputs() });
    expect(notModel.result).toMatchObject({ ok: false, kind: "bad-module" });
    if (!notModel.result.ok) expect(notModel.result.message).toMatch(/default export of .*not_model\.ts is a plain object.*, not a bp model/);

    const missing = await project.run("missing_import", `import { x } from "./nope.js";\nexport default x;\n`, { inputs: inputs() });
    expect(missing.result).toMatchObject({ ok: false, kind: "bad-module" });
    if (!missing.result.ok) expect(missing.result.message).toMatch(/Cannot find module .*nope\.js/);

    const syntax = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    const x: number = (1 +;
    return data;
  },
});
`;
    const bad = await project.run("syntax", syntax, { inputs: inputs() });
    expect(bad.result).toMatchObject({ ok: false, kind: "bad-module" });
    if (!bad.result.ok) expect(bad.result.message).toContain(`syntax.ts:${lineOf(syntax, "(1 +;")}:`);
  });

  it("a declared input column missing from the input file is reported", async () => {
    const { result } = await project.run("missing_column", modelReturning("data"), {
      inputs: [{ param: "data", path: txPath, columns: ["id", "eur"] }],
    });
    expect(result).toMatchObject({ ok: false, kind: "throw" });
    if (!result.ok) expect(result.message).toMatch(/input "data" .*has no column eur \(it has id, usd, country\)/);
  });

  it("a run() whose promise can never settle is reported instead of hanging", async () => {
    const { result } = await project.run("never", modelReturning("new Promise(() => {})"), { inputs: inputs() });
    expect(result).toMatchObject({ ok: false, kind: "bad-return" });
    if (!result.ok) expect(result.message).toMatch(/run\(\) never finished/);

    const tla = await project.run("never_loads", `await new Promise(() => {});\nexport default 1;\n`, { inputs: inputs() });
    expect(tla.result).toMatchObject({ ok: false, kind: "bad-module" });
    if (!tla.result.ok) expect(tla.result.message).toMatch(/never_loads\.ts never finished loading/);
  });
});
