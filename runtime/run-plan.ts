/**
 * runPlan: executes a physical plan. Nodes run in dependency order, independent ones concurrently
 * (up to `threads`); a failed node's dependents are SKIPPED while independent branches finish.
 * The run is a transaction on the plan's branch (run-transaction.ts): materialized tables are
 * committed together to a temporary branch made from the target's head, and the target moves to
 * that commit (fast-forward, or a rebase when the target moved without touching what the run read
 * or wrote) only when every node succeeded. A failed run keeps its branch (with the tables that were
 * written) for inspection unless `keepFailed` is false; a cancelled run keeps nothing. The target
 * branch is never touched by a failed run. The shared-memory folder is removed in every case.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { PLAN_VERSION, type Plan, type PlanEdge, type PlanNode } from "../compiler/plan-types.js";
import { defaultAuthor } from "./lake/author.js";
import { openLake } from "./lake/open-lake.js";
import { validatePlan } from "../compiler/plan-schema.js";
import { requireCjs } from "../compiler/require-cjs.js";
import { NodeError, runNode, tsChildSpec, type NodeContext, type NodeOutcome } from "./nodes/index.js";
import { edgeKey } from "./run-context.js";
import { startPackageEnvs } from "./packages/run-envs.js";
import type { EdgeResult, NodeResult, RunEvent, RunEventData, RunResult } from "./run-events.js";
import { createShmDir, type ShmDir } from "./shm-dir.js";
import { TargetMovedError, beginTransaction, commitToRunBranch, dropRunBranch, promote, type ReadTable, type Transaction } from "./run-transaction.js";
import { TsChildPool } from "./ts-child/warm-pool.js";
import { projectOutputCache, type OutputCache } from "./output-cache/store.js";
import { planReuse, runKeys, type Reuse } from "./output-cache/reuse-plan.js";
import { keepOutput } from "./output-cache/keep-output.js";
import { lakeOutputs, outputId } from "./output-cache/lake-outputs.js";
import { restoreOutput } from "./output-cache/restore-output.js";
import { previewOutput } from "./output-preview.js";

export interface RunOptions {
  readonly projectDir: string;
  /** Nodes running at once; default: the number of cores. */
  readonly threads?: number;
  readonly onEvent?: (event: RunEvent) => void;
  /** Abort to cancel: children are killed, nothing is committed. */
  readonly signal?: AbortSignal;
  /** Commit author; default from git config or $USER. */
  readonly author?: string;
  /**
   * DuckDB's memory limit (beyond it DuckDB spills to a temp folder): a size DuckDB reads ("4GB",
   * "512MiB") or a share of the machine's memory ("40%"). Default 50%, leaving room for TS processes
   * and shared memory.
   */
  readonly duckdbMemory?: string;
  /** Keep the temporary branch of a failed run, with the tables it wrote (default true). */
  readonly keepFailed?: boolean;
  /**
   * TS child processes the caller started ahead (e.g. while compiling, see TsChildPool): the run
   * takes them over, keeps those that fit its TS nodes and closes the pool when it ends, whatever
   * happens. Default: a pool of its own, started as the run starts.
   */
  readonly tsChildren?: TsChildPool;
  /**
   * The output cache: nodes whose cache key matches an earlier output are not run (status `cached`).
   * Default: on, in `<project>/.bp/cache/outputs`; `false` runs every node and stores nothing.
   */
  readonly cache?: false | { readonly dir?: string; readonly maxBytes?: number };
  /** Report the first N rows of every model's output in its NodeResult (`preview`); default none. */
  readonly preview?: number;
  /**
   * Heap limits in MiB for this run, by TS model name, instead of the models' `memory` (same code,
   * more memory). A name that is not a TS model of the plan is a RunSettingsError.
   */
  readonly memory?: Readonly<Record<string, number>>;
}

/** The plan file is not a plan this bp can run (another version, or malformed). */
export class PlanVersionError extends Error {}
/** The plan is well-formed but its TS model files changed since it was compiled. */
export class StalePlanError extends Error {}
/** A run setting is invalid (--duckdb-memory, BP_SHM_LIMIT_BYTES): nothing was run. */
export class RunSettingsError extends Error {}

