// Child of the fanout-memory case: opens an Arrow IPC file (mmap: bp's readFileBytes, the addon's
// mapping; read: readFileSync), sums `usd`, touches every page of the table (a model reading all its
// columns: the whole table is resident), prints {pid, mode, reason, rows, sum, bytes} as one JSON
// line, then holds the table until its stdin closes (the parent reads /proc/<pid>/smaps meanwhile).
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";
import { readFileBytes } from "../../dist/runtime/native/index.js";
import { sumColumn } from "./sum.mjs";

const [file, how] = process.argv.slice(2);
if (how !== "mmap" && how !== "read") throw new Error(`usage: hold-table.mjs FILE mmap|read (got ${how})`);
const { bytes, mode, reason } = how === "mmap" ? readFileBytes(file) : { bytes: readFileSync(file), mode: "read" };
const table = tableFromIPC(bytes);
const sum = sumColumn(table.getChild("usd"));
let touched = 0;
for (let i = 0; i < bytes.length; i += 4096) touched += bytes[i];
process.stdout.write(`${JSON.stringify({ pid: process.pid, mode, reason, rows: table.numRows, columns: table.numCols, sum, bytes: bytes.length, touched })}\n`);
process.stdin.on("end", () => {
  globalThis.held = table; // keep the table alive until here
  process.exit(0);
});
process.stdin.resume();
