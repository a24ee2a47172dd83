/** Quoting and table description for SQL the runtime generates (the lake's quoting, shared). */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnSchema } from "../compiler/plan-types.js";
import { quoteIdent } from "./lake/sql-quote.js";

export { quoteIdent, quoteString } from "./lake/sql-quote.js";

/** The columns of a DuckDB table or view, as DESCRIBE prints them. */
export async function describeTable(conn: DuckDBConnection, table: string): Promise<ColumnSchema[]> {
  const reader = await conn.runAndReadAll(`DESCRIBE ${quoteIdent(table)}`);
  return reader.getRowObjectsJS().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
}
