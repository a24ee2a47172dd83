// sql-pipeline: a SQL-only 5-model chain/fan over N rows. `bp build` (spawned CLI: process start,
// compile, run, commit) vs the same 5 SELECTs as CREATE TABLE ... AS in one DuckDB connection over
// the same Parquet file, with the last table COPY'd to Parquet (bp materializes only the last model).
import { rmSync } from "node:fs";
import path from "node:path";
import { assertSameRows, rowsOf, sqlString, transactionsSelect, withDuckDB, writeParquet } from "../lib/data.mjs";
import { bp } from "../lib/proc.mjs";
import { importSource, lakeDataFiles, writeProject } from "../lib/project.mjs";
import { pipelineRows } from "../lib/args.mjs";
import { measurePair } from "../lib/timing.mjs";

/** The models, in a dependency order (the baseline runs them in this order). */
export const MODELS = [
  ["valid", `-- filter
SELECT id, ts, usd, country, client_id, category
FROM transactions
WHERE usd >= 5 AND category <> 'toys'`],
  ["client_totals", `-- aggregate
SELECT client_id, count(*) AS orders, sum(usd) AS total_usd, max(ts) AS last_ts
FROM valid
GROUP BY client_id`],
  ["enriched", `-- join (valid fans out to client_totals and here)
SELECT v.id, v.ts, v.usd, v.country, v.category, v.client_id, v.usd / c.total_usd AS share, c.orders
FROM valid v JOIN client_totals c USING (client_id)`],
  ["ranked", `-- window
SELECT *,
  row_number() OVER (PARTITION BY client_id ORDER BY ts, id) AS nth,
  sum(usd) OVER (PARTITION BY client_id ORDER BY ts, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_usd
FROM enriched`],
  ["country_report", `-- bp: materialize = true
-- final
SELECT country, category, count(*) AS orders, sum(usd) AS usd, avg(share) AS avg_share,
  max(running_usd) AS max_running_usd, count(*) FILTER (WHERE nth = 1) AS first_orders
FROM ranked
GROUP BY ALL
ORDER BY country, category`],
];

const CHECK = "SELECT country, category, orders, round(usd, 2) AS usd, avg_share, max_running_usd, first_orders FROM country_report ORDER BY country, category";

export const sizes = pipelineRows;

export async function run({ opts, size: rows, tmp, log }) {
  const dir = path.join(tmp, "sql-pipeline");
  const source = path.join(tmp, "sql-pipeline-transactions.parquet");
  log(`  generating ${rows} rows of transactions`);
  await writeParquet(transactionsSelect(rows), source);
  writeProject(dir, "sql_pipeline", Object.fromEntries(MODELS.map(([name, sql]) => [`models/${name}.sql`, `${sql}\n`])));
  const lakeFile = await importSource(dir, source, "transactions");
  rmSync(source);
  const out = path.join(tmp, "sql-pipeline-baseline.parquet");

  const baseline = async () => {
    rmSync(out, { force: true });
    const t0 = performance.now();
    await withDuckDB(async (conn) => {
      await conn.run(`CREATE VIEW transactions AS SELECT * FROM read_parquet(${sqlString(lakeFile)})`);
      for (const [name, sql] of MODELS) await conn.run(`CREATE TABLE ${name} AS (\n${sql}\n)`);
      await conn.run(`COPY country_report TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
    });
    return (performance.now() - t0) / 1000;
  };
  const bpBuild = async () => (await bp(["build", "--no-cache", "-p", dir])).seconds;

  const m = await measurePair({ label: "sql-pipeline", repeat: opts.repeat, warmup: opts.warmup, bp: bpBuild, baseline, log });

  // Same results on both sides (checked once, untimed): the newest committed country_report vs the baseline's file.
  const bpRows = JSON.parse((await bp(["query", CHECK, "--json", "--max-rows", "100000", "-p", dir])).stdout);
  const baseRows = await withDuckDB((conn) => rowsOf(conn, CHECK.replace("FROM country_report", `FROM read_parquet(${sqlString(out)})`)));
  assertSameRows("sql-pipeline", bpRows, baseRows);
  log(`  results match (${bpRows.length} rows; ${lakeDataFiles(dir, "country_report").length} builds committed)`);

  return [{
    case: "sql-pipeline",
    size: `${rows.toLocaleString("en-US")} rows, 5 models`,
    median: m.bpMedian,
    baselineName: "DuckDB CTAS x5 + COPY (in-process)",
    baselineMedian: m.baselineMedian,
    unit: "s",
    samples: m.samples.bp,
    baselineSamples: m.samples.baseline,
  }];
}
