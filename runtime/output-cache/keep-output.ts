/**
 * After a model ran: its output goes into the output cache under its run key. With data when a
 * model reads it (so a later run that re-runs only that reader finds its input), as a bare record
 * otherwise (a leaf's output is not read again; a materialized one is in the lake). A SQL model's
 * table is written as Parquet by DuckDB (HUGEINTs as DECIMAL(38,0), read back with their types); a
 * TS model's Arrow IPC file is copied as it is.
 */
import { copyFile } from "node:fs/promises";
import type { SqlNode, TsNode } from "../../compiler/plan-types.js";
import type { RunContext } from "../run-context.js";
import { describeTable, quoteIdent, quoteString } from "../sql-quote.js";
import type { OutputCache } from "./store.js";

const WIDE = new Set(["HUGEINT", "UHUGEINT"]);

/** Whether a model node (not a materialization) reads this node's output. */
export function readByAModel(ctx: RunContext, nodeId: string): boolean {
  return (ctx.outEdges.get(nodeId) ?? []).some((e) => {
    const kind = ctx.nodesById.get(e.to)?.kind;
    return kind === "sql" || kind === "ts";
  });
}

export async function keepOutput(ctx: RunContext, cache: OutputCache, node: SqlNode | TsNode, key: string, rows: number | null): Promise<void> {
  const withData = readByAModel(ctx, node.id);
  const base = { key, node: node.id, rows };
  if (!withData) {
    await cache.put({ ...base, format: "none", schema: node.schema });
    return;
  }
  if (node.kind === "ts") {
    const output = ctx.tsOutputs.get(node.id);
    if (!output) return;
    await cache.put({ ...base, format: "arrow", schema: node.schema }, (file) => copyFile(output.path, file));
    return;
  }
  await ctx.withConnection(async (conn) => {
    const schema = await describeTable(conn, node.name);
    const list = schema.map((c) => (WIDE.has(c.type) ? `CAST(${quoteIdent(c.name)} AS DECIMAL(38,0)) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
    await cache.put({ ...base, format: "parquet", schema }, async (file) => {
      await conn.run(`COPY (SELECT ${list.join(", ")} FROM ${quoteIdent(node.name)}) TO ${quoteString(file)} (FORMAT parquet)`);
    });
  });
}
