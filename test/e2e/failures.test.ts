/**
 * A failing node (TS throw, process.exit, out-of-memory, non-table return, SQL error) fails the
 * build with exit 1, names the model and its file, SKIPs its dependents, lets independent branches
 * finish, and leaves the target branch byte-identical: the run's temporary branch is kept with the
 * tables that were written (`--keep-failed false`: the whole lake byte-identical, no data files left).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bp, importSql, treeDigest, treeFiles, writeProject } from "../helpers/temp-project.js";

const FAILING: Record<string, { body: string; memory?: string; expect: RegExp }> = {
  throws: { body: `throw new Error("boom in run");`, expect: /models\/bad\.ts:\d+:\d+: boom in run/ },
  exits: { body: `process.exit(3);`, expect: /exit/i },
  oom: {
    body: `const keep: number[][] = []; for (;;) keep.push(new Array(1_000_000).fill(1));`,
    memory: "64MB",
    expect: /memory/i,
  },
  "returns a number": { body: `return 42 as any;`, expect: /run\(\) returned .*expected an apache-arrow Table/ },
};

function project(body: string, memory = "256MB"): Record<string, string> {
  return {
    "models/bad.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("numbers", { columns: ["n"] }) },
  memory: "${memory}",
  materialize: true,
  run({ t }) {
    console.log("starting with", t.numRows, "rows");
    ${body}
  },
});
`,
    "models/after_bad.sql": "-- bp: materialize = true\nSELECT count(*) AS c FROM bad\n",
    "models/independent.sql": "-- bp: materialize = true\nSELECT sum(n) AS total FROM numbers\n",
  };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.each(Object.entries(FAILING))("a TS model that %s", (_label, c) => {
  let dir: string;
  let before: Record<string, string>;
  let shm: string;
  let result: Awaited<ReturnType<typeof bp>>;
  beforeAll(async () => {
    dir = writeProject(project(c.body, c.memory), "fail");
    dirs.push(dir);
    await importSql(dir, "numbers", "SELECT range AS n FROM range(1000)");
    before = treeFiles(path.join(dir, ".bp/lake"));
    shm = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-fail-shm-"));
    dirs.push(shm);
    result = await bp(["build", "-p", dir], { env: { BP_SHM_DIR: shm } });
  });

  it("fails the build with exit 1, naming the model, its file and the cause", () => {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED bad \(ts\)/);
    expect(result.stderr).toMatch(c.expect);
    expect(result.stdout).toMatch(/\[bad\] starting with 1000 rows/);
  });

  it("skips the dependents and finishes the independent branch", () => {
    expect(result.stdout).toMatch(/after_bad\s+sql\s+SKIPPED/);
    expect(result.stdout).toMatch(/independent\s+sql\s+OK\s+1/);
    expect(result.stdout).toMatch(/build failed .*nothing committed to main/);
  });

  it("leaves the target branch byte-identical, keeps the run's branch, removes its shared-memory files", async () => {
    const after = treeFiles(path.join(dir, ".bp/lake"));
    for (const [file, digest] of Object.entries(before)) expect(after[file], file).toBe(digest);
    const added = Object.keys(after).filter((f) => !(f in before));
    const kept = /the run's branch (_bp_run_\S+) is kept/.exec(result.stdout)?.[1];
    expect(kept).toBeDefined();
    expect(added.filter((f) => !/^(commits|data)\//.test(f))).toEqual([`refs/branches/${kept}`]);
    const tables = JSON.parse((await bp(["tables", "--json", "--ref", kept!, "-p", dir])).stdout) as { tables: { name: string }[] };
    expect(tables.tables.map((t) => t.name).sort()).toEqual(["independent", "numbers"]);
    expect(readdirSync(shm)).toEqual([]);
  });
});

describe("a SQL model that fails at run time", () => {
  it("reports the model's file and DuckDB's message, commits nothing", async () => {
    const dir = writeProject(
      {
        "models/cast_fails.sql": "-- bp: materialize = true\nSELECT CAST(s AS INTEGER) AS i FROM words\n",
        // A trailing semicolon and comment, as .sql files often have, run as is.
        "models/fine.sql": "-- bp: materialize = true\nSELECT upper(s) AS s FROM words;\n-- the end",
      },
      "sqlfail",
    );
    dirs.push(dir);
    await importSql(dir, "words", "SELECT 'x' || range AS s FROM range(10)");
    const before = treeDigest(path.join(dir, ".bp/lake"));
    const r = await bp(["build", "-p", dir, "--keep-failed", "false"]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/_bp_run_/);
    expect(r.stderr).toMatch(/FAILED cast_fails \(sql\)/);
    expect(r.stderr).toMatch(/models\/cast_fails\.sql:2: Conversion Error/);
    expect(r.stderr).toMatch(/LINE 2: SELECT CAST/);
    expect(r.stdout).toMatch(/fine\s+sql\s+OK/);
    expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
  });
});

describe("a TS model whose values do not fit its declared columns", () => {
  it("fails naming the column and a value instead of rounding silently", async () => {
    const dir = writeProject(
      {
        "models/lossy.ts": `import { model } from "bauplan-ts";
export default model({
  inputs: {},
  columns: { id: "BIGINT", small: "TINYINT" },
  materialize: true,
  run() { return [{ id: 1, small: 1 }, { id: 1.7, small: 2 }]; },
});
`,
        "models/overflow.ts": `import { model } from "bauplan-ts";
export default model({
  inputs: {},
  columns: { small: "TINYINT" },
  materialize: true,
  run() { return [{ small: 300 }]; },
});
`,
      },
      "lossy",
    );
    dirs.push(dir);
    const r = await bp(["build", "-p", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/models\/lossy\.ts: run\(\) returned DOUBLE values in column "id" that its declared type BIGINT cannot hold exactly, e\.g\. 1\.7/);
    expect(r.stderr).toMatch(/models\/overflow\.ts: .*column "small" .*TINYINT.*e\.g\. 300/);
  });
});
