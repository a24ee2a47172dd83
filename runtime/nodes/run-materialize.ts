/**
 * Writes a model's output as a new immutable Parquet file in the lake. Not committed here: the run
 * commits every materialized table together once all nodes succeeded.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { MaterializeNode } from "../../compiler/plan-types.js";
import { writeTableToLake } from "../lake/write-table.js";
import { edgeKey, recordEdge, type RunContext } from "../run-context.js";
import { describeTable, quoteIdent } from "../sql-quote.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runMaterialize(ctx: RunContext, node: MaterializeNode): Promise<{ rows: number | null }> {
  const started = performance.now();
  try {
    const entry = await ctx.withConnection(async (conn) => writeTableToLake(ctx.lake, conn, await lakeSelect(conn, node.table), node.table));
    const cacheKey = ctx.runKeys.get(node.from);
    const withProducer = { ...entry, producedBy: node.table, ...(cacheKey === undefined ? {} : { cacheKey }) };
    ctx.written.set(node.table, withProducer);
    const seconds = (performance.now() - started) / 1000;
    // From a TS model, the edge's record already says how its output entered DuckDB: add the write.
    const loaded = ctx.edgeResults.get(edgeKey({ from: node.from, to: node.id }));
    if (loaded) recordEdge(ctx, { ...loaded, lakeBytes: entry.bytes, lakeSeconds: seconds });
    else {
      const transport = ctx.outEdges.get(node.from)?.find((e) => e.to === node.id)?.transport ?? "duckdb-to-parquet";
      recordEdge(ctx, { from: node.from, to: node.id, transport, location: "lake", bytes: entry.bytes, seconds });
    }
    return { rows: entry.rows };
  } catch (err) {
    throw new NodeError({ cause: "io", message: `cannot write "${node.table}" to the lake: ${duckdbMessage(err)}` });
  }
}

/**
 * The SELECT that writes `table` to Parquet. Parquet has no 128-bit integers (DuckDB would write
 * HUGEINT, e.g. SUM(BIGINT), as DOUBLE and lose precision), so those become DECIMAL(38,0).
 */
async function lakeSelect(conn: DuckDBConnection, table: string): Promise<string> {
  const columns = await describeTable(conn, table);
  const wide = new Set(["HUGEINT", "UHUGEINT"]);
  if (!columns.some((c) => wide.has(c.type))) return quoteIdent(table);
  const list = columns.map((c) => (wide.has(c.type) ? `CAST(${quoteIdent(c.name)} AS DECIMAL(38,0)) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
  return `SELECT ${list.join(", ")} FROM ${quoteIdent(table)}`;
}
