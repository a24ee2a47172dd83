/**
 * runPlan: executes a physical plan. Nodes run in dependency order, independent ones concurrently
 * (up to `threads`); a failed node's dependents are SKIPPED while independent branches finish.
 * Materialized tables are committed to the lake together, once, only when every node succeeded;
 * otherwise nothing is committed and the data files written by this run are removed.
 * The shared-memory folder is removed at the end in every case.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { PLAN_VERSION, type Plan, type PlanEdge, type PlanNode } from "../compiler/plan-types.js";
import { Lake } from "./lake/lake.js";
import { validatePlan } from "../compiler/plan-schema.js";
import { NodeError, runNode } from "./nodes/index.js";
import type { RunContext } from "./run-context.js";
import type { NodeResult, RunEvent, RunResult } from "./run-events.js";
import { createShmDir } from "./shm-dir.js";

export interface RunOptions {
  readonly projectDir: string;
  /** Nodes running at once; default: the number of cores. */
  readonly threads?: number;
  readonly onEvent?: (event: RunEvent) => void;
  /** Abort to cancel: children are killed, nothing is committed. */
  readonly signal?: AbortSignal;
  /** Commit author; default from git config or $USER. */
  readonly author?: string;
}

/** The plan file is not a plan this bp can run (another version, or malformed). */
export class PlanVersionError extends Error {}
/** The plan is well-formed but its TS model files changed since it was compiled. */
export class StalePlanError extends Error {}

export async function runPlan(input: Plan, options: RunOptions): Promise<RunResult> {
  const version = (input as { planVersion?: unknown } | null)?.planVersion;
  if (version !== PLAN_VERSION) {
    throw new PlanVersionError(`plan version ${String(version)} is not supported by this bp (expects ${PLAN_VERSION}); recompile with bp compile`);
  }
  const validated = validatePlan(input);
  if ("problems" in validated) throw new PlanVersionError(`the plan is malformed: ${validated.problems.join("; ")}; recompile with bp compile`);
  const plan = validated.plan;
  const stale = staleTsModels(plan, path.resolve(options.projectDir));
  if (stale.length > 0) {
    throw new StalePlanError(`${stale.join(", ")} changed since the plan was compiled (its code hash differs); recompile with bp compile, or run bp build without --plan`);
  }
  const started = performance.now();
  const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  const emit = options.onEvent ?? (() => {});
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  options.signal?.addEventListener("abort", onOuterAbort);
  if (options.signal?.aborted) abort.abort();

  const projectDir = path.resolve(options.projectDir);
  const lake = Lake.open(path.resolve(projectDir, plan.project.lake));
  const headAtStart = (await lake.head(plan.project.branch))?.id ?? null;
  const shm = createShmDir(runId);
  const spillDir = path.join(os.tmpdir(), `bp-spill-${runId}`);
  mkdirSync(spillDir, { recursive: true });
  const db = await DuckDBInstance.create(":memory:", { temp_directory: spillDir });

  const nodesById = new Map(plan.nodes.map((n) => [n.id, n] as const));
  const openConnections = new Set<DuckDBConnection>();
  const outEdges = new Map<string, PlanEdge[]>();
  const inEdges = new Map<string, PlanEdge[]>();
  for (const e of plan.edges) {
    outEdges.set(e.from, [...(outEdges.get(e.from) ?? []), e]);
    inEdges.set(e.to, [...(inEdges.get(e.to) ?? []), e]);
  }
  const ctx: RunContext = {
    plan,
    projectDir,
    lake,
    db,
    shm,
    signal: abort.signal,
    emit,
    nodesById,
    outEdges,
    tsOutputs: new Map(),
    written: new Map(),
    edgeResults: [],
    exports: new Map(),
    async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
      const conn = await db.connect();
      openConnections.add(conn);
      try {
        if (abort.signal.aborted) throw new Error("cancelled");
        return await fn(conn);
      } finally {
        openConnections.delete(conn);
        conn.closeSync();
      }
    },
  };
  // Cancelling interrupts the queries in flight (a long SQL model stops at once).
  abort.signal.addEventListener("abort", () => {
    for (const conn of openConnections) conn.interrupt();
  });

  emit({ type: "run-start", runId, nodes: plan.nodes.length, shmDir: shm.path, shmFallback: shm.fallback });
  const results = new Map<string, NodeResult>();
  let commit: string | null = null;
  try {
    await schedule(ctx, inEdges, outEdges, options.threads ?? os.availableParallelism(), results);
    const allOk = [...results.values()].every((r) => r.status === "ok") && !abort.signal.aborted;
    if (allOk && ctx.written.size > 0) {
      commit = await commitWritten(ctx, headAtStart, options.author, results);
    }
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
    if (commit === null) await removeWrittenFiles(ctx);
    shm.remove();
    db.closeSync();
    rmSync(spillDir, { recursive: true, force: true });
  }
  const nodes = plan.nodes.map((n) => results.get(n.id)!);
  return {
    ok: nodes.every((r) => r.status === "ok") && !abort.signal.aborted,
    runId,
    nodes,
    edges: ctx.edgeResults,
    commit,
    branch: plan.project.branch,
    seconds: (performance.now() - started) / 1000,
    cancelled: abort.signal.aborted,
  };
}

