/**
 * A scan: a DuckDB view over the source table's Parquet files at the planned commit, with the
 * projection and filter pushed down (DuckDB pushes both into the Parquet reader).
 */
import type { ScanNode } from "../../compiler/plan-types.js";
import { scanSql } from "../lake/lake-views.js";
import { prepareLakeScan } from "../lake/scan-cache/prepare-scan.js";
import type { RunContext } from "../run-context.js";
import { quoteIdent } from "../sql-quote.js";
import type { NodeOutcome } from "./index.js";
import { duckdbMessage, NodeError } from "./node-error.js";

/** `fetch`: on a remote lake, bytes fetched vs served by the scan cache (absent on local disk). */
export async function runScan(ctx: RunContext, node: ScanNode): Promise<NodeOutcome> {
  const entry = { schema: [...node.schema], rows: 0, bytes: 0, files: node.files.map((p) => ({ path: p, rows: 0, bytes: 0 })) };
  const select = scanSql(ctx.lake, entry, [...node.columns], node.filter);
  let fetch: NodeOutcome["fetch"] | null;
  try {
    fetch = await prepareLakeScan(ctx.lake, entry, [...node.columns], node.filter);
  } catch (err) {
    throw new NodeError({ cause: "io", message: `cannot fetch source table "${node.table}": ${(err as Error).message}` });
  }
  try {
    await ctx.withConnection((conn) => conn.run(`CREATE OR REPLACE VIEW ${quoteIdent(node.table)} AS ${select}`));
  } catch (err) {
    throw new NodeError({ cause: "io", message: `cannot read source table "${node.table}": ${duckdbMessage(err)}` });
  }
  return fetch === null ? { rows: null } : { rows: null, fetch };
}
