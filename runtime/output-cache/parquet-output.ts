/**
 * A SQL model's output as a Parquet file of the output cache, and back. Parquet has no 128-bit
 * integers (DuckDB would write HUGEINT as DOUBLE and lose digits), so those are written as
 * DECIMAL(38,0); the view reading the file casts every column back to the type DuckDB gave it.
 */
import type { ColumnSchema } from "../../compiler/plan-types.js";
import { quoteIdent, quoteString } from "../sql-quote.js";

const WIDE = new Set(["HUGEINT", "UHUGEINT"]);

/** The SELECT list writing `schema`'s columns to Parquet without loss. */
export function parquetSelectList(schema: readonly ColumnSchema[]): string {
  return schema.map((c) => (WIDE.has(c.type) ? `CAST(${quoteIdent(c.name)} AS DECIMAL(38,0)) AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(", ");
}

/** `CREATE VIEW name AS ...` over `select` (a Parquet read), its columns cast to `schema` when known. */
export function typedViewSql(name: string, select: string, schema: readonly ColumnSchema[] | null): string {
  const typed = schema === null ? "*" : schema.map((c) => `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(", ");
  return `CREATE VIEW ${quoteIdent(name)} AS SELECT ${typed} FROM (${select})`;
}

export function readParquetSql(file: string): string {
  return `SELECT * FROM read_parquet(${quoteString(file)})`;
}
