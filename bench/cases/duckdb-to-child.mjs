// duckdb-to-child: the DuckDB -> TS edge at N rows of (id BIGINT, usd DOUBLE, country VARCHAR,
// ts TIMESTAMP), whole wall time: bp's path (queryToArrowIPCFile into /dev/shm, then a node child
// mapping it with bp's addon, tableFromIPC, summing usd) vs the Parquet route (COPY ... TO parquet
// in /dev/shm, then a node child reading it with DuckDB into an Arrow Table, summing usd).
import { rmSync } from "node:fs";
import path from "node:path";
import { queryToArrowIPCFile } from "../../dist/runtime/arrow/duckdb-to-arrow.js";
import { sqlString } from "../lib/data.mjs";
import { checkChild, openEdgeTable, readInChild, shmFolder } from "../lib/edge.mjs";
import { measurePair } from "../lib/timing.mjs";

/** One run per --rows count. */
export const sizes = (opts) => opts.rows;

export async function run({ opts, size: rows, log, onCleanup }) {
  const shm = shmFolder("bp-bench-edge-", onCleanup);
  const edge = await openEdgeTable(rows);
  try {
    const arrowFile = path.join(shm.dir, "edge.arrow");
    const parquetFile = path.join(shm.dir, "edge.parquet");
    const split = { bp: [], baseline: [] };
    const m = await measurePair({
      label: "duckdb-to-child",
      repeat: opts.repeat,
      warmup: opts.warmup,
      bp: async () => {
        const t0 = performance.now();
        await queryToArrowIPCFile(edge.conn, "SELECT * FROM edge", arrowFile);
        const t1 = performance.now();
        const child = await readInChild("mmap", arrowFile);
        const seconds = (performance.now() - t0) / 1000;
        checkChild("duckdb-to-child bp", child.json, rows, edge.expected, "mmap");
        split.bp.push({ export: (t1 - t0) / 1000, child: child.seconds, read: child.json.readSeconds });
        rmSync(arrowFile);
        return seconds;
      },
      baseline: async () => {
        const t0 = performance.now();
        await edge.conn.run(`COPY (SELECT * FROM edge) TO ${sqlString(parquetFile)} (FORMAT parquet)`);
        const t1 = performance.now();
        const child = await readInChild("parquet", parquetFile);
        const seconds = (performance.now() - t0) / 1000;
        checkChild("duckdb-to-child baseline", child.json, rows, edge.expected);
        split.baseline.push({ export: (t1 - t0) / 1000, child: child.seconds, read: child.json.readSeconds });
        rmSync(parquetFile);
        return seconds;
      },
      log,
    });
    const last = (xs) => xs[xs.length - 1];
    const fmt = (s) => `export ${(s.export * 1e3).toFixed(0)} ms, child ${(s.child * 1e3).toFixed(0)} ms (of which read+sum ${(s.read * 1e3).toFixed(0)} ms)`;
    log(`  split of the last run: bp: ${fmt(last(split.bp))}; baseline: ${fmt(last(split.baseline))}`);
    return [{
      case: "duckdb-to-child",
      size: `${rows.toLocaleString("en-US")} rows x 4 cols`,
      median: m.bpMedian,
      baselineName: "COPY to Parquet + child: DuckDB -> Arrow",
      baselineMedian: m.baselineMedian,
      unit: "s",
      samples: m.samples.bp,
      baselineSamples: m.samples.baseline,
    }];
  } finally {
    edge.close();
    shm.remove();
  }
}
