/**
 * SQL that reads lake tables: `scanSql` for one table (projection + filter pushed into the
 * read_parquet scan) and `createLakeViews` to expose every table of a ref as a DuckDB view.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { UnknownColumnError } from "./errors.js";
import type { Lake } from "./lake.js";
import { prepareLakeScan } from "./scan-cache/prepare-scan.js";
import { quoteIdent, quoteString } from "./sql-quote.js";
import type { ColumnSchema, TableEntry } from "./types.js";

/** Selected when a scan needs no column at all (e.g. only `count(*)`): keeps the row count. */
export const NO_COLUMNS_PLACEHOLDER = "__bp_no_columns";

function pickColumns(entry: TableEntry, columns: readonly string[] | undefined): ColumnSchema[] {
  if (columns === undefined) return entry.schema;
  return columns.map((name) => {
    const found =
      entry.schema.find((c) => c.name === name) ??
      entry.schema.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (found === undefined) throw new UnknownColumnError(name, entry.schema.map((c) => c.name));
    return found;
  });
}

/**
 * `SELECT "c1","c2" FROM read_parquet([...]) WHERE (<filter>)` over the table's data files.
 * `columns` omitted: every column of the schema, in order. Names match the schema
 * case-insensitively (as DuckDB does) and are emitted as stored; an unknown one throws
 * UnknownColumnError. An empty list selects one placeholder column `__bp_no_columns` (so
 * `count(*)` still sees every row). A table with no data files yields an empty result with the
 * same column names and types.
 */
export function scanSql(
  lake: Lake,
  entry: TableEntry,
  columns?: readonly string[],
  filter?: string | null,
): string {
  const cols = pickColumns(entry, columns);
  const list =
    cols.length === 0
      ? `true AS ${quoteIdent(NO_COLUMNS_PLACEHOLDER)}`
      : cols.map((c) => quoteIdent(c.name)).join(", ");
  const hasFilter = filter !== undefined && filter !== null && filter.trim() !== "";
  if (entry.files.length === 0) {
    // Every schema column is typed, so a filter over unselected columns still binds.
    const typed = entry.schema.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
    if (typed.length === 0) typed.push(`NULL AS ${quoteIdent(NO_COLUMNS_PLACEHOLDER)}`);
    const where = hasFilter ? `false AND (${filter})` : "false";
    return `SELECT ${list} FROM (SELECT ${typed.join(", ")}) AS empty_table WHERE ${where}`;
  }
  const files = entry.files.map((f) => quoteString(lake.dataFileLocation(f.path))).join(", ");
  const from = `read_parquet([${files}])`;
  return hasFilter ? `SELECT ${list} FROM ${from} WHERE (${filter})` : `SELECT ${list} FROM ${from}`;
}

/**
 * Creates (or replaces) one view per table of `ref` (default "main"), named like the table, for
 * `bp query`. Returns the table names, sorted.
 *
 * On a remote lake each view's data files go through the scan cache first. With `sql` (the query the
 * views are for), only tables the query names (as a whole word anywhere in its text, quoted or not,
 * any case) get every column fetched; the others get their footers only, enough to define the view.
 */
export async function createLakeViews(lake: Lake, conn: DuckDBConnection, ref?: string, options: { sql?: string } = {}): Promise<string[]> {
  const tables = await lake.tables(ref);
  const names = Object.keys(tables).sort();
  const named = options.sql === undefined ? null : wordsOf(options.sql);
  for (const name of names) {
    const entry = tables[name];
    if (entry === undefined) continue;
    await prepareLakeScan(lake, entry, named === null || named.has(name.toLowerCase()) ? null : []);
    await conn.run(`CREATE OR REPLACE VIEW ${quoteIdent(name)} AS ${scanSql(lake, entry)}`);
  }
  return names;
}

/** Every identifier-like word of a text, lower case (a superset of the tables a query can read). */
function wordsOf(sql: string): Set<string> {
  return new Set([...sql.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0].toLowerCase()));
}
