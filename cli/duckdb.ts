import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

/** A throwaway in-memory DuckDB for one CLI command. */
export async function withDuckDB<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
