/**
 * Writes a model's output as a new immutable Parquet file in the lake. Not committed here: the run
 * commits every materialized table together once all nodes succeeded.
 */
import type { MaterializeNode } from "../../compiler/plan-types.js";
import { writeTableToLake } from "../lake/write-table.js";
import type { RunContext } from "../run-context.js";
import { quoteIdent } from "../sql-quote.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runMaterialize(ctx: RunContext, node: MaterializeNode): Promise<{ rows: number | null }> {
  const started = performance.now();
  try {
    const entry = await ctx.withConnection((conn) => writeTableToLake(ctx.lake, conn, quoteIdent(node.table), node.table));
    const withProducer = { ...entry, producedBy: node.table };
    ctx.written.set(node.table, withProducer);
    ctx.edgeResults.push({ from: node.from, to: node.id, transport: "duckdb-to-parquet", bytes: entry.bytes, seconds: (performance.now() - started) / 1000 });
    return { rows: entry.rows };
  } catch (err) {
    throw new NodeError({ cause: "io", message: `cannot write "${node.table}" to the lake: ${duckdbMessage(err)}` });
  }
}
