/**
 * A TS model: its package environment awaited first (being resolved since the run started; a package
 * that cannot be installed fails the node before any input is exported), its inputs handed over as
 * Arrow IPC files in shared memory (each written once and shared; in the disk folder when shared
 * memory is short), `run` executed in its own child process with the model's memory limit and its
 * environment, logs streamed live, and the output file loaded into DuckDB only when a SQL model, a
 * filter or a materialization needs it there.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import path from "node:path";
import type { TsNode } from "../../compiler/plan-types.js";
import { arrowIPCFileToDuckDB } from "../arrow/arrow-to-duckdb.js";
import { claim, emitShmFallback, exportToShm, isEnospc, recordEdge, settleFile, type RunContext, type RunFile } from "../run-context.js";
import type { EdgeResult } from "../run-events.js";
import type { FileLocation } from "../shm-dir.js";
import { describeTable, quoteIdent } from "../sql-quote.js";
import { environmentFor, PackageInstallError, type PackageEnv } from "../packages/index.js";
import type { ChildEnv } from "../ts-child/protocol.js";
import { DEFAULT_MEMORY_MB, formatMemory } from "../../compiler/ts/memory-size.js";
import { runTsModel, type TsRunJob, type TsRunResult } from "../ts-child/run-ts-model.js";
import { tsChildSpec, type NodeContext } from "./index.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runTs(ctx: NodeContext, node: TsNode): Promise<{ rows: number | null }> {
  const env = await packageEnv(ctx, node);
  const inputs: TsRunJob["inputs"] = [];
  const edges: EdgeResult[] = [];
  const inputFiles = new Map<string, number>();
  for (const input of node.inputs) {
    const started = performance.now();
    const edge = ctx.outEdges.get(input.from)?.find((e) => e.to === node.id && e.param === input.param);
    if (edge?.transport === "shm") {
      // The producer's own output file, opened directly: nothing is copied.
      const file = ctx.tsOutputs.get(input.from)!;
      inputs.push({ param: input.param, path: file.path, columns: input.columns ? [...input.columns] : null });
      inputFiles.set(file.path, file.bytes);
      edges.push({ from: input.from, to: node.id, param: input.param, transport: "shm", location: file.location, bytes: file.bytes, ...sharedUnlessFirst(ctx, file.path), seconds: 0 });
      continue;
    }
    const table = tableNameOf(ctx, input.from);
    let exported;
    try {
      exported = await exportToShm(ctx, table, input.columns, input.filter, `${table} -> ${node.name}`);
    } catch (err) {
      throw new NodeError({ cause: "io", file: node.at.file, message: `cannot hand "${input.table}" to ${node.name}: ${duckdbMessage(err)}` });
    }
    inputs.push({ param: input.param, path: exported.path, columns: null });
    inputFiles.set(exported.path, exported.bytes);
    const shared = sharedUnlessFirst(ctx, exported.path);
    // A TS producer's output loaded into DuckDB only for this export: the load counts here.
    const load = ctx.pendingLoads.get(input.from) ?? 0;
    ctx.pendingLoads.delete(input.from);
    edges.push({
      from: input.from,
      to: node.id,
      param: input.param,
      transport: edge?.transport ?? "duckdb-to-shm",
      location: exported.location,
      bytes: exported.bytes,
      ...shared,
      seconds: (shared.shared ? 0 : (performance.now() - started) / 1000) + load,
    });
  }

  // The output goes to shared memory when there is room for about as much as the inputs.
  const what = `output of ${node.name}`;
  const outName = `${node.name}.out.arrow`;
  const estimate = [...inputFiles.values()].reduce((a, b) => a + b, 0);
  const placement = ctx.shm.place(estimate);
  if (placement.location === "disk" && !ctx.shm.fallback) emitShmFallback(ctx, what, "no-room", estimate, placement.free, placement.dir);
  let outputPath = path.join(placement.dir, outName);
  let location: FileLocation = placement.location;
  let result: TsRunResult;
  try {
    result = await runChild(ctx, node, env, inputs, outputPath);
  } finally {
    placement.release();
  }
  if (!result.ok && location === "shm" && result.message.includes(outputPath) && isEnospc(result.message)) {
    // Shared memory filled up under the child: run it again with its output on disk.
    const dir = ctx.shm.diskDir();
    emitShmFallback(ctx, what, "enospc-rerun", estimate, ctx.shm.free(), dir);
    outputPath = path.join(dir, outName);
    location = "disk";
    result = await runChild(ctx, node, env, inputs, outputPath);
  }

  ctx.emit({
    type: "debug",
    message: `${node.name}: ${result.warm ? "ran in a process started ahead (loaded while upstream work ran)" : "ran in a process started when the node started"}`,
  });

  // How each input was opened in the child: mapped (zero-copy) or read into memory.
  for (const e of edges) {
    const read = result.ok ? result.reads?.find((r) => r.param === e.param) : undefined;
    recordEdge(ctx, read ? { ...e, readMode: read.mode, seconds: e.seconds + read.ms / 1000 } : e);
    if (read?.mode === "read") {
      ctx.emit({ type: "log", id: node.id, name: node.name, stream: "stderr", line: `bp: input "${e.param}" was read into memory, not mapped${read.reason ? ` (${read.reason})` : ""}` });
    }
  }
  if (!result.ok) {
    const { line, column } = userFrame(result.stack, node.at.file);
    const memoryMb = tsChildSpec(ctx.projectDir, node, ctx.memory).memoryMb;
    throw new NodeError({
      cause: result.kind,
      message: result.kind === "oom" ? `${result.message} (${memorySource(node, memoryMb)})` : result.message,
      ...(result.kind === "oom" ? { memoryMb } : {}),
      file: node.at.file,
      ...(line !== undefined ? { line, column } : {}),
      ...(result.stack ? { stack: result.stack } : {}),
    });
  }
  if (node.schema) checkDeclaredSchema(node, result.schema.map((c) => c.name));
  const output = settleFile(ctx, what, { path: outputPath, bytes: result.bytes, location });
  ctx.tsOutputs.set(node.id, output);

  await loadTsOutputIfNeeded(ctx, node, output);
  return { rows: result.rows };
}

/** Loads a TS model's output into DuckDB when a node that runs reads it there (a SQL model, a filter, a materialization). */
export async function loadTsOutputIfNeeded(ctx: RunContext, node: TsNode, output: RunFile): Promise<void> {
  const needsDuckDB = (ctx.outEdges.get(node.id) ?? []).some((e) => e.transport !== "shm" && ctx.willRun(e.to));
  if (needsDuckDB) await loadIntoDuckDB(ctx, node, output);
}

