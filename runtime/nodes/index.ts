/**
 * One runner per plan node kind; a kind without a runner fails to compile. Runners are loaded when
 * a node of their kind first runs (the TS runner brings apache-arrow and the Arrow<->DuckDB bridge,
 * which a SQL-only plan never needs).
 */
import path from "node:path";
import type { PlanNode, TsNode } from "../../compiler/plan-types.js";
import type { ScanFetchReport } from "../lake/storage.js";
import type { RunContext } from "../run-context.js";
import type { TsChildSpec } from "../ts-child/run-ts-model.js";
import type { TsChildPool } from "../ts-child/warm-pool.js";

/** What a node reports: rows produced (null when counting would cost a read) and, for scans of a remote lake, what was fetched. */
export interface NodeOutcome {
  readonly rows: number | null;
  readonly fetch?: ScanFetchReport;
  /** The output is already in the output cache (a SQL model written through it). */
  readonly stored?: boolean;
}

/** The run's state as the runners see it: the shared RunContext, plus the TS children started ahead. */
export interface NodeContext extends RunContext {
  readonly tsChildren: TsChildPool;
  /** RunOptions.memory: heap limits in MiB by TS model name, for this run. */
  readonly memory?: Readonly<Record<string, number>>;
}

type Runners = { [K in PlanNode["kind"]]: (ctx: NodeContext, node: Extract<PlanNode, { kind: K }>) => Promise<NodeOutcome> };

const runners: Runners = {
  scan: async (ctx, node) => (await import("./run-scan.js")).runScan(ctx, node),
  sql: async (ctx, node) => (await import("./run-sql.js")).runSql(ctx, node),
  ts: async (ctx, node) => (await import("./run-ts.js")).runTs(ctx, node),
  materialize: async (ctx, node) => (await import("./run-materialize.js")).runMaterialize(ctx, node),
};

export function runNode(ctx: NodeContext, node: PlanNode): Promise<NodeOutcome> {
  return (runners[node.kind] as (ctx: NodeContext, node: PlanNode) => Promise<NodeOutcome>)(ctx, node);
}

/**
 * The child process a TS node runs in (the same for a child started ahead and at the run); its heap
 * limit is the model's `memory` unless `memory` (RunOptions.memory) sets one for this run.
 */
export function tsChildSpec(projectDir: string, node: TsNode, memory: Readonly<Record<string, number>> | undefined): TsChildSpec {
  const memoryMb = memory !== undefined && Object.hasOwn(memory, node.name) ? memory[node.name]! : node.memoryMb;
  return { model: node.name, modelFile: path.resolve(projectDir, node.at.file), memoryMb, cwd: projectDir };
}

export { NodeError } from "./node-error.js";
