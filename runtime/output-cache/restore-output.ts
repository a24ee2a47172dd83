/**
 * A cached model whose output a running node reads: the output is put where a run would have left
 * it. A SQL model's table becomes a view over the cache's Parquet file (or over the lake table
 * written with the same key), cast back to the model's column types; a TS model's Arrow IPC file is
 * handed to its readers as it is in the cache (mapped by TS models, loaded into DuckDB only when a
 * SQL model or a filter reads it).
 */
import type { SqlNode, TsNode } from "../../compiler/plan-types.js";
import { scanSql } from "../lake/lake-views.js";
import { prepareLakeScan } from "../lake/scan-cache/prepare-scan.js";
import type { ColumnSchema } from "../lake/types.js";
import type { NodeContext } from "../nodes/index.js";
import { readParquetSql, typedViewSql } from "./parquet-output.js";
import type { Restore } from "./reuse-plan.js";

export async function restoreOutput(ctx: NodeContext, node: SqlNode | TsNode, restore: Restore): Promise<void> {
  if (node.kind === "ts") {
    if (restore.from !== "entry" || restore.entry.dataPath === null) throw new Error(`internal error: no cached Arrow output for ${node.name}`);
    const file = { path: restore.entry.dataPath, bytes: restore.entry.meta.bytes, location: "disk" as const };
    ctx.tsOutputs.set(node.id, file);
    const { loadTsOutputIfNeeded } = await import("../nodes/run-ts.js");
    await loadTsOutputIfNeeded(ctx, node, file);
    return;
  }
  let select: string;
  let schema: readonly ColumnSchema[] | null;
  if (restore.from === "entry") {
    select = readParquetSql(restore.entry.dataPath!);
    schema = restore.entry.meta.schema;
  } else {
    await prepareLakeScan(ctx.lake, restore.table);
    select = scanSql(ctx.lake, restore.table);
    schema = node.schema;
  }
  await ctx.withConnection((conn) => conn.run(typedViewSql(node.name, select, schema)));
}
