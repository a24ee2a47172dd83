/**
 * The few DuckDB calls the SQL compiler makes, over one connection: DuckDB's own parser
 * (`json_serialize_sql`), its unoptimized logical plan (`json_serialize_plan`) and its
 * SQL printer (`json_deserialize_sql`). None of them runs the user's query.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Json, parseDuckJson, stringifyDuckJson } from "./sql-json.js";

export type { DuckDBConnection };

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function scalarText(conn: DuckDBConnection, sql: string, param: string): Promise<string> {
  const reader = await conn.runAndReadAll(sql, [param]);
  const value = reader.getRows()[0]?.[0];
  if (typeof value !== "string") throw new Error(`DuckDB returned no text for: ${sql}`);
  return value;
}

/** DuckDB's parse tree of `sql`, or its error object (`{error: true, error_type, error_message, position}`). */
export async function serializeSql(conn: DuckDBConnection, sql: string): Promise<Json> {
  return parseDuckJson(await scalarText(conn, "SELECT json_serialize_sql(?::VARCHAR)", sql));
}

/** DuckDB's bound, unoptimized logical plan of `sql`, or its error object. */
export async function serializePlan(conn: DuckDBConnection, sql: string): Promise<Json> {
  return parseDuckJson(await scalarText(conn, "SELECT json_serialize_plan(?::VARCHAR)", sql));
}

/** SQL text of a `json_serialize_sql`-shaped document. */
export async function deserializeSql(conn: DuckDBConnection, document: Json): Promise<string> {
  return scalarText(conn, "SELECT json_deserialize_sql(?::JSON)", stringifyDuckJson(document));
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
