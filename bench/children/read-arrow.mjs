// Child of the duckdb-to-child and child-read cases: reads an Arrow IPC file the way bp's TS child
// does (readFileSync + tableFromIPC), sums `usd`, prints {readSeconds, rows, sum} as JSON.
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const file = process.argv[2];
const t0 = performance.now();
const table = tableFromIPC(readFileSync(file));
let sum = 0;
for (const data of table.getChild("usd").data) {
  const values = data.values;
  for (let i = 0; i < data.length; i++) sum += values[i];
}
const readSeconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ readSeconds, rows: table.numRows, columns: table.numCols, sum })}\n`);
