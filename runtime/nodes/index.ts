/** One runner per plan node kind; a kind without a runner fails to compile. */
import type { PlanNode } from "../../compiler/plan-types.js";
import type { ScanFetchReport } from "../lake/storage.js";
import type { RunContext } from "../run-context.js";
import { runMaterialize } from "./run-materialize.js";
import { runScan } from "./run-scan.js";
import { runSql } from "./run-sql.js";
import { runTs } from "./run-ts.js";

/** What a node reports: rows produced (null when counting would cost a read) and, for scans of a remote lake, what was fetched. */
export interface NodeOutcome {
  readonly rows: number | null;
  readonly fetch?: ScanFetchReport;
}

type Runners = { [K in PlanNode["kind"]]: (ctx: RunContext, node: Extract<PlanNode, { kind: K }>) => Promise<NodeOutcome> };

const runners: Runners = {
  scan: runScan,
  sql: runSql,
  ts: runTs,
  materialize: runMaterialize,
};

export function runNode(ctx: RunContext, node: PlanNode): Promise<NodeOutcome> {
  return (runners[node.kind] as (ctx: RunContext, node: PlanNode) => Promise<NodeOutcome>)(ctx, node);
}

export { NodeError } from "./node-error.js";