export const DEFAULT_DUCKDB_MEMORY = "50%";

/** The machine's memory, or the cgroup's limit when lower. */
function machineMemory(): number {
  const total = os.totalmem();
  const constrained = typeof process.constrainedMemory === "function" ? process.constrainedMemory() : 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** `--duckdb-memory` as DuckDB's memory_limit: a percentage becomes MiB of the machine's memory. */
export function duckdbMemoryLimit(spec: string = DEFAULT_DUCKDB_MEMORY): string {
  const text = spec.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (pct) {
    const share = Number(pct[1]);
    if (!(share > 0 && share <= 100)) throw new RunSettingsError(`DuckDB memory must be a share between 0% and 100%, got "${spec}"`);
    return `${Math.max(64, Math.floor((machineMemory() * share) / 100 / 2 ** 20))}MiB`;
  }
  if (!/^\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(text)) {
    throw new RunSettingsError(`DuckDB memory must be a size like 4GB or 512MiB, or a share like 40%, got "${spec}"`);
  }
  return text;
}

export async function runPlan(input: Plan, options: RunOptions): Promise<RunResult> {
  const threads = options.threads ?? os.availableParallelism();
  const tsChildren = options.tsChildren ?? new TsChildPool(threads);
  try {
    return await run(input, options, threads, tsChildren);
  } finally {
    tsChildren.close();
  }
}

/** The TS nodes' child processes, in plan order (the order the scheduler favours); `memory`: RunOptions.memory. */
export function tsChildSpecs(plan: Plan, projectDir: string, memory: RunOptions["memory"]): ReturnType<typeof tsChildSpec>[] {
  const dir = path.resolve(projectDir);
  return plan.nodes.flatMap((n) => (n.kind === "ts" ? [tsChildSpec(dir, n, memory)] : []));
}

/** RunOptions.memory must name TS models of the plan, with a positive number of MiB. */
function checkMemoryOverrides(plan: Plan, memory: RunOptions["memory"]): void {
  if (memory === undefined) return;
  const tsModels = plan.nodes.flatMap((n) => (n.kind === "ts" ? [n.name] : []));
  for (const [name, mb] of Object.entries(memory)) {
    if (!tsModels.includes(name)) {
      const sql = plan.nodes.some((n) => n.kind === "sql" && n.name === name);
      throw new RunSettingsError(
        `memory: ${sql ? `${name} is a SQL model (DuckDB's memory is --duckdb-memory)` : `no TS model ${name}`}; ` +
          (tsModels.length > 0 ? `the TS models are ${tsModels.join(", ")}` : "the plan has no TS models"),
      );
    }
    if (!(Number.isFinite(mb) && mb >= 1)) throw new RunSettingsError(`memory: ${name} needs at least 1 MiB, got ${String(mb)}`);
  }
}

async function run(input: Plan, options: RunOptions, threads: number, tsChildren: TsChildPool): Promise<RunResult> {
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
  const memoryLimit = duckdbMemoryLimit(options.duckdbMemory);
  const cache = outputCacheOf(options, path.resolve(options.projectDir));
  checkMemoryOverrides(plan, options.memory);
  // TS children load while the run sets up and the nodes upstream of theirs run.
  tsChildren.expect(tsChildSpecs(plan, options.projectDir, options.memory));
  const started = performance.now();
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  const onEvent = options.onEvent;
  // Every event is stamped with the ms since the run started.
  const emit = (e: RunEventData) => onEvent?.({ ...e, time: Math.round(performance.now() - started) });
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  options.signal?.addEventListener("abort", onOuterAbort);
  abort.signal.addEventListener("abort", () => tsChildren.close());
  if (options.signal?.aborted) abort.abort();

  const projectDir = path.resolve(options.projectDir);
  const lake = openLake({ lake: plan.project.lake, ...(plan.project.s3 === undefined ? {} : { s3: plan.project.s3 }) }, projectDir);
  let shm: ShmDir;
  try {
    shm = createShmDir(runId);
  } catch (err) {
    options.signal?.removeEventListener("abort", onOuterAbort);
    lake.close();
    throw new RunSettingsError(err instanceof Error ? err.message : String(err));
  }
  const spillDir = path.join(os.tmpdir(), `bp-spill-${runId}`);
  let db: DuckDBInstance;
  let author = options.author;
  try {
    mkdirSync(spillDir, { recursive: true });
    // require(), not import: see compiler/require-cjs.ts (~0.1 s of every build).
    const { DuckDBInstance: Instance } = requireCjs("@duckdb/node-api") as { DuckDBInstance: typeof DuckDBInstance };
    const creating = Instance.create(":memory:", { temp_directory: spillDir, memory_limit: memoryLimit });
    // The commit's author (`git config`, 5-30 ms of waiting) is looked up while DuckDB starts in its thread.
    if (author === undefined && plan.nodes.some((n) => n.kind === "materialize")) author = defaultAuthor();
    db = await creating;
  } catch (err) {
    options.signal?.removeEventListener("abort", onOuterAbort);
    shm.remove();
    rmSync(spillDir, { recursive: true, force: true });
    lake.close();
    throw err;
  }

  const nodesById = new Map(plan.nodes.map((n) => [n.id, n] as const));
  const keys = new Map<string, string>();
  const reuse = new Map<string, Reuse>();
  const openConnections = new Set<DuckDBConnection>();
  const outEdges = new Map<string, PlanEdge[]>();
  const inEdges = new Map<string, PlanEdge[]>();
  for (const e of plan.edges) {
    outEdges.set(e.from, [...(outEdges.get(e.from) ?? []), e]);
    inEdges.set(e.to, [...(inEdges.get(e.to) ?? []), e]);
  }
  const ctx: NodeContext = {
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
    relinked: new Map(),
    edgeResults: new Map(),
    counted: new Set(),
    pendingLoads: new Map(),
    exports: new Map(),
    // Package environments of the TS nodes, all resolved from now on (each TS node awaits its own).
    packageEnvs: startPackageEnvs(plan, { signal: abort.signal, cwd: projectDir }),
    tsChildren,
    runKeys: keys,
    outputCache: cache,
    willRun: (id) => reuse.get(id)?.run !== false,
    ...(options.memory === undefined ? {} : { memory: options.memory }),
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

  emit({ type: "run-start", runId, startedAt: startedAt.toISOString(), nodes: plan.nodes.length, shmDir: shm.path, shmFallback: shm.fallback, shmWanted: shm.wanted });
  const results = new Map<string, NodeResult>();
  let settled: Settled = { commit: null, keptBranch: null, rebasedOnto: null, filesCommitted: false };
  let tx: Transaction | null = null;
  try {
    tx = await beginTransaction(lake, plan.project.branch, runId);
    for (const [id, key] of runKeys(plan, await envHashes(ctx))) keys.set(id, key);
    const inLake = cache === null ? { head: {}, find: () => null } : await lakeOutputs(lake, tx.base, wantedFromLake(plan, keys, tx.base));
    for (const [id, r] of planReuse(plan, keys, cache, inLake)) reuse.set(id, r);
    // Only the TS models that run need a process.
    tsChildren.expect(tsChildSpecs(plan, options.projectDir, options.memory).filter((s) => reuse.get(`model:${s.model}`)?.run !== false));
    await emitSettings(ctx, spillDir);
    await schedule(ctx, inEdges, outEdges, threads, results, { reuse, cache, keys, preview: options.preview ?? 0 });
    const allOk = [...results.values()].every(succeeded) && !abort.signal.aborted;
    settled = await settle(ctx, tx, allOk, options, author, results);
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
    if (!settled.filesCommitted) await removeWrittenFiles(ctx);
    if (tx !== null && settled.keptBranch === null) await dropRunBranch(lake, tx).catch(() => {});
    if (cache !== null) evictOutputs(ctx, cache, keys);
    shm.remove();
    db.closeSync();
    rmSync(spillDir, { recursive: true, force: true });
    lake.close();
  }
  const commit = settled.commit;
  const nodes = plan.nodes.map((n) => results.get(n.id)!);
  return {
    ok: nodes.every(succeeded) && !abort.signal.aborted,
    runId,
    nodes,
    edges: edgeRecords(plan, ctx, results),
    commit,
    branch: plan.project.branch,
    keptBranch: settled.keptBranch,
    rebasedOnto: settled.rebasedOnto,
    seconds: (performance.now() - started) / 1000,
    cancelled: abort.signal.aborted,
  };
}

/** The run's DuckDB and shared-memory settings, as debug lines. */
async function emitSettings(ctx: NodeContext, spillDir: string): Promise<void> {
  try {
    const row = await ctx.withConnection(async (conn) =>
      (await conn.runAndReadAll("SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')")).getRows()[0]!,
    );
    ctx.emit({ type: "debug", message: `duckdb: memory_limit ${String(row[0])}, threads ${String(row[1])}, spills to ${String(row[2] ?? spillDir)}` });
  } catch {
    // only informative
  }
  const shm = ctx.shm;
  ctx.emit({
    type: "debug",
    message: shm.fallback
      ? `tables exchanged through ${shm.path} (disk: ${shm.wanted} is not writable)`
      : `tables exchanged through ${shm.path}: ${shm.free()} bytes usable${shm.limit !== null ? ` (BP_SHM_LIMIT_BYTES=${shm.limit})` : ""}; a folder in ${os.tmpdir()} when short`,
  });
}

/**
 * One record per plan edge, in plan order. Edges inside DuckDB copy nothing; an edge whose consumer
 * never got to move data (skipped, failed first, cancelled) has no location.
 */
function edgeRecords(plan: Plan, ctx: NodeContext, results: ReadonlyMap<string, NodeResult>): EdgeResult[] {
  return plan.edges.map((e) => {
    const r = ctx.edgeResults.get(edgeKey(e));
    if (r) return r;
    const status = results.get(e.to)?.status;
    const ran = status === "ok" || status === "failed";
    return {
      from: e.from,
      to: e.to,
      ...(e.param !== undefined ? { param: e.param } : {}),
      transport: e.transport,
      location: e.transport === "duckdb" && ran ? "duckdb" : null,
      bytes: null,
      seconds: 0,
    };
  });
}

/** What the scheduler needs of the output cache. */
interface CacheUse {
  readonly reuse: ReadonlyMap<string, Reuse>;
  readonly cache: OutputCache | null;
  readonly keys: ReadonlyMap<string, string>;
  /** Rows of each model's output to report (0: none). */
  readonly preview: number;
}

async function schedule(
  ctx: NodeContext,
  inEdges: ReadonlyMap<string, readonly PlanEdge[]>,
  outEdges: ReadonlyMap<string, readonly PlanEdge[]>,
  threads: number,
  results: Map<string, NodeResult>,
  cacheUse: CacheUse,
): Promise<void> {
  /** Outputs being written to the cache; the run waits for them (they need its DuckDB). */
  const keeping = new Set<Promise<void>>();
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
      if (node.kind === "ts") ctx.tsChildren.drop(tsChildSpec(ctx.projectDir, node, ctx.memory));
      ctx.emit({ type: "node-end", result });
      skipDownstream(node.id, cause);
    }
  };

  const start = (node: PlanNode) => {
    const t0 = performance.now();
    const decision = cacheUse.reuse.get(node.id) ?? { run: true };
    const cacheKey = cacheUse.keys.get(node.id);
    if (decision.run) ctx.emit({ type: "node-start", id: node.id, kind: node.kind, name: nameOf(node) });
    else if (node.kind === "ts") ctx.tsChildren.drop(tsChildSpec(ctx.projectDir, node, ctx.memory));
    const work = decision.run ? runNode(ctx, node) : reuseOutput(ctx, node, decision);
    const p = work.then(
      async ({ rows, fetch, stored }) => {
        const model = node.kind === "sql" || node.kind === "ts" ? node : null;
        if (decision.run && model !== null && cacheUse.cache !== null && cacheKey !== undefined && stored !== true) {
          const kept = keepOutput(ctx, cacheUse.cache, model, cacheKey, rows).catch((err: unknown) =>
            ctx.emit({ type: "debug", message: `output of ${model.name} not cached: ${err instanceof Error ? err.message : String(err)}` }),
          );
          const tracked = kept.finally(() => keeping.delete(tracked));
          keeping.add(tracked);
        }
        const preview = decision.run && model !== null && cacheUse.preview > 0 ? await previewOutput(ctx, model, cacheUse.preview) : undefined;
        const result: NodeResult = {
          id: node.id,
          kind: node.kind,
          name: nameOf(node),
          status: decision.run ? "ok" : "cached",
          rows,
          seconds: (performance.now() - t0) / 1000,
          ...(cacheKey === undefined ? {} : { cacheKey }),
          ...(preview === undefined ? {} : { preview }),
          ...(fetch === undefined ? {} : { fetch }),
        };
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
  await Promise.all(keeping);
  // Cancelled before they could start.
  for (const n of ctx.plan.nodes) {
    if (results.has(n.id)) continue;
    const result: NodeResult = { id: n.id, kind: n.kind, name: nameOf(n), status: "skipped", rows: null, seconds: 0, skippedBecause: "cancelled" };
    results.set(n.id, result);
    ctx.emit({ type: "node-end", result });
  }
}

/** A node the run does not run: its cached output is put in place when a node that runs reads it. */
async function reuseOutput(ctx: NodeContext, node: PlanNode, decision: Extract<Reuse, { run: false }>): Promise<NodeOutcome> {
  // Committed again as it was: its files belong to an earlier commit (never discarded by this run).
  if (node.kind === "materialize" && decision.relink !== undefined) ctx.relinked.set(node.table, decision.relink);
  if (decision.restore !== null && (node.kind === "sql" || node.kind === "ts")) {
    try {
      await restoreOutput(ctx, node, decision.restore);
    } catch (err) {
      throw new NodeError({ cause: "io", message: `cannot read the cached output of ${node.name}: ${err instanceof Error ? err.message : String(err)}; re-run with --no-cache` });
    }
  }
  return { rows: decision.rows };
}

/**
 * Each TS node's resolved package environment, for its run key (a model without packages has the
 * constant empty one at once; a recorded set takes a few ms). A node whose packages cannot be
 * installed gets a key that matches nothing: it runs, and fails with npm's reason.
 */
async function envHashes(ctx: NodeContext): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await Promise.all(
    [...ctx.packageEnvs].map(async ([id, env]) => {
      hashes.set(id, await env.then((e) => e.hash, () => `unavailable-${randomBytes(8).toString("hex")}`));
    }),
  );
  return hashes;
}

/** Materialized tables whose run key is not the one at the target's head: the only ones to look for in its history. */
function wantedFromLake(plan: Plan, keys: ReadonlyMap<string, string>, base: { readonly tables: Readonly<Record<string, { cacheKey?: string }>> } | null): Set<string> {
  const wanted = new Set<string>();
  for (const n of plan.nodes) {
    if (n.kind !== "materialize") continue;
    const key = keys.get(n.from);
    if (key !== undefined && base?.tables[n.table]?.cacheKey !== key) wanted.add(outputId(n.table, key));
  }
  return wanted;
}

/** The run's output cache (RunOptions.cache, see projectOutputCache), or null for `cache: false`. */
function outputCacheOf(options: RunOptions, projectDir: string): OutputCache | null {
  if (options.cache === false) return null;
  try {
    return projectOutputCache(projectDir, options.cache ?? {});
  } catch (err) {
    throw new RunSettingsError(err instanceof Error ? err.message : String(err));
  }
}

/** Keeps the cache under its bound; entries this run used or wrote stay. */
function evictOutputs(ctx: NodeContext, cache: OutputCache, keys: ReadonlyMap<string, string>): void {
  const used = new Set(keys.values());
  for (const key of used) cache.touch(key);
  try {
    const freed = cache.evict(used);
    if (freed > 0) ctx.emit({ type: "debug", message: `output cache: evicted ${freed} bytes of least recently used outputs (bound ${cache.maxBytes} bytes)` });
  } catch {
    // eviction is housekeeping: a failure never fails the run
  }
}

interface Settled {
  /** The target's new head, or null. */
  readonly commit: string | null;
  /** The run's branch, kept (failure, or a target that moved under the run). */
  readonly keptBranch: string | null;
  readonly rebasedOnto: string | null;
  /** Whether some commit references the data files this run wrote (then they stay). */
  readonly filesCommitted: boolean;
}

/** Tables read at the target branch (scans without a pinned ref), with the files they read. */
function tablesReadFromTarget(plan: Plan): ReadTable[] {
  return plan.nodes.flatMap((n) => (n.kind === "scan" && n.ref === null ? [{ table: n.table, files: n.files }] : []));
}

/** Ends the transaction: merge into the target, or keep/drop the run's branch. */
async function settle(
  ctx: NodeContext,
  tx: Transaction,
  allOk: boolean,
  options: RunOptions,
  author: string | undefined,
  results: Map<string, NodeResult>,
): Promise<Settled> {
  const tables = [...new Set([...ctx.written.keys(), ...ctx.relinked.keys()])].sort();
  const put = Object.fromEntries([...ctx.relinked, ...ctx.written]);
  const nothing: Settled = { commit: null, keptBranch: null, rebasedOnto: null, filesCommitted: false };
  const lake = ctx.lake;
  const fail = (message: string, keptBranch: string | null) => {
    // Nothing was committed to the target: the materialize nodes end FAILED in the summary.
    for (const table of tables) {
      const id = `materialize:${table}`;
      const prev = results.get(id);
      if (prev) results.set(id, { ...prev, status: "failed", failure: { cause: "commit", message } });
    }
    ctx.emit({ type: "commit-failed", branch: tx.target, tables, message, ...(keptBranch ? { keptBranch } : {}) });
  };

  if (!allOk) {
    if (ctx.signal.aborted || options.keepFailed === false) return nothing;
    if (tables.length === 0) return tx.base === null ? nothing : { ...nothing, keptBranch: tx.branch };
    try {
      await commitToRunBranch(lake, tx, put, `bp build (failed run): ${tables.join(", ")}`, author);
      return { ...nothing, keptBranch: tx.branch, filesCommitted: true };
    } catch {
      return nothing;
    }
  }
  if (tables.length === 0) return nothing;
  let runCommit;
  try {
    runCommit = await commitToRunBranch(lake, tx, put, `bp build: ${tables.join(", ")}`, author);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), null);
    return nothing;
  }
  try {
    const p = await promote(lake, tx, runCommit, put, tablesReadFromTarget(ctx.plan), author);
    ctx.emit({ type: "commit", commit: p.commit.id, branch: tx.target, tables, ...(p.rebasedOnto ? { rebasedOnto: p.rebasedOnto } : {}) });
    return { commit: p.commit.id, keptBranch: null, rebasedOnto: p.rebasedOnto, filesCommitted: true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    fail(message, tx.branch);
    if (!(err instanceof TargetMovedError) && options.keepFailed === false) return { ...nothing, filesCommitted: true };
    return { ...nothing, keptBranch: tx.branch, filesCommitted: true };
  }
}

/** Nothing committed: the data files this run wrote (and their emptied folders) go away. */
async function removeWrittenFiles(ctx: NodeContext): Promise<void> {
  for (const entry of ctx.written.values()) {
    for (const f of entry.files) await ctx.lake.discardDataFile(f.path).catch(() => {});
  }
}

/** Ran and succeeded, or reused a cached output. */
function succeeded(r: NodeResult): boolean {
  return r.status === "ok" || r.status === "cached";
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