/** The node's package environment as the child gets it; a package that cannot be installed fails the node. */
async function packageEnv(ctx: NodeContext, node: TsNode): Promise<ChildEnv> {
  let env: PackageEnv;
  try {
    env = await (ctx.packageEnvs.get(node.id) ?? environmentFor(node.packages, { signal: ctx.signal, cwd: ctx.projectDir }));
  } catch (err) {
    ctx.tsChildren.drop(tsChildSpec(ctx.projectDir, node, ctx.memory)); // its process, started ahead, will not run
    if (!(err instanceof PackageInstallError)) throw err;
    throw new NodeError({ cause: "packages", file: node.at.file, message: err.message });
  }
  if (env.resolved.length > 0) {
    ctx.emit({ type: "debug", message: `${node.name}: packages ${env.resolved.map((p) => `${p.name}@${p.version}`).join(", ")} from ${env.dir}` });
  }
  return { dir: env.dir === "" ? null : env.dir, packages: env.resolved.map((p) => p.name) };
}

function runChild(ctx: NodeContext, node: TsNode, env: ChildEnv, inputs: TsRunJob["inputs"], outputPath: string): Promise<TsRunResult> {
  let v8CrashDump = false; // V8's out-of-memory dump is noise: the failure message says what happened
  const spec = tsChildSpec(ctx.projectDir, node, ctx.memory);
  return runTsModel(
    { ...spec, inputs, outputPath, env },
    {
      child: ctx.tsChildren.take(spec),
      onLine: (stream, line) => {
        if (stream === "stderr" && /^<--- Last few GCs --->/.test(line)) v8CrashDump = true;
        if (!(v8CrashDump && stream === "stderr")) ctx.emit({ type: "log", id: node.id, name: node.name, stream, line });
      },
      signal: ctx.signal,
    },
  );
}

/** Where a TS model's heap limit came from: `memory: "512MB" in models/x.ts`, the default, or this run's override. */
function memorySource(node: TsNode, memoryMb: number): string {
  if (memoryMb !== node.memoryMb) return `set for this run, instead of the model's ${formatMemory(node.memoryMb)}`;
  if (node.memoryMb === DEFAULT_MEMORY_MB) return `the default, as ${node.at.file} sets no other memory`;
  return `memory: "${formatMemory(node.memoryMb)}" in ${node.at.file}`;
}

