// Child of the child-read case (its baseline): opens a Parquet file with DuckDB (@duckdb/node-api)
// in this process and turns the result into an apache-arrow Table with bp's DuckDB -> Arrow export
// (runtime/arrow, the native bridge when built: vectors copied into Arrow buffers in C), then sums
// `usd`; prints {readSeconds, openSeconds, path, rows, columns, sum}. The quickest way in this stack
// from a Parquet file to an Arrow Table in a JS process. openSeconds (DuckDB instance + connection)
// is part of readSeconds.
import { DuckDBInstance } from "@duckdb/node-api";
import { bridgeCounters } from "../../dist/runtime/arrow/bridge.js";
import { queryToArrowTable } from "../../dist/runtime/arrow/duckdb-to-arrow.js";
import { sumColumn } from "./sum.mjs";

const file = process.argv[2];
const t0 = performance.now();
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
const openSeconds = (performance.now() - t0) / 1000;
const table = await queryToArrowTable(conn, `SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
const sum = sumColumn(table.getChild("usd"));
const readSeconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ readSeconds, openSeconds, path: bridgeCounters.exportJs > 0 ? "js" : "native", rows: table.numRows, columns: table.numCols, sum })}\n`);
conn.closeSync();
db.closeSync();
