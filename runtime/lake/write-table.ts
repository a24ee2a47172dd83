/**
 * Writes a DuckDB table or query into the lake as one new Parquet data file and returns its
 * TableEntry. Nothing is committed: the caller commits many tables together.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { WriteTableError, firstLine } from "./errors.js";
import type { Lake } from "./lake.js";
import { assertTableName } from "./names.js";
import { quoteString, stripTrailingSemicolons } from "./sql-quote.js";
import type { ColumnSchema, TableEntry } from "./types.js";

/** A bare or dotted, optionally double-quoted, table name (as opposed to a query). */
const TABLE_REF_RE = /^\s*(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")){0,2}\s*$/;

/** The schema of a Parquet data file as DuckDB reads it. */
export async function describeDataFile(conn: DuckDBConnection, location: string): Promise<ColumnSchema[]> {
  const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteString(location)})`);
  return reader.getRowObjectsJS().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
}

/**
 * COPY `SELECT ...` to a new data file of `table`. On any failure the file is removed and the
 * error is rethrown unchanged.
 */
export async function copySelectToLake(
  lake: Lake,
  conn: DuckDBConnection,
  selectSql: string,
  table: string,
): Promise<TableEntry> {
  assertTableName(table);
  const file = lake.newDataFile(table);
  try {
    const result = await conn.run(
      `COPY (\n${stripTrailingSemicolons(selectSql)}\n) TO ${quoteString(file.absolute)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const rows = Number(result.rowsChanged);
    const schema = await describeDataFile(conn, lake.dataFileLocation(file.path));
    const bytes = await lake.storage.size(file.path);
    if (bytes === null) throw new Error(`DuckDB did not write ${file.absolute}`);
    return { schema, rows, bytes, files: [{ path: file.path, rows, bytes }] };
  } catch (e) {
    await lake.discardDataFile(file.path).catch(() => undefined);
    throw e;
  }
}

/**
 * Writes a DuckDB table (`orders`, `main.orders`, `"My Table"`) or a query (`SELECT ...`) to a new
 * data file of lake table `table`. Not committed.
 */
export async function writeTableToLake(
  lake: Lake,
  conn: DuckDBConnection,
  sqlOrTableName: string,
  table: string,
): Promise<TableEntry> {
  assertTableName(table);
  const select = TABLE_REF_RE.test(sqlOrTableName) ? `SELECT * FROM ${sqlOrTableName.trim()}` : sqlOrTableName;
  try {
    return await copySelectToLake(lake, conn, select, table);
  } catch (e) {
    throw new WriteTableError(table, `cannot write table ${table} to the lake: ${firstLine(e)}`, { cause: e });
  }
}
