/** One runner per plan node kind; a kind without a runner fails to compile. */
import type { PlanNode } from "../../compiler/plan-types.js";
import type { RunContext } from "../run-context.js";
import { runMaterialize } from "./run-materialize.js";
import { runScan } from "./run-scan.js";
import { runSql } from "./run-sql.js";
import { runTs } from "./run-ts.js";

type Runners = { [K in PlanNode["kind"]]: (ctx: RunContext, node: Extract<PlanNode, { kind: K }>) => Promise<{ rows: number | null }> };

const runners: Runners = {
  scan: runScan,
  sql: runSql,
  ts: runTs,
  materialize: runMaterialize,
};

export function runNode(ctx: RunContext, node: PlanNode): Promise<{ rows: number | null }> {
  return (runners[node.kind] as (ctx: RunContext, node: PlanNode) => Promise<{ rows: number | null }>)(ctx, node);
}

export { NodeError } from "./node-error.js";
