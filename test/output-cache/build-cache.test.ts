/**
 * The output cache in real runs (real DuckDB, real TS processes, the lake on disk): which nodes run
 * after each kind of edit, that reused outputs give the same tables as DuckDB computing them from
 * the source, that unchanged materialized tables are not written again, eviction, damaged entries.
 */
import { readdirSync, rmSync, truncateSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import type { VarValue } from "../../compiler/vars.js";
import { openLake } from "../../runtime/lake/open-lake.js";
import { runPlan, type RunOptions } from "../../runtime/run-plan.js";
import type { RunResult } from "../../runtime/run-events.js";
import { OutputCache } from "../../runtime/output-cache/store.js";
import { bp, duckdbRows, importSql } from "../helpers/temp-project.js";
import { cacheProject, edit, ORDERS } from "./project.js";

let dir: string;
beforeAll(async () => {
  dir = await cacheProject();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function build(options: { vars?: Record<string, VarValue>; run?: Partial<RunOptions> } = {}): Promise<RunResult> {
  const compiled = await compileProject({ projectDir: dir, vars: options.vars ?? {} });
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const run = await runPlan(compiled.plan!, { projectDir: dir, threads: 2, ...options.run });
  expect(run.nodes.filter((n) => n.status === "failed").map((n) => n.failure)).toEqual([]);
  expect(run.ok).toBe(true);
  return run;
}

/** The nodes that ran (status ok), sorted. */
const ran = (r: RunResult) => r.nodes.filter((n) => n.status === "ok").map((n) => n.id).sort();
async function head(): Promise<string | null> {
  const lake = openLake({ lake: ".bp/lake" }, dir);
  try {
    return await lake.headId("main");
  } finally {
    lake.close();
  }
}

async function lakeRows(sql: string): Promise<unknown[]> {
  const r = await bp(["query", sql, "--json", "-p", dir]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

/** bp's materialized tables equal DuckDB's own computation from the source file. */
async function expectResultsEqualDuckDB(minAmount = 10): Promise<void> {
  const src = `read_parquet('${path.join(dir, "data", "orders.parquet")}')`;
  expect(await lakeRows("SELECT client::INTEGER AS client, total, n::INTEGER AS n FROM by_client ORDER BY client")).toEqual(
    await duckdbRows(`SELECT client::INTEGER AS client, sum(amount) AS total, count(*)::INTEGER AS n FROM ${src} WHERE amount > ${minAmount} GROUP BY client ORDER BY client`),
  );
  expect(await lakeRows("SELECT client::INTEGER AS client, n::INTEGER AS n, s FROM score_stats ORDER BY client")).toEqual(
    await duckdbRows(`SELECT client::INTEGER AS client, count(*)::INTEGER AS n, sum(amount * 2) AS s FROM ${src} WHERE amount > ${minAmount} AND amount < 500 GROUP BY client ORDER BY client`),
  );
}

const ALL_BUT_COUNTRIES = [
  "materialize:by_client",
  "materialize:score_stats",
  "model:big_orders",
  "model:by_client",
  "model:score_stats",
  "model:scored",
  "model:top_clients",
  "scan:orders",
];

describe("output cache", () => {
  it("first build runs everything; the same build again runs nothing and commits nothing", async () => {
    const first = await build();
    expect(first.nodes.every((n) => n.status === "ok")).toBe(true);
    expect(first.commit).not.toBeNull();
    const before = await head();
    const second = await build();
    expect(second.nodes.map((n) => [n.id, n.status])).toEqual(first.nodes.map((n) => [n.id, "cached"]));
    expect(second.nodes.find((n) => n.id === "model:by_client")!.rows).toBe(first.nodes.find((n) => n.id === "model:by_client")!.rows);
    expect(second.commit).toBeNull();
    expect(await head()).toBe(before);
    await expectResultsEqualDuckDB();
  });

  it("a comment-only edit of a SQL model runs nothing", async () => {
    edit(dir, "models/big_orders.sql", (t) => `/* reviewed */\n${t}\n-- the end\n`);
    expect(ran(await build())).toEqual([]);
  });

  it("editing a leaf runs exactly that model (and the scan it reads)", async () => {
    edit(dir, "models/countries.sql", (t) => t.replace("count(*) AS n", "count(*) AS n, count(DISTINCT client) AS clients"));
    expect(ran(await build())).toEqual(["model:countries", "scan:orders"]);
  });

  it("editing a model over a cached TS model reads the TS model's cached Arrow output", async () => {
    edit(dir, "models/score_stats.sql", (t) => t.replace("sum(score) AS s", "sum(score) AS s, max(score) AS top"));
    const r = await build();
    expect(ran(r)).toEqual(["materialize:score_stats", "model:score_stats"]);
    expect(r.nodes.find((n) => n.id === "model:scored")!.status).toBe("cached");
    await expectResultsEqualDuckDB();
  });

  it("a change of the query upstream re-runs it and everything downstream, not the rest", async () => {
    edit(dir, "models/big_orders.sql", (t) => t.replace("WHERE amount >", "WHERE amount >= 0 AND amount >"));
    expect(ran(await build())).toEqual(ALL_BUT_COUNTRIES);
    await expectResultsEqualDuckDB();
  });

  it("a var change re-runs what uses it; going back to the old value runs nothing: the tables written before are committed again", async () => {
    expect(ran(await build({ vars: { min_amount: 100 } }))).toEqual(ALL_BUT_COUNTRIES);
    await expectResultsEqualDuckDB(100);
    const back = await build();
    expect(ran(back)).toEqual([]);
    expect(back.commit).not.toBeNull(); // by_client and score_stats point at their earlier files again
    await expectResultsEqualDuckDB();
  });

  it("new source data re-runs every model reading it", async () => {
    await importSql(dir, "orders", ORDERS(13));
    expect(ran(await build())).toEqual([...ALL_BUT_COUNTRIES, "model:countries"].sort());
    await expectResultsEqualDuckDB();
  });

  it("without the local cache, unchanged materialized tables are not written again, and a SQL model's table is read back from the lake", async () => {
    const cleaned = await bp(["cache", "clean", "--outputs", "-p", dir]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stdout + cleaned.stderr).toMatch(/removed \d+ cached outputs/);
    const before = await head();
    // by_client is in the lake with its key; top_clients (not materialized) must run and reads it from there
    const r = await build();
    expect(ran(r)).toEqual(["model:countries", "model:top_clients", "scan:orders"]);
    expect(r.nodes.find((n) => n.id === "model:by_client")!.status).toBe("cached");
    expect(r.nodes.find((n) => n.id === "materialize:by_client")!.status).toBe("cached");
    expect(r.commit).toBeNull();
    expect(await head()).toBe(before);
  });

  it("--no-cache runs every node and writes the tables again", async () => {
    const before = await head();
    const r = await build({ run: { cache: false } });
    expect(r.nodes.every((n) => n.status === "ok")).toBe(true);
    expect(r.commit).not.toBeNull();
    expect(await head()).not.toBe(before);
    await expectResultsEqualDuckDB();
  });

  it("a damaged entry is a miss, not a wrong result", async () => {
    edit(dir, "models/scored.ts", (t) => `const version = 2; // a code edit (a comment alone keeps the key)\n${t}`);
    expect(ran(await build())).toContain("model:scored");
    const cache = new OutputCache(path.join(dir, ".bp", "cache", "outputs"));
    const arrow = cache.list().find((e) => e.meta.format === "arrow")!;
    expect(arrow.meta.node).toBe("model:scored");
    truncateSync(arrow.dataPath!, 100);
    edit(dir, "models/score_stats.sql", (t) => t.replace("max(score) AS top", "min(score) AS bottom"));
    const r = await build();
    expect(ran(r)).toContain("model:scored");
    await expectResultsEqualDuckDB();
  });

  it("stays under its size bound by evicting the least recently used outputs, never the run's own", async () => {
    const cache = new OutputCache(path.join(dir, ".bp", "cache", "outputs"));
    const old = cache.list();
    expect(old.length).toBeGreaterThan(0);
    const longAgo = new Date(Date.now() - 3_600_000);
    for (const e of old) utimesSync(path.join(cache.dir, e.meta.key, "meta.json"), longAgo, longAgo);
    edit(dir, "models/big_orders.sql", (t) => t.replace("amount >= 0 AND", "amount >= 1 AND"));
    const r = await build({ run: { cache: { maxBytes: 1 } } });
    const keysOfRun = new Set(r.nodes.map((n) => n.cacheKey));
    const left = readdirSync(cache.dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    // every old entry this run did not use is gone; what the run wrote stays
    expect(left.filter((k) => !keysOfRun.has(k))).toEqual([]);
    expect(left.length).toBeGreaterThan(0);
  });
});
