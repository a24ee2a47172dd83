/**
 * The few DuckDB calls the SQL compiler makes, over one connection: DuckDB's own parser
 * (`json_serialize_sql`), its unoptimized logical plan (`json_serialize_plan`) and its
 * SQL printer (`json_deserialize_sql`). None of them runs the user's query.
 * Each has a batched form (`...Many`) that handles many texts in ONE statement: a round trip
 * through @duckdb/node-api costs ~1 ms, far more than parsing or binding a model.
 */
import type { DuckDBClient } from "./duckdb-client.js";
import { type Json, parseDuckJson, stringifyDuckJson } from "./sql-json.js";

/** The connection every SQL tool uses. */
export type DuckDBConnection = DuckDBClient;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function scalarText(conn: DuckDBConnection, sql: string, param: string): Promise<string> {
  const value = (await conn.rows(sql, [param]))[0]?.[0];
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

/** A SQL string literal: the text inlined, so the statement runs in one call (no prepare/bind hops). */
export function sqlStringLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Whether `text` can be inlined as a literal exactly (a NUL byte cannot). */
export function isInlinable(text: string): boolean {
  return !text.includes("\0");
}

/** Batches of at most ~4 MB of text / 2,000 items, so no single statement grows without bound. */
export function chunked<T>(items: readonly T[], size: (item: T) => number, maxItems = 2000, maxChars = 4_000_000): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || chars + size(item) > maxChars)) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += size(item);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * `fn(text)` for every text, in as few statements as possible: `SELECT i, fn(q) FROM (VALUES ...)`.
 * The results are the raw texts DuckDB returned, in input order. Throws when a statement fails as
 * a whole (the functions above report parse and bind errors as data, so that is unexpected).
 */
async function scalarTextMany(conn: DuckDBConnection, fn: string, texts: readonly string[], cast = ""): Promise<string[]> {
  const results = new Array<string>(texts.length);
  const indexed = texts.map((text, i) => ({ text, i }));
  for (const chunk of chunked(indexed, (x) => x.text.length)) {
    const values = chunk.map(({ text, i }) => `(${i}, ${sqlStringLiteral(text)})`).join(",\n");
    for (const [i, value] of await conn.rows(`SELECT i, ${fn}(q${cast}) FROM (VALUES ${values}) t(i, q)`)) {
      if (typeof value !== "string") throw new Error(`DuckDB returned no text for ${fn} of item ${String(i)}`);
      results[Number(i)] = value;
    }
  }
  if (results.some((r) => r === undefined)) throw new Error(`DuckDB returned too few rows for ${fn}`);
  return results;
}

/**
 * serializeSql of every text, streamed: chunks of a few hundred texts are spread over the
 * connections (each runs its chunks one after another) and `each(index, json)` is called for a
 * chunk's results as soon as they arrive, so that reading them overlaps with DuckDB parsing the
 * next chunk. Settles once every connection is idle; rejects if a chunk failed (some results may
 * have been handed over already).
 */
export async function serializeSqlEach(
  conns: readonly DuckDBConnection[],
  sqls: readonly string[],
  each: (index: number, json: string) => void,
): Promise<void> {
  const queue = chunked(
    sqls.map((text, i) => ({ text, i })),
    (x) => x.text.length,
    250,
  );
  const settled = await Promise.allSettled(
    conns.map(async (conn) => {
      for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
        const values = chunk.map(({ text, i }) => `(${i}, ${sqlStringLiteral(text)})`).join(",\n");
        for (const [i, value] of await conn.rows(`SELECT i, json_serialize_sql(q) FROM (VALUES ${values}) t(i, q)`)) {
          if (typeof value !== "string") throw new Error(`DuckDB returned no text for json_serialize_sql of item ${String(i)}`);
          each(Number(i), value);
        }
      }
    }),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** serializePlan of every text: DuckDB's JSON texts, in order. Tables must exist before the statement runs. */
export function serializePlanMany(conn: DuckDBConnection, sqls: readonly string[]): Promise<string[]> {
  return scalarTextMany(conn, "json_serialize_plan", sqls);
}

/** deserializeSql of every document, in order. */
export function deserializeSqlMany(conn: DuckDBConnection, documents: readonly Json[]): Promise<string[]> {
  return scalarTextMany(conn, "json_deserialize_sql", documents.map(stringifyDuckJson), "::JSON");
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
