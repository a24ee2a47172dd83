// mixed-pipeline: the example project (SQL and TS models) on N generated rows: `bp build --json`
// (spawned CLI) vs the same computations as SQL CTAS in one DuckDB connection, the TS models'
// logic written in SQL, and the three materialized tables COPY'd to Parquet. Also reports the
// time bp spent moving data across edges (sum of edges[].seconds of the build's JSON), against
// the build's total.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { assertSameRows, COUNTRIES, rowsOf, sqlString, withDuckDB } from "../lib/data.mjs";
import { bp, ROOT, runNode } from "../lib/proc.mjs";
import { importSource } from "../lib/project.mjs";
import { pipelineRows } from "../lib/args.mjs";
import { median, measurePair } from "../lib/timing.mjs";

const EXAMPLE = path.join(ROOT, "example-project");
const EUROPE = COUNTRIES.slice(0, 11); // DE ... SE, as in models/euro_selection.ts
const MATERIALIZED = {
  usd_by_country: "SELECT country, round(usd, 2) AS usd, transactions FROM usd_by_country ORDER BY country",
  client_segments: "SELECT client_id, segment, round(total_usd, 2) AS total_usd, orders FROM client_segments ORDER BY client_id",
  segment_summary: "SELECT segment, clients, avg_usd, orders FROM segment_summary ORDER BY segment",
};

/** The example's models as CTAS statements; SQL models read from their files (vars rendered). */
function baselineStatements(dir) {
  const vars = YAML.parse(readFileSync(path.join(dir, "bp_project.yml"), "utf8")).vars ?? {};
  const sqlModel = (name) =>
    readFileSync(path.join(dir, "models", `${name}.sql`), "utf8").replace(/\{\{\s*var\s+"([^"]+)"\s*\}\}/g, (_, k) => {
      if (!(k in vars)) throw new Error(`mixed-pipeline: no default for var ${k}`);
      return String(vars[k]);
    });
  return [
    // models/euro_selection.ts: pushed-down projection + filter, then the European countries
    ["euro_selection", `SELECT id, usd, country FROM transactions
      WHERE eventTime BETWEEN '2023-01-01' AND '2023-02-01' AND country IN (${EUROPE.map(sqlString).join(", ")})`],
    ["usd_by_country", sqlModel("usd_by_country")],
    ["client_stats", sqlModel("client_stats")],
    // models/client_segments.ts
    ["client_segments", `SELECT client_id,
      CASE WHEN total_usd >= 2000 THEN 'gold' WHEN total_usd >= 500 THEN 'silver' ELSE 'bronze' END AS segment,
      total_usd, orders FROM client_stats`],
    ["segment_summary", sqlModel("segment_summary")],
  ];
}

export const sizes = pipelineRows;

/**
 * Above this many rows the example's TS models get BIG_MODEL_MEMORY instead of their declared
 * heap limit: euro_selection keeps ~20% of the rows in JS arrays (at 100M rows 21M ids and
 * strings), more than its "2GB".
 */
const BIG_MODEL_ROWS = 20_000_000;
const BIG_MODEL_MEMORY = "8GB";

function raiseModelMemory(dir, log) {
  for (const file of readdirSync(path.join(dir, "models")).filter((f) => f.endsWith(".ts"))) {
    const full = path.join(dir, "models", file);
    const text = readFileSync(full, "utf8");
    const raised = text.replace(/memory: "[^"]*"/, `memory: "${BIG_MODEL_MEMORY}"`);
    if (raised === text) continue;
    writeFileSync(full, raised);
    log(`  models/${file}: memory raised to ${BIG_MODEL_MEMORY} for this size (the example's value is for up to ~10M rows)`);
  }
}

