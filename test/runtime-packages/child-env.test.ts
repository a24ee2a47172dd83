/**
 * A TS child resolves bare imports from the environment its job names, also when it was started
 * ahead (the env reaches its hooks thread with the job): declared packages from the env, an
 * undeclared one refused naming `packages:`, the project's node_modules never, Node's builtins,
 * bauplan-ts and apache-arrow always. Environments are made by hand here (no registry).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TsChild, runTsModel, type TsRunResult } from "../../runtime/ts-child/run-ts-model.js";
import { Project, readOutput, rowsOf, transactions } from "../runtime-ts-child/helpers.js";

let project: Project;
let txPath: string;
let envDir: string;

/** A package folder `node_modules/<name>` under `dir` exporting `id`. */
function fakePackage(dir: string, name: string, id: string): void {
  const folder = path.join(dir, "node_modules", name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, "package.json"), JSON.stringify({ name, type: "module", exports: "./index.js" }));
  writeFileSync(path.join(folder, "index.js"), `export const id = ${JSON.stringify(id)};\n`);
}

beforeAll(() => {
  project = new Project();
  txPath = project.writeInput("tx", transactions());
  envDir = path.join(project.dir, "env");
  fakePackage(envDir, "shout", "from-env");
  fakePackage(envDir, "@bp/scoped", "scoped-from-env");
  // The project's own node_modules holds a "shout" too: a model with an env must not see it.
  fakePackage(path.join(project.dir, "proj"), "shout", "from-project");
  fakePackage(path.join(project.dir, "proj"), "whisper", "from-project");
});
afterAll(() => project.dispose());

const MODEL = (imports: string, value: string) => `
import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";
import os from "node:os";
${imports}
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    return [{ v: ${value}, builtin: typeof os.cpus === "function", arrow: typeof tableFromArrays === "function" }];
  },
});
`;

async function run(name: string, source: string, env: { dir: string | null; packages: string[] }, ahead = false): Promise<{ result: TsRunResult; outputPath: string }> {
  const modelFile = project.write(`models/${name}.ts`, source);
  const outputPath = path.join(project.shm, `${name}.out.arrow`);
  const spec = { model: name, modelFile, memoryMb: 256, cwd: path.join(project.dir, "proj") };
  const child = ahead ? TsChild.start(spec) : undefined;
  if (child) await child.loaded;
  const result = await runTsModel({ ...spec, inputs: [{ param: "data", path: txPath, columns: null }], outputPath, env }, { onLine: () => {}, ...(child ? { child } : {}) });
  return { result, outputPath };
}

describe("a TS child with a package environment", () => {
  it("imports declared packages (plain and scoped) from the env, in a child started ahead of its job", async () => {
    const { result, outputPath } = await run(
      "declared",
      MODEL(`import { id } from "shout";\nimport { id as scoped } from "@bp/scoped";`, "id + '/' + scoped"),
      { dir: envDir, packages: ["shout", "@bp/scoped"] },
      true,
    );
    expect(result).toMatchObject({ ok: true, warm: true });
    expect(rowsOf(readOutput(outputPath))).toEqual([{ v: "from-env/scoped-from-env", builtin: true, arrow: true }]);
  });

  it("refuses a package that is not declared, naming packages:, even when the project's node_modules has it", async () => {
    const { result } = await run("undeclared", MODEL(`import { id } from "whisper";`, "id"), { dir: envDir, packages: ["shout"] }, true);
    expect(result).toMatchObject({ ok: false, kind: "bad-module" });
    expect(result.ok ? "" : result.message).toMatch(/cannot import "whisper": it is not among the model's packages.*packages: \{ "whisper": "<version range>" \}/);
  });

  it("gives a model with an empty env Node's builtins, bauplan-ts and apache-arrow, but no npm package", async () => {
    const ok = await run("empty", MODEL("", "'none'"), { dir: null, packages: [] });
    expect(ok.result).toMatchObject({ ok: true });
    expect(rowsOf(readOutput(ok.outputPath))).toEqual([{ v: "none", builtin: true, arrow: true }]);
    const refused = await run("empty-shout", MODEL(`import { id } from "shout";`, "id"), { dir: null, packages: [] });
    expect(refused.result.ok ? "" : refused.result.message).toMatch(/cannot import "shout".*packages:/);
  });

  it("without an env in the job, resolves bare imports as Node does (a child run by hand)", async () => {
    const modelFile = project.write("models/plain.ts", MODEL(`import { id } from "shout";`, "id"));
    const outputPath = path.join(project.shm, "plain.out.arrow");
    const result = await runTsModel({ model: "plain", modelFile, memoryMb: 256, inputs: [{ param: "data", path: txPath, columns: null }], outputPath }, { onLine: () => {} });
    expect(result.ok).toBe(true);
    expect(rowsOf(readOutput(outputPath))[0]).toMatchObject({ v: "from-project" });
  });
});
