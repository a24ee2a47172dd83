// child-read (a Table 3 analogue): a node child gets the N-row parent table (id BIGINT, usd DOUBLE,
// country VARCHAR, ts TIMESTAMP) and times itself from "starts reading" to "has a Table and has
// summed usd". Readers (bench/lib/edge.mjs): the Arrow IPC file in /dev/shm mapped with bp's addon
// (bp's TS child path), the Arrow IPC file on disk read with readFileSync, a JSON-lines file parsed
// into an Arrow Table, and the Parquet file (zstd, as in bp's lake) read by DuckDB in the child into
// JS arrays. Baseline of every row: the same Parquet file read by DuckDB in the child into an Arrow
// Table (the quickest Parquet -> Table route available to a JS process). Disk files are read from a
// warm page cache (the bench does not drop caches).
import path from "node:path";
import { queryToArrowIPCFile } from "../../dist/runtime/arrow/duckdb-to-arrow.js";
import { sqlString } from "../lib/data.mjs";
import { checkChild, openEdgeTable, readInChild, shmFolder } from "../lib/edge.mjs";
import { measureRounds } from "../lib/timing.mjs";

const BASELINE = "parquet";
/** [figure, reader, what it reads] in table order; the baseline reader runs too, with no row of its own. */
const FIGURES = [
  ["child-read/mmap", "mmap", "Arrow IPC in /dev/shm, mapped (bp)"],
  ["child-read/file", "read", "Arrow IPC on disk, readFileSync"],
  ["child-read/json", "json", "JSON lines on disk -> Arrow Table"],
  ["child-read/parquet-js", "parquet-js", "Parquet -> DuckDB -> JS arrays"],
];

/** One run per --rows count. */
export const sizes = (opts) => opts.rows;

export async function run({ opts, size: rows, tmp, log, onCleanup }) {
  const shm = shmFolder("bp-bench-read-", onCleanup);
  const edge = await openEdgeTable(rows);
  try {
    const files = {
      mmap: path.join(shm.dir, "edge.arrow"),
      read: path.join(tmp, "edge.arrow"),
      parquet: path.join(tmp, "edge.parquet"),
      "parquet-js": path.join(tmp, "edge.parquet"),
      json: path.join(tmp, "edge.json"),
    };
    log(`  writing the ${rows}-row table as Arrow IPC (/dev/shm and disk), Parquet and JSON lines`);
    await queryToArrowIPCFile(edge.conn, "SELECT * FROM edge", files.mmap);
    await queryToArrowIPCFile(edge.conn, "SELECT * FROM edge", files.read);
    await edge.conn.run(`COPY edge TO ${sqlString(files.parquet)} (FORMAT parquet, COMPRESSION zstd)`);
    await edge.conn.run(`COPY edge TO ${sqlString(files.json)} (FORMAT json)`);
    edge.close(); // the children run alone

    const reader = (name) => async () => {
      const child = await readInChild(name, files[name]);
      checkChild(`child-read ${name}`, child.json, rows, edge.expected, name);
      return { value: child.json.readSeconds, child: child.json };
    };
    const names = [BASELINE, ...FIGURES.map(([, r]) => r)];
    const m = await measureRounds({
      label: "child-read",
      repeat: opts.repeat,
      warmup: opts.warmup,
      sides: Object.fromEntries(names.map((n) => [n, reader(n)])),
      log,
    });
    const base = m[BASELINE].extras.at(-1).child;
    log(`  baseline: DuckDB instance + connection ${(base.openSeconds * 1e3).toFixed(1)} ms of it, DuckDB -> Arrow copy path: ${base.path}`);
    const size = `${rows.toLocaleString("en-US")} rows x 4 cols`;
    return FIGURES.map(([figure, name, what]) => ({
      case: figure,
      size,
      median: m[name].median,
      baselineName: "Parquet -> DuckDB -> Arrow Table",
      baselineMedian: m[BASELINE].median,
      unit: "s",
      samples: m[name].samples,
      baselineSamples: m[BASELINE].samples,
      what,
    }));
  } finally {
    edge.close();
    shm.remove();
  }
}
