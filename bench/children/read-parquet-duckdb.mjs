// Child of the duckdb-to-child and child-read cases (the baseline): opens a Parquet file with
// DuckDB (@duckdb/node-api), materializes all its columns in JS (reader.getColumns()), sums `usd`
// in JS, prints {readSeconds, openSeconds, rows, sum} as JSON. openSeconds (instance + connection)
// is part of readSeconds.
import { DuckDBInstance } from "@duckdb/node-api";
import { sumValues } from "./sum.mjs";

const file = process.argv[2];
const t0 = performance.now();
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
const openSeconds = (performance.now() - t0) / 1000;
const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
const names = reader.columnNames();
const columns = reader.getColumns(); // column-major: one JS array of values per column
const usd = columns[names.indexOf("usd")];
const sum = sumValues(usd, usd.length);
const readSeconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ readSeconds, openSeconds, rows: reader.currentRowCount, columns: columns.length, sum })}\n`);
conn.closeSync();
db.closeSync();
