/**
 * A SQL model: `CREATE TABLE <name> AS <select>` in the run's DuckDB. When another model reads it and
 * the output cache is on, the result is written straight into the cache as Parquet instead (one COPY,
 * about 1.3x a CTAS, where a CTAS and then a COPY cost 2.3x) and `<name>` is a view over that file:
 * DuckDB reads it as fast as its own table, without holding it in memory. Rows: the statement's count.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SqlNode } from "../../compiler/plan-types.js";
import { readByAModel } from "../output-cache/keep-output.js";
import { parquetSelectList, readParquetSql, typedViewSql } from "../output-cache/parquet-output.js";
import type { RunContext } from "../run-context.js";
import { describeTable, quoteIdent, quoteString } from "../sql-quote.js";
import type { NodeOutcome } from "./index.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runSql(ctx: RunContext, node: SqlNode): Promise<NodeOutcome> {
  const key = ctx.runKeys.get(node.id);
  if (ctx.outputCache !== null && key !== undefined && readByAModel(ctx, node.id)) {
    const stored = await runThroughCache(ctx, node, key);
    if (stored !== null) return stored;
  }
  return ctx.withConnection(async (conn) => {
    // No parentheses around the SELECT: a trailing `;` or comment in the model stays valid.
    const reader = await runModelStatement(ctx, node, conn, `CREATE TABLE ${quoteIdent(node.name)} AS`);
    // CREATE TABLE AS answers with the rows it inserted (its "Count" column): no second query.
    const count = reader.getRows()[0]?.[0];
    if (typeof count === "bigint" || typeof count === "number") return { rows: Number(count) };
    const counted = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${quoteIdent(node.name)}`);
    return { rows: Number(counted.getRows()[0]![0]) };
  });
}

/** `<prefix>\n<the model's SELECT>`, with DuckDB's "LINE n" of an error shifted back to the model's lines. */
async function runModelStatement(ctx: RunContext, node: SqlNode, conn: DuckDBConnection, prefix: string) {
  try {
    return await conn.runAndReadAll(`${prefix}\n${node.sql}`);
  } catch (err) {
    const message = duckdbMessage(err).replace(/LINE (\d+):/, (_, n: string) => `LINE ${Number(n) - 1}:`);
    throw new NodeError({ cause: "sql", message, file: node.at.file, ...sourceLine(ctx, node, message) });
  }
}

/**
 * The model's result written into the output cache as Parquet, `<name>` a view over it; null when
 * its result cannot go to Parquet as it is (the caller then runs it as a table).
 */
async function runThroughCache(ctx: RunContext, node: SqlNode, key: string): Promise<NodeOutcome | null> {
  const query = `__bp_query_${node.name}`;
  return ctx.withConnection(async (conn) => {
    // A view first (binding errors come with the model's lines), then its types, then the COPY.
    await runModelStatement(ctx, node, conn, `CREATE TEMP VIEW ${quoteIdent(query)} AS`);
    try {
      const schema = await describeTable(conn, query);
      let entry;
      try {
        entry = await ctx.outputCache!.put({ key, node: node.id, format: "parquet", schema }, async (file) => {
          const r = await conn.runAndReadAll(`COPY (SELECT ${parquetSelectList(schema)} FROM ${quoteIdent(query)}) TO ${quoteString(file)} (FORMAT parquet)`);
          const count = r.getRows()[0]?.[0];
          return { rows: typeof count === "bigint" || typeof count === "number" ? Number(count) : null };
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        // A type Parquet cannot hold, a full disk, or an error of the query itself: run it as a table
        // (which reports the query's own error the usual way).
        ctx.emit({ type: "debug", message: `${node.name}: not written through the output cache (${duckdbMessage(err).split("\n")[0]}); running it as a table` });
        return null;
      }
      await conn.run(typedViewSql(node.name, readParquetSql(entry.dataPath!), entry.meta.schema));
      return { rows: entry.meta.rows, stored: true };
    } finally {
      await conn.run(`DROP VIEW IF EXISTS ${quoteIdent(query)}`).catch(() => {});
    }
  });
}

/**
 * The file line of DuckDB's `LINE n` (already shifted to the SELECT's lines). Only when the model has
 * no template tags: rendering can add or remove lines, and a wrong line is worse than none.
 */
function sourceLine(ctx: RunContext, node: SqlNode, message: string): { line?: number } {
  const m = /LINE (\d+):/.exec(message);
  if (!m) return {};
  try {
    const text = readFileSync(path.resolve(ctx.projectDir, node.at.file), "utf8");
    return text.includes("{{") ? {} : { line: Number(m[1]) };
  } catch {
    return {};
  }
}
