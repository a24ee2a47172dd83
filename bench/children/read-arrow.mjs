// Child of the duckdb-to-child and child-read cases: opens an Arrow IPC file, sums `usd`, prints
// {readSeconds, mode, rows, columns, sum} as JSON.
//   node read-arrow.mjs FILE mmap   bp's TS child path: readFileBytes (the native addon's mapping)
//   node read-arrow.mjs FILE read   readFileSync (a copy of the whole file into the heap)
// readSeconds: from "starts reading" (the addon is loaded lazily, inside) to "has the Table and
// has summed usd".
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";
import { readFileBytes } from "../../dist/runtime/native/index.js";
import { sumColumn } from "./sum.mjs";

const [file, how] = process.argv.slice(2);
if (how !== "mmap" && how !== "read") throw new Error(`usage: read-arrow.mjs FILE mmap|read (got ${how})`);
const t0 = performance.now();
const { bytes, mode, reason } = how === "mmap" ? readFileBytes(file) : { bytes: readFileSync(file), mode: "read" };
const table = tableFromIPC(bytes);
const sum = sumColumn(table.getChild("usd"));
const readSeconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ readSeconds, mode, reason, rows: table.numRows, columns: table.numCols, sum })}\n`);
