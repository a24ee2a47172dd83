// Shared by the duckdb-to-child, child-read and fanout-memory cases: the edge table in a DuckDB of
// this process, a shared-memory folder, and the reader children.
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { edgeSelect } from "./data.mjs";
import { runNodeJson } from "./proc.mjs";

const CHILDREN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "children");

/**
 * A fresh folder in /dev/shm (or the temp folder when /dev/shm is not writable), and its remover,
 * also registered with `onCleanup` (run by run.mjs on Ctrl-C).
 */
export function shmFolder(prefix, onCleanup) {
  let base = "/dev/shm";
  try {
    accessSync(base, constants.W_OK);
  } catch {
    base = os.tmpdir();
  }
  const dir = mkdtempSync(path.join(base, prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onCleanup?.(remove);
  return { dir, remove };
}

/** An in-memory DuckDB holding table `edge` of `rows` rows (id, usd, country, ts). */
export async function openEdgeTable(rows) {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run(`CREATE TABLE edge AS ${edgeSelect(rows)}`);
  const expected = Number((await conn.runAndReadAll("SELECT sum(usd) FROM edge")).getRows()[0][0]);
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    conn.closeSync();
    db.closeSync();
  };
  return { conn, expected, close };
}

// Every reader child gets the same large heap limit so that the JS-materializing ones can hold 10M rows.
const nodeArgs = ["--max-old-space-size=16384"];

/**
 * The reader children (bench/children/), each timing itself from "starts reading" to "has the
 * table and summed usd" (json.readSeconds):
 *   mmap          Arrow IPC file, mapped with bp's addon (readFileBytes, as bp's TS child does)
 *   read          Arrow IPC file, readFileSync + tableFromIPC
 *   parquet       Parquet file, DuckDB in the child -> Arrow Table (bp's DuckDB -> Arrow export)
 *   parquet-js    Parquet file, DuckDB in the child -> JS arrays (reader.getColumns())
 *   json          JSON-lines file, JSON.parse -> Arrow Table
 */
const READERS = {
  mmap: ["read-arrow.mjs", "mmap"],
  read: ["read-arrow.mjs", "read"],
  parquet: ["read-parquet-arrow.mjs"],
  "parquet-js": ["read-parquet-duckdb.mjs"],
  json: ["read-json.mjs"],
};

/** Runs reader `name` on `file`: {seconds (whole child), json: {readSeconds, rows, columns, sum, ...}}. */
export function readInChild(name, file) {
  const [script, ...args] = READERS[name];
  return runNodeJson([path.join(CHILDREN, script), file, ...args], { nodeArgs });
}

/** Throws unless a child read every row and summed usd to the expected total (and mapped, for mmap). */
export function checkChild(label, json, rows, expected, reader) {
  if (reader === "mmap" && json.mode !== "mmap") throw new Error(`${label}: the child did not map the file (mode ${json.mode}: ${json.reason}); build the addon with \`npm run build:native\``);
  if (json.rows !== rows || json.columns !== 4) throw new Error(`${label}: child read ${json.rows} rows x ${json.columns} columns, expected ${rows} x 4`);
  if (Math.abs(json.sum - expected) > 1e-6 * Math.max(1, Math.abs(expected))) throw new Error(`${label}: child summed ${json.sum}, expected ${expected}`);
}
