// Data generation (deterministic, with DuckDB) and small DuckDB helpers shared by the cases.
import { DuckDBInstance } from "@duckdb/node-api";

/** A SQL string literal. */
export function sqlString(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** Runs `fn(conn)` on a fresh in-memory DuckDB, closed afterwards. */
export async function withDuckDB(fn, config) {
  const db = await DuckDBInstance.create(":memory:", config);
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export const COUNTRIES = ["DE", "FR", "IT", "ES", "NL", "PT", "IE", "AT", "BE", "PL", "SE", "US", "CA", "BR", "JP", "IN", "AU", "MX"];
const CATEGORIES = ["electronics", "books", "grocery", "fashion", "toys"];
const list = (xs) => `[${xs.map(sqlString).join(", ")}]`;

/**
 * Transactions (id BIGINT, ts TIMESTAMP, usd DOUBLE, country VARCHAR, client_id BIGINT,
 * category VARCHAR) of `rows` rows, as a SELECT (hash-based, so the same for every run).
 */
export function transactionsSelect(rows) {
  return `SELECT
    i::BIGINT AS id,
    TIMESTAMP '2023-01-01' + to_microseconds((hash(i, 'ts') % 31536000000000)::BIGINT) AS ts,
    round(((hash(i, 'usd') % 100000) / 100.0 + 1)::DOUBLE, 2) AS usd,
    (${list(COUNTRIES)})[(hash(i, 'country') % ${COUNTRIES.length})::INTEGER + 1] AS country,
    (hash(i, 'client') % ${Math.max(10, Math.round(rows / 50))})::BIGINT AS client_id,
    (${list(CATEGORIES)})[(hash(i, 'cat') % ${CATEGORIES.length})::INTEGER + 1] AS category
  FROM range(${rows}) t(i)`;
}

/** The DuckDB -> TS edge table: (id BIGINT, usd DOUBLE, country VARCHAR, ts TIMESTAMP), `rows` rows. */
export function edgeSelect(rows) {
  return `SELECT
    i::BIGINT AS id,
    round(((hash(i, 'usd') % 100000) / 100.0 + 1)::DOUBLE, 2) AS usd,
    (${list(COUNTRIES)})[(hash(i, 'country') % ${COUNTRIES.length})::INTEGER + 1] AS country,
    TIMESTAMP '2023-01-01' + to_microseconds((hash(i, 'ts') % 31536000000000)::BIGINT) AS ts
  FROM range(${rows}) t(i)`;
}

/** Writes `select` to a Parquet file (zstd, like bp's lake). */
export async function writeParquet(select, file) {
  await withDuckDB((conn) => conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`));
}

/** All rows of `sql` as JS objects (numbers for BIGINT, etc.). */
export async function rowsOf(conn, sql) {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS();
}

/**
 * Compares two row lists (already in the same order): equal keys exactly, numbers within a
 * relative 1e-9 (parallel sums may add in another order). Throws on the first difference.
 */
export function assertSameRows(label, a, b) {
  if (a.length !== b.length) throw new Error(`${label}: bp has ${a.length} rows, baseline ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const ka = Object.keys(a[i]);
    for (const k of ka) {
      let x = a[i][k];
      let y = b[i][k];
      if (typeof x === "bigint") x = Number(x);
      if (typeof y === "bigint") y = Number(y);
      const same = typeof x === "number" && typeof y === "number"
        ? Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))
        : String(x) === String(y);
      if (!same) throw new Error(`${label}: row ${i} column ${k}: bp ${String(x)} vs baseline ${String(y)}`);
    }
  }
}