export async function run({ opts, size: rows, tmp, log }) {
  const dir = path.join(tmp, "mixed-pipeline");
  cpSync(path.join(EXAMPLE, "models"), path.join(dir, "models"), { recursive: true });
  cpSync(path.join(EXAMPLE, "bp_project.yml"), path.join(dir, "bp_project.yml"));
  if (rows > BIG_MODEL_ROWS) raiseModelMemory(dir, log);
  log(`  generating ${rows} rows with example-project/generate-data.mjs`);
  const gen = await runNode([path.join(EXAMPLE, "generate-data.mjs"), String(rows), path.join(dir, "data")]);
  if (gen.code !== 0) throw new Error(`generate-data.mjs failed: ${gen.stderr}`);
  const lakeFile = await importSource(dir, path.join(dir, "data", "transactions.parquet"), "transactions");
  rmSync(path.join(dir, "data"), { recursive: true });
  const statements = baselineStatements(dir);
  const outDir = path.join(tmp, "mixed-baseline");
  const outFile = (t) => path.join(outDir, `${t}.parquet`);

  const edgeSums = [];
  const runSeconds = [];
  const byTransport = {}; // "transport -> location" -> totals over the measured builds
  const m = await measurePair({
    label: "mixed-pipeline",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async (round) => {
      const r = await bp(["build", "--no-cache", "--json", "-p", dir]);
      // NDJSON events; the last one, run-end, carries the RunResult
      const result = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)).result;
      if (!result) throw new Error(`mixed-pipeline: build stopped before running: ${r.stderr}`);
      if (!result.ok) throw new Error(`mixed-pipeline: build not ok: ${r.stdout}`);
      if (round >= 0) {
        edgeSums.push(result.edges.reduce((s, e) => s + e.seconds, 0));
        runSeconds.push(result.seconds);
        for (const e of result.edges) {
          const k = `${e.transport} -> ${e.location}`;
          const t = (byTransport[k] ??= { seconds: 0, bytes: 0, edges: 0 });
          t.seconds += e.seconds;
          t.bytes += e.shared ? 0 : (e.bytes ?? 0);
          t.edges += 1;
        }
      }
      return r.seconds;
    },
    baseline: async () => {
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir, { recursive: true });
      const t0 = performance.now();
      await withDuckDB(async (conn) => {
        await conn.run(`CREATE VIEW transactions AS SELECT * FROM read_parquet(${sqlString(lakeFile)})`);
        for (const [name, sql] of statements) await conn.run(`CREATE TABLE ${name} AS (\n${sql}\n)`);
        for (const t of Object.keys(MATERIALIZED)) await conn.run(`COPY ${t} TO ${sqlString(outFile(t))} (FORMAT parquet, COMPRESSION zstd)`);
      });
      return (performance.now() - t0) / 1000;
    },
    log,
  });

  for (const [t, q] of Object.entries(MATERIALIZED)) {
    const bpRows = JSON.parse((await bp(["query", q, "--json", "--max-rows", "10000000", "-p", dir])).stdout);
    const baseRows = await withDuckDB((conn) => rowsOf(conn, q.replace(`FROM ${t}`, `FROM read_parquet(${sqlString(outFile(t))})`)));
    assertSameRows(`mixed-pipeline ${t}`, bpRows, baseRows);
  }
  log(`  results match (usd_by_country, client_segments, segment_summary)`);
  log(`  runPlan seconds (median): ${median(runSeconds).toFixed(3)}; edges by transport -> location, per build: ` +
    Object.entries(byTransport)
      .map(([k, t]) => `${k}: ${t.edges / opts.repeat} edges, ${((t.seconds / opts.repeat) * 1e3).toFixed(0)} ms, ${(t.bytes / opts.repeat / 2 ** 20).toFixed(1)} MiB`)
      .join("; "));

  const size = `${rows.toLocaleString("en-US")} rows, 5 models (2 ts)`;
  return [
    {
      case: "mixed-pipeline",
      size,
      median: m.bpMedian,
      baselineName: "DuckDB CTAS x5 + COPY x3 (in-process)",
      baselineMedian: m.baselineMedian,
      unit: "s",
      samples: m.samples.bp,
      baselineSamples: m.samples.baseline,
    },
    {
      case: "mixed-pipeline/edges",
      size,
      median: median(edgeSums),
      baselineName: "bp build total (same runs)",
      baselineMedian: m.bpMedian,
      unit: "s",
      samples: edgeSums,
      baselineSamples: m.samples.bp,
    },
  ];
}
