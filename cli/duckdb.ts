import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { requireCjs } from "../compiler/require-cjs.js";

/** A throwaway in-memory DuckDB for one CLI command. */
export async function withDuckDB<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  // require(), not import: see compiler/require-cjs.ts (~0.1 s of every command).
  const { DuckDBInstance: Instance } = requireCjs("@duckdb/node-api") as { DuckDBInstance: typeof DuckDBInstance };
  const db = await Instance.create(":memory:");
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
