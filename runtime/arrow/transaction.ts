/**
 * Transactions around a load or an export: a transaction of our own, or the caller's when one is
 * already open on the connection. Asking DuckDB with a BEGIN that fails is not an option: inside a
 * transaction, that failed BEGIN aborts the caller's transaction.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * True when `conn` has an explicit transaction open (BEGIN not yet committed or rolled back).
 * Two statements see the same transaction id only inside one (in auto-commit mode each statement
 * is a transaction of its own).
 */
export async function inTransaction(conn: DuckDBConnection): Promise<boolean> {
  const id = async (): Promise<unknown> => (await conn.runAndReadAll("SELECT txid_current()")).getRows()[0]![0];
  return (await id()) === (await id());
}

/** Begins a transaction unless one is open; true when it began one (the caller must end it). */
export async function beginUnlessOpen(conn: DuckDBConnection): Promise<boolean> {
  if (await inTransaction(conn)) return false;
  await conn.run("BEGIN TRANSACTION");
  return true;
}
