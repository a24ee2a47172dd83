// child-read: only the child's read at N rows, timed inside the child (performance.now() from
// "starts reading" to "has the table and summed usd"): the Arrow IPC file in /dev/shm with
// readFileSync + tableFromIPC vs the same rows as a Parquet file in /dev/shm read with DuckDB and
// materialized in JS (all 4 columns, reader.getColumns()), usd summed in JS.
import path from "node:path";
import { queryToArrowIPCFile } from "../../dist/runtime/arrow/duckdb-to-arrow.js";
import { sqlString } from "../lib/data.mjs";
import { checkChild, openEdgeTable, readArrowInChild, readParquetInChild, shmFolder } from "../lib/edge.mjs";
import { measurePair } from "../lib/timing.mjs";

export async function run({ opts, log, onCleanup }) {
  const shm = shmFolder("bp-bench-read-", onCleanup);
  const edge = await openEdgeTable(opts.rows);
  try {
    const arrowFile = path.join(shm.dir, "edge.arrow");
    const parquetFile = path.join(shm.dir, "edge.parquet");
    await queryToArrowIPCFile(edge.conn, "SELECT * FROM edge", arrowFile);
    await edge.conn.run(`COPY (SELECT * FROM edge) TO ${sqlString(parquetFile)} (FORMAT parquet)`);
    edge.close(); // the children run alone
    let open = [];
    const m = await measurePair({
      label: "child-read",
      repeat: opts.repeat,
      warmup: opts.warmup,
      bp: async () => {
        const child = await readArrowInChild(arrowFile);
        checkChild("child-read bp", child.json, opts.rows, edge.expected);
        return child.json.readSeconds;
      },
      baseline: async () => {
        const child = await readParquetInChild(parquetFile);
        checkChild("child-read baseline", child.json, opts.rows, edge.expected);
        open.push(child.json.openSeconds);
        return child.json.readSeconds;
      },
      log,
    });
    log(`  baseline includes DuckDB instance+connection: ${(open[open.length - 1] * 1e3).toFixed(1)} ms in the last run`);
    return [{
      case: "child-read",
      size: `${opts.rows.toLocaleString("en-US")} rows x 4 cols`,
      median: m.bpMedian,
      baselineName: "Parquet read with DuckDB -> JS columns",
      baselineMedian: m.baselineMedian,
      unit: "s",
    }];
  } finally {
    shm.remove();
  }
}