/** `{}` for the first edge reading `file` (it counts the bytes), `{ shared: true }` for the others. */
function sharedUnlessFirst(ctx: RunContext, file: string): { shared?: true } {
  return claim(ctx, file) ? {} : { shared: true };
}

/** The DuckDB object holding a node's output: the source table's view or the model's table. */
function tableNameOf(ctx: RunContext, nodeId: string): string {
  const n = ctx.nodesById.get(nodeId)!;
  if (n.kind === "scan") return n.table;
  if (n.kind === "sql" || n.kind === "ts") return n.name;
  throw new Error(`bp: node ${nodeId} has no table`);
}

function checkDeclaredSchema(node: TsNode, actual: readonly string[]): void {
  const declared = node.schema!.map((c) => c.name);
  const lower = new Set(actual.map((c) => c.toLowerCase()));
  const missing = declared.filter((c) => !lower.has(c.toLowerCase()));
  const extra = actual.filter((c) => !declared.some((d) => d.toLowerCase() === c.toLowerCase()));
  if (missing.length || extra.length) {
    throw new NodeError({
      cause: "schema",
      file: node.at.file,
      message:
        `run() returned columns (${actual.join(", ")}) but the model declares columns (${declared.join(", ")})` +
        (missing.length ? `; missing: ${missing.join(", ")}` : "") +
        (extra.length ? `; not declared: ${extra.join(", ")}` : ""),
    });
  }
}

/** Loads the output into DuckDB under the model's name, cast to the declared schema when there is one. */
async function loadIntoDuckDB(ctx: RunContext, node: TsNode, file: RunFile): Promise<void> {
  const started = performance.now();
  const raw = node.schema ? `${node.name}__bp_raw` : node.name;
  try {
    await ctx.withConnection(async (conn) => {
      await arrowIPCFileToDuckDB(conn, file.path, raw);
      if (node.schema) {
        await checkLosslessCasts(conn, node, raw);
        const casts = node.schema.map((c) => `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(", ");
        await conn.run(`CREATE TABLE ${quoteIdent(node.name)} AS SELECT ${casts} FROM ${quoteIdent(raw)}`);
        await conn.run(`DROP TABLE ${quoteIdent(raw)}`);
      }
    });
  } catch (err) {
    if (err instanceof NodeError) throw err;
    throw new NodeError({ cause: "schema", file: node.at.file, message: `cannot load the output of ${node.name} into DuckDB: ${duckdbMessage(err)}` });
  }
  const seconds = (performance.now() - started) / 1000;
  // The load is done once; the first edge into DuckDB counts its bytes and time, the others share it.
  let loadCounted = false;
  for (const e of ctx.outEdges.get(node.id) ?? []) {
    if (e.transport !== "shm-to-duckdb") continue;
    const first = !loadCounted;
    loadCounted = true;
    recordEdge(ctx, { from: node.id, to: e.to, transport: e.transport, location: file.location, bytes: file.bytes, ...sharedUnlessFirst(ctx, file.path), seconds: first ? seconds : 0 });
  }
  if (!loadCounted) ctx.pendingLoads.set(node.id, seconds);
}

/**
 * A declared type must hold the returned values: 1.7 into a BIGINT column, or 300 into TINYINT,
 * is an error naming the column and a value, not a silent rounding.
 */
async function checkLosslessCasts(conn: DuckDBConnection, node: TsNode, raw: string): Promise<void> {
  const actual = new Map((await describeTable(conn, raw)).map((c) => [c.name.toLowerCase(), c.type]));
  for (const c of node.schema!) {
    const from = actual.get(c.name.toLowerCase());
    if (from === undefined || from === c.type) continue;
    const col = quoteIdent(c.name);
    const reader = await conn.runAndReadAll(
      `SELECT ${col}::VARCHAR FROM ${quoteIdent(raw)} WHERE ${col} IS NOT NULL AND (TRY_CAST(${col} AS ${c.type}) IS NULL OR TRY_CAST(${col} AS ${c.type}) IS DISTINCT FROM ${col}) LIMIT 1`,
    );
    const bad = reader.getRows()[0]?.[0];
    if (bad !== undefined) {
      throw new NodeError({
        cause: "schema",
        file: node.at.file,
        message: `run() returned ${from} values in column "${c.name}" that its declared type ${c.type} cannot hold exactly, e.g. ${String(bad)}; change the declared type in columns: {...} or convert the values in run()`,
      });
    }
  }
}

/** The first stack frame in the model's own file, if any: `.../models/x.ts:12:9`. */
function userFrame(stack: string | undefined, file: string): { line?: number; column?: number } {
  if (!stack) return {};
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(stack);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {};
}