async function schedule(
  ctx: RunContext,
  inEdges: ReadonlyMap<string, readonly PlanEdge[]>,
  outEdges: ReadonlyMap<string, readonly PlanEdge[]>,
  threads: number,
  results: Map<string, NodeResult>,
): Promise<void> {
  const waitingOn = new Map<string, number>();
  for (const n of ctx.plan.nodes) waitingOn.set(n.id, new Set((inEdges.get(n.id) ?? []).map((e) => e.from)).size);
  const ready: PlanNode[] = ctx.plan.nodes.filter((n) => waitingOn.get(n.id) === 0);
  const running = new Set<Promise<void>>();

  const skipDownstream = (failedId: string, cause: string) => {
    for (const e of outEdges.get(failedId) ?? []) {
      if (results.has(e.to)) continue;
      const node = ctx.nodesById.get(e.to)!;
      const result: NodeResult = { id: node.id, kind: node.kind, name: nameOf(node), status: "skipped", rows: null, seconds: 0, skippedBecause: cause };
      results.set(node.id, result);
      ctx.emit({ type: "node-end", result });
      skipDownstream(node.id, cause);
    }
  };

  const start = (node: PlanNode) => {
    const t0 = performance.now();
    ctx.emit({ type: "node-start", id: node.id, kind: node.kind, name: nameOf(node) });
    const p = runNode(ctx, node).then(
      ({ rows }) => {
        const result: NodeResult = { id: node.id, kind: node.kind, name: nameOf(node), status: "ok", rows, seconds: (performance.now() - t0) / 1000 };
        results.set(node.id, result);
        ctx.emit({ type: "node-end", result });
        for (const e of outEdges.get(node.id) ?? []) {
          const left = waitingOn.get(e.to)! - 1;
          waitingOn.set(e.to, left);
          if (left === 0 && !results.has(e.to)) ready.push(ctx.nodesById.get(e.to)!);
        }
      },
      (err: unknown) => {
        const failure =
          err instanceof NodeError
            ? err.failure
            : { cause: "io" as const, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        const cancelled = ctx.signal.aborted;
        const result: NodeResult = {
          id: node.id,
          kind: node.kind,
          name: nameOf(node),
          status: "failed",
          rows: null,
          seconds: (performance.now() - t0) / 1000,
          failure: cancelled ? { ...failure, cause: "cancelled", message: "cancelled" } : failure,
        };
        results.set(node.id, result);
        ctx.emit({ type: "node-end", result });
        skipDownstream(node.id, node.id);
      },
    );
    const tracked = p.finally(() => running.delete(tracked));
    running.add(tracked);
  };

  while (ready.length > 0 || running.size > 0) {
    while (ready.length > 0 && running.size < Math.max(1, threads) && !ctx.signal.aborted) start(ready.shift()!);
    if (ctx.signal.aborted && running.size === 0) break;
    if (running.size > 0) await Promise.race(running);
    else if (ctx.signal.aborted) break;
  }
  // Cancelled before they could start.
  for (const n of ctx.plan.nodes) {
    if (results.has(n.id)) continue;
    const result: NodeResult = { id: n.id, kind: n.kind, name: nameOf(n), status: "skipped", rows: null, seconds: 0, skippedBecause: "cancelled" };
    results.set(n.id, result);
    ctx.emit({ type: "node-end", result });
  }
}

async function commitWritten(ctx: RunContext, headAtStart: string | null, author: string | undefined, results: Map<string, NodeResult>): Promise<string | null> {
  const tables = [...ctx.written.keys()].sort();
  try {
    const c = await ctx.lake.commit({
      branch: ctx.plan.project.branch,
      expectedHead: headAtStart,
      message: `bp build: ${tables.join(", ")}`,
      ...(author ? { author } : {}),
      put: Object.fromEntries(ctx.written),
    });
    ctx.emit({ type: "commit", commit: c.id, branch: ctx.plan.project.branch, tables });
    return c.id;
  } catch (err) {
    // Nothing was committed: the materialize nodes end FAILED in the summary.
    const message = err instanceof Error ? err.message : String(err);
    for (const table of tables) {
      const id = `materialize:${table}`;
      const prev = results.get(id);
      if (prev) results.set(id, { ...prev, status: "failed", failure: { cause: "commit", message } });
    }
    ctx.emit({ type: "commit-failed", branch: ctx.plan.project.branch, tables, message });
    return null;
  }
}

/** Nothing committed: the data files this run wrote (and their emptied folders) go away. */
async function removeWrittenFiles(ctx: RunContext): Promise<void> {
  for (const entry of ctx.written.values()) {
    for (const f of entry.files) await ctx.lake.discardDataFile(f.path).catch(() => {});
  }
}

function nameOf(node: PlanNode): string {
  switch (node.kind) {
    case "scan":
      return node.table;
    case "sql":
    case "ts":
      return node.name;
    case "materialize":
      return node.table;
  }
}

/** TS model files whose content no longer matches the plan's code hash (SQL lives in the plan itself). */
function staleTsModels(plan: Plan, projectDir: string): string[] {
  const stale: string[] = [];
  for (const node of plan.nodes) {
    if (node.kind !== "ts") continue;
    let text: string;
    try {
      text = readFileSync(path.resolve(projectDir, node.at.file), "utf8");
    } catch {
      stale.push(`${node.at.file} (missing)`);
      continue;
    }
    if (createHash("sha256").update(text).digest("hex") !== node.codeHash) stale.push(node.at.file);
  }
  return stale;
}
