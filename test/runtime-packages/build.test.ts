/**
 * `bp build` with per-model packages, against the real npm registry and a temp store: two models of
 * one DAG use two versions of one package; a second build reuses the envs with the registry
 * unreachable; a package that does not exist fails only its node, with npm's reason, before any of
 * its inputs is exported, while the other branches run and nothing is committed.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../runtime/run-events.js";
import { bp, importSql, runResultOf, treeFiles, writeProject } from "../helpers/temp-project.js";
import { listing, tempStore, type TempStore } from "./helpers.js";

const versioned = (name: string, pkgs: string, imports: string, value: string) => `import { model, input } from "bauplan-ts";
${imports}
export default model({
  inputs: { t: input("nums") },
  packages: ${pkgs},
  materialize: true,
  run({ t }) {
    return [{ model: "${name}", rows: t.numRows, ${value} }];
  },
});
`;

const GOOD = {
  "models/old_underscore.ts": versioned("old", `{ underscore: "1.12.1", "is-odd": "^3" }`, `import _ from "underscore";\nimport isOdd from "is-odd";`, `version: _.VERSION, odd: isOdd(3)`),
  "models/new_underscore.ts": versioned("new", `{ underscore: "1.13.6" }`, `import _ from "underscore";`, `version: _.VERSION, odd: true`),
  "models/plain.ts": `import { model, input } from "bauplan-ts";
export default model({ inputs: { t: input("nums") }, materialize: true, run({ t }) { return [{ rows: t.numRows }]; } });
`,
  "models/versions.sql": "-- bp: materialize = true\nSELECT model, version, odd FROM old_underscore UNION ALL SELECT model, version, odd FROM new_underscore ORDER BY model\n",
};

const BAD = {
  "models/missing_pkg.ts": versioned("missing", `{ "bp-test-no-such-package-zz9": "^1" }`, "", `x: 1`),
  "models/after_missing.sql": "-- bp: materialize = true\nSELECT * FROM missing_pkg\n",
  "models/undeclared.ts": versioned("undeclared", `{ "is-odd": "3.0.1" }`, `import _ from "underscore";`, `v: _.VERSION`),
  "models/fine.ts": versioned("fine", `{ "is-odd": "3.0.1" }`, `import isOdd from "is-odd";`, `odd: isOdd(5)`),
};

let store: TempStore;
const dirs: string[] = [];
beforeAll(() => {
  store = tempStore();
});
afterAll(() => {
  store.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function project(files: Record<string, string>, name: string): Promise<string> {
  const dir = writeProject(files, name);
  dirs.push(dir);
  await importSql(dir, "nums", "SELECT range AS n FROM range(4)");
  return dir;
}

async function query(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const r = await bp(["query", sql, "--json", "-p", dir]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

describe("bp build with per-model packages", () => {
  let dir: string;
  let first: Awaited<ReturnType<typeof bp>>;
  beforeAll(async () => {
    dir = await project(GOOD, "pkgs");
    first = await bp(["build", "-p", dir], { env: store.env() });
  });

  it("runs two models of one DAG with two versions of one package (and a dependency of one of them)", async () => {
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await query(dir, "SELECT * FROM versions ORDER BY model")).toEqual([
      { model: "new", version: "1.13.6", odd: true },
      { model: "old", version: "1.12.1", odd: true },
    ]);
    expect(await query(dir, "SELECT * FROM plain")).toEqual([{ rows: 4 }]);
  });

  it("builds again with the registry unreachable: the recorded envs are reused, the store is unchanged", async () => {
    const before = listing(store.root).filter((l) => !l.startsWith("envs/") || !l.endsWith("env.json"));
    const started = performance.now();
    const again = await bp(["build", "-p", dir], { env: store.env(true) });
    const seconds = (performance.now() - started) / 1000;
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(listing(store.root).filter((l) => !l.startsWith("envs/") || !l.endsWith("env.json"))).toEqual(before);
    expect(seconds).toBeLessThan(10); // no network retries or timeouts
    expect(await query(dir, "SELECT version FROM old_underscore")).toEqual([{ version: "1.12.1" }]);
  });
});

describe("bp build with a package that cannot be installed", () => {
  let dir: string;
  let before: Record<string, string>;
  let run: RunResult;
  let stderr: string;
  beforeAll(async () => {
    dir = await project(BAD, "badpkg");
    before = treeFiles(path.join(dir, ".bp/lake"));
    const r = await bp(["build", "--json", "-p", dir], { env: store.env() });
    expect(r.code, r.stderr).toBe(1);
    run = runResultOf(r.stdout);
    stderr = r.stderr;
  });

  const node = (id: string) => run.nodes.find((n) => n.id === id)!;

  it("fails that node with npm's reason and the package's name, before any of its inputs is exported", () => {
    expect(node("model:missing_pkg")).toMatchObject({ status: "failed", failure: { cause: "packages", file: "models/missing_pkg.ts" } });
    expect(node("model:missing_pkg").failure!.message).toMatch(/"bp-test-no-such-package-zz9@\^1" could not be installed: E404 404 Not Found/);
    expect(run.edges.find((e) => e.to === "model:missing_pkg")).toMatchObject({ location: null, bytes: null });
    expect(node("model:after_missing")).toMatchObject({ status: "skipped", skippedBecause: "model:missing_pkg" });
    expect(stderr).toMatch(/FAILED missing_pkg \(ts\)/);
  });

  it("fails a model importing a package it does not declare, naming packages:", () => {
    expect(node("model:undeclared")).toMatchObject({ status: "failed", failure: { cause: "bad-module" } });
    expect(node("model:undeclared").failure!.message).toMatch(/cannot import "underscore": it is not among the model's packages.*packages: \{ "underscore"/);
  });

  it("runs the other branches, and commits nothing to the target branch", () => {
    expect(node("model:fine")).toMatchObject({ status: "ok", rows: 1 });
    expect(run.commit).toBeNull();
    const after = treeFiles(path.join(dir, ".bp/lake"));
    for (const [file, digest] of Object.entries(before)) expect(after[file], file).toBe(digest);
    expect(Object.keys(after).filter((f) => f.startsWith("refs/branches/main"))).toEqual(["refs/branches/main"]);
  });
});
