/**
 * Builds the example project with the real CLI (real DuckDB, real child processes) and compares
 * every model's rows with the same computation done directly in DuckDB over the source file.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bp, duckdbRows, ROOT } from "../helpers/temp-project.js";

const ROWS = 20_000;
let dir: string;
let shmDir: string;
let source: string;
let build: { code: number; stdout: string; stderr: string };

const EUROPE = "('DE','FR','IT','ES','NL','PT','IE','AT','BE','PL','SE')";

async function bpQuery(sql: string): Promise<Record<string, unknown>[]> {
  const r = await bp(["query", sql, "--json", "--max-rows", "1000000", "-p", dir]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "bp-e2e-example-"));
  cpSync(path.join(ROOT, "example-project"), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.bp|target|data)$/.test(src),
  });
  const gen = await import("node:child_process").then((cp) =>
    cp.spawnSync(process.execPath, [path.join(ROOT, "example-project", "generate-data.mjs"), String(ROWS), path.join(dir, "data")], { cwd: ROOT, encoding: "utf8" }),
  );
  expect(gen.status, gen.stderr).toBe(0);
  source = path.join(dir, "data", "transactions.parquet");
  const imported = await bp(["import", source, "--table", "transactions", "-p", dir]);
  expect(imported.code, imported.stderr).toBe(0);
  shmDir = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-e2e-shm-"));
  build = await bp(["build", "-p", dir], { env: { BP_SHM_DIR: shmDir } });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (shmDir) rmSync(shmDir, { recursive: true, force: true });
});

describe("bp build on the example project", () => {
  it("succeeds, streams the TS models' logs with their name and prints a summary", () => {
    expect(build.code, build.stderr + build.stdout).toBe(0);
    expect(build.stdout).toMatch(/\[euro_selection\] kept \d+ of \d+ January transactions/);
    expect(build.stdout).toMatch(/\[client_segments\] segmented \d+ clients/);
    expect(build.stdout).toMatch(/usd_by_country\s+sql\s+OK/);
    expect(build.stdout).toMatch(/build succeeded .* 9 ok, 0 failed, 0 skipped; committed [0-9a-f]{12} to main/);
  });

  it("usd_by_country matches DuckDB", async () => {
    const expected = await duckdbRows(`
      SELECT country, SUM(usd) AS usd, COUNT(*) AS transactions FROM '${source}'
      WHERE eventTime BETWEEN '2023-01-01' AND '2023-02-01' AND country IN ${EUROPE}
      GROUP BY ALL ORDER BY country`);
    const actual = await bpQuery("SELECT * FROM usd_by_country ORDER BY country");
    expect(actual.length).toBeGreaterThan(5);
    expect(actual.map((r) => r.country)).toEqual(expected.map((r) => r.country));
    actual.forEach((r, i) => {
      expect(r.usd).toBeCloseTo(Number(expected[i]!.usd), 6);
      expect(r.transactions).toBe(Number(expected[i]!.transactions));
    });
  });

  it("client_segments (TS downstream of SQL) matches DuckDB", async () => {
    const expected = await duckdbRows(`
      WITH s AS (
        SELECT client_id, COUNT(*) AS orders, SUM(usd) AS total_usd FROM '${source}'
        WHERE category = 'electronics' AND eventTime >= '2023-01-01' AND eventTime < '2023-02-01'
        GROUP BY client_id)
      SELECT client_id, CASE WHEN total_usd >= 2000 THEN 'gold' WHEN total_usd >= 500 THEN 'silver' ELSE 'bronze' END AS segment,
             total_usd, orders FROM s ORDER BY client_id`);
    const actual = await bpQuery("SELECT * FROM client_segments ORDER BY client_id");
    expect(actual.length).toBe(expected.length);
    actual.forEach((r, i) => {
      const e = expected[i]!;
      expect([r.client_id, r.segment, r.orders]).toEqual([Number(e.client_id), e.segment, Number(e.orders)]);
      expect(r.total_usd).toBeCloseTo(Number(e.total_usd), 6);
    });
  });

  it("segment_summary (SQL downstream of TS) matches DuckDB", async () => {
    const expected = await duckdbRows(`
      WITH s AS (
        SELECT client_id, COUNT(*) AS orders, SUM(usd) AS total_usd FROM '${source}'
        WHERE category = 'electronics' AND eventTime >= '2023-01-01' AND eventTime < '2023-02-01'
        GROUP BY client_id),
      seg AS (SELECT CASE WHEN total_usd >= 2000 THEN 'gold' WHEN total_usd >= 500 THEN 'silver' ELSE 'bronze' END AS segment, total_usd, orders FROM s)
      SELECT segment, COUNT(*) AS clients, ROUND(AVG(total_usd), 2) AS avg_usd, SUM(orders) AS orders FROM seg GROUP BY ALL ORDER BY segment`);
    const actual = await bpQuery("SELECT * FROM segment_summary ORDER BY segment");
    expect(actual.map((r) => [r.segment, r.clients, r.avg_usd, Number(r.orders)])).toEqual(
      expected.map((e) => [e.segment, Number(e.clients), Number(e.avg_usd), Number(e.orders)]),
    );
  });

  it("commits only the materialized models, together, in one commit", async () => {
    const tables = await bp(["tables", "--json", "-p", dir]);
    const listing = JSON.parse(tables.stdout) as { commit: string; tables: { name: string; producedBy: string | null; schema: { name: string; type: string }[] }[] };
    // SUM(BIGINT) is a HUGEINT; Parquet has no 128-bit integers, so it is stored losslessly as DECIMAL(38,0), not DOUBLE.
    expect(listing.tables.find((t) => t.name === "segment_summary")!.schema.find((c) => c.name === "orders")!.type).toBe("DECIMAL(38,0)");
    expect(listing.tables.map((t) => t.name).sort()).toEqual(["client_segments", "segment_summary", "transactions", "usd_by_country"]);
    expect(listing.tables.filter((t) => t.producedBy).map((t) => t.name).sort()).toEqual(["client_segments", "segment_summary", "usd_by_country"]);
    const commit = JSON.parse(readFileSync(path.join(dir, ".bp/lake/commits", `${listing.commit}.json`), "utf8")) as { parents: string[]; message: string };
    expect(commit.parents).toHaveLength(1);
    expect(commit.message).toBe("bp build: client_segments, segment_summary, usd_by_country");
  });

  it("exchanged tables through shared memory and left nothing behind", () => {
    expect(build.stdout).not.toMatch(/not writable/);
    expect(readdirSync(shmDir)).toEqual([]);
  });

  it("a second build over its own materializations compiles (they are not sources), reuses every output and commits nothing", async () => {
    const again = await bp(["build", "-p", dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/build succeeded in [\d.]+s: 0 ok, 9 cached, 0 failed, 0 skipped\n/);
    expect(again.stdout).not.toMatch(/committed/);
  });
});
