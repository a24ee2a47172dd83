/**
 * After a model ran: its output goes into the output cache under its run key. With data when a
 * model reads it (so a later run that re-runs only that reader finds its input), as a bare record
 * otherwise (a leaf's output is not read again; a materialized one is in the lake). A TS model's
 * Arrow IPC file is copied as it is; a SQL model read by another is written through the cache as it
 * runs (run-sql.ts), so here it only gets a record when that was not possible.
 */
import { copyFile } from "node:fs/promises";
import type { SqlNode, TsNode } from "../../compiler/plan-types.js";
import type { RunContext } from "../run-context.js";
import type { OutputCache } from "./store.js";

/** Whether a model node (not a materialization) reads this node's output. */
export function readByAModel(ctx: RunContext, nodeId: string): boolean {
  return (ctx.outEdges.get(nodeId) ?? []).some((e) => {
    const kind = ctx.nodesById.get(e.to)?.kind;
    return kind === "sql" || kind === "ts";
  });
}

export async function keepOutput(ctx: RunContext, cache: OutputCache, node: SqlNode | TsNode, key: string, rows: number | null): Promise<void> {
  const base = { key, node: node.id, rows };
  const output = node.kind === "ts" ? ctx.tsOutputs.get(node.id) : undefined;
  if (output !== undefined && readByAModel(ctx, node.id)) {
    await cache.put({ ...base, format: "arrow", schema: node.schema }, (file) => copyFile(output.path, file));
    return;
  }
  await cache.put({ ...base, format: "none", schema: node.schema });
}
