/**
 * Golden tests for compiled plans: each case under cases/ (and the example project) is compiled
 * with the real CLI and its target/plan.json compared with expected-plan.json. Lake commit ids and
 * data file names (random per import) are masked; everything else must match byte for byte. The
 * plan must also be the same when models are bound one at a time (bindSequentially).
 * Re-bless with: UPDATE_GOLDENS=1 npx vitest run test/golden-plans
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { PLAN_VERSION } from "../../compiler/plan-types.js";
import { bp, importSql, ROOT } from "../helpers/temp-project.js";

const HERE = path.join(ROOT, "test", "golden-plans");
const UPDATE = process.env.UPDATE_GOLDENS === "1";
const EXAMPLE_SOURCES = {
  transactions:
    "SELECT range::BIGINT AS id, TIMESTAMP '2023-01-01' + to_hours(range::BIGINT) AS eventTime, range * 1.5 AS usd, (['DE','US'])[range % 2 + 1] AS country, (range % 7)::BIGINT AS client_id, (['electronics','books'])[range % 2 + 1] AS category FROM range(100)",
};

const cases: { name: string; dir: string; sources: Record<string, string>; expected: string }[] = [
  { name: "example-project", dir: path.join(ROOT, "example-project"), sources: EXAMPLE_SOURCES, expected: path.join(HERE, "example-project.expected-plan.json") },
  ...readdirSync(path.join(HERE, "cases")).sort().map((name) => ({
    name,
    dir: path.join(HERE, "cases", name),
    sources: JSON.parse(readFileSync(path.join(HERE, "cases", name, "sources.json"), "utf8")) as Record<string, string>,
    expected: path.join(HERE, "cases", name, "expected-plan.json"),
  })),
];

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function prepare(c: (typeof cases)[number]): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bp-golden-plan-${c.name}-`));
  temps.push(dir);
  cpSync(c.dir, dir, { recursive: true, filter: (src) => !/[/\\](\.bp|target|data|expected-plan\.json|sources\.json)$/.test(src) });
  for (const [table, select] of Object.entries(c.sources)) await importSql(dir, table, select);
  return dir;
}

/**
 * Commit ids and data file names change with every import; mask them, and the cache keys (they
 * cover the data files). test/output-cache/ tests what the keys depend on.
 */
function mask(planText: string): string {
  return planText
    .replace(/"commit": "[0-9a-f]{64}"/g, '"commit": "<commit>"')
    .replace(/"cacheKey": "[0-9a-f]{64}"/g, '"cacheKey": "<key>"')
    .replace(/"data\/([^/"]+)\/[0-9a-f-]{36}\.parquet"/g, '"data/$1/<file>.parquet"');
}

describe.each(cases)("plan of $name", (c) => {
  it("matches its golden file, and compiling twice (in two locales) gives byte-identical plans", async () => {
    const dir = await prepare(c);
    const first = await bp(["compile", "-p", dir]);
    expect(first.code, first.stderr).toBe(0);
    const planText = readFileSync(path.join(dir, "target", "plan.json"), "utf8");
    // Again under a locale whose collation differs ("aa" after "z" in Danish): same bytes.
    const second = await bp(["compile", "-p", dir, "--out", "target/again.json"], { env: { LANG: "da_DK.UTF-8", LC_ALL: "da_DK.UTF-8" } });
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "target", "again.json"), "utf8")).toBe(planText);

    const masked = mask(planText);
    if (UPDATE || !existsSync(c.expected)) writeFileSync(c.expected, masked);
    expect(masked).toBe(readFileSync(c.expected, "utf8"));

    // Binding in batches gives the plan that binding one model at a time gives.
    const batched = await compileProject({ projectDir: dir });
    const sequential = await compileProject({ projectDir: dir, bindSequentially: true });
    expect(sequential.diagnostics).toEqual([]);
    expect(JSON.stringify(batched.plan)).toBe(JSON.stringify(sequential.plan));
  });
});

describe("the example project's plan", () => {
  it("scans transactions once, with the projection its consumers need and their filters pushed down", async () => {
    const plan = JSON.parse(readFileSync(cases[0]!.expected, "utf8")) as { nodes: { kind: string; table?: string; columns?: string[]; filter?: string }[] };
    const scans = plan.nodes.filter((n) => n.kind === "scan");
    expect(scans.map((s) => s.table)).toEqual(["transactions"]);
    const scan = scans[0]!;
    for (const col of ["id", "usd", "country", "eventTime"]) expect(scan.columns).toContain(col);
    expect(scan.filter).toContain("eventTime BETWEEN '2023-01-01' AND '2023-02-01'");
  });
});

describe("a saved plan", () => {
  it("runs with bp build --plan without recompiling, even after the model files are gone", async () => {
    const c = cases.find((x) => x.name === "ts-chain")!;
    const dir = await prepare(c);
    expect((await bp(["compile", "-p", dir])).code).toBe(0);
    const planFile = path.join(dir, "target", "plan.json");
    // The SQL of SQL models is inside the plan; TS model files are still needed to run them.
    rmSync(path.join(dir, "models", "score_stats.sql"));
    const run = await bp(["build", "--plan", planFile, "-p", dir]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const q = await bp(["query", "SELECT n_all, n_high FROM top_scored", "--json", "-p", dir]);
    expect(JSON.parse(q.stdout)).toEqual([{ n_all: 50, n_high: 29 }]);
    const s = await bp(["query", "SELECT n FROM score_stats", "--json", "-p", dir]);
    expect(JSON.parse(s.stdout)).toEqual([{ n: 50 }]);
  });

  it("is refused (exit 1) when a TS model changed since it was compiled, and when malformed (exit 2)", async () => {
    const dir = await prepare(cases.find((x) => x.name === "ts-chain")!);
    expect((await bp(["compile", "-p", dir])).code).toBe(0);
    const planFile = path.join(dir, "target", "plan.json");
    const model = path.join(dir, "models", "scored.ts");
    writeFileSync(model, readFileSync(model, "utf8").replace("* 2", "* 3"));
    const stale = await bp(["build", "--plan", planFile, "-p", dir]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/models\/scored\.ts changed since the plan was compiled/);

    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ planVersion: PLAN_VERSION, project: {}, nodes: [{ kind: "bogus" }], edges: [] }));
    const bad = await bp(["build", "--plan", path.join(dir, "bad.json"), "-p", dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the plan is malformed: /);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it("of another plan version is refused with exit 2", async () => {
    const dir = await prepare(cases.find((x) => x.name === "ts-chain")!);
    writeFileSync(path.join(dir, "old.json"), JSON.stringify({ planVersion: 99, project: {}, nodes: [], edges: [] }));
    const run = await bp(["build", "--plan", path.join(dir, "old.json"), "-p", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/plan version 99 .*recompile/);
  });
});
