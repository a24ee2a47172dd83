/**
 * State shared by the node runners of one run: the DuckDB instance, the lake, the shared-memory
 * folder, Arrow IPC files already exported (each written once, shared by every reader), the tables
 * written to the lake so far (committed together at the end), and what crossed each edge.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Plan, PlanEdge, PlanNode } from "../compiler/plan-types.js";
import type { Lake } from "./lake/lake.js";
import type { OutputCache } from "./output-cache/store.js";
import type { PackageEnv } from "./packages/index.js";
import type { TableEntry } from "./lake/types.js";
import type { EdgeResult, RunEventData, ShmFallbackReason } from "./run-events.js";
import type { FileLocation, Placement, ShmDir } from "./shm-dir.js";
import { describeTable, quoteIdent } from "./sql-quote.js";
import { NARROWED_FOR_ARROW } from "./arrow/narrowed-types.js";

/** An Arrow IPC file of the run: where it is and how big. */
export interface RunFile {
  readonly path: string;
  readonly bytes: number;
  readonly location: FileLocation;
}

export interface RunContext {
  readonly plan: Plan;
  readonly projectDir: string;
  readonly lake: Lake;
  readonly db: DuckDBInstance;
  readonly shm: ShmDir;
  readonly signal: AbortSignal;
  readonly emit: (event: RunEventData) => void;
  readonly nodesById: ReadonlyMap<string, PlanNode>;
  readonly outEdges: ReadonlyMap<string, readonly PlanEdge[]>;
  /** Arrow IPC output file of each finished TS node. */
  readonly tsOutputs: Map<string, RunFile>;
  /** Lake data files written by materialize nodes, by table. */
  readonly written: Map<string, TableEntry>;
  /** Tables committed again as an earlier commit wrote them (same run key): their files are not this run's. */
  readonly relinked: Map<string, TableEntry>;
  /** What crossed each edge so far, by `edgeKey`. */
  readonly edgeResults: Map<string, EdgeResult>;
  /** Files (or loads, `load:<node>`) whose bytes an edge record already counts. */
  readonly counted: Set<string>;
  /** Seconds a TS output took to load into DuckDB, not yet on any edge record (by node id). */
  readonly pendingLoads: Map<string, number>;
  /**
   * Each TS node's package environment, by node id: all resolved at run start, concurrently (a TS
   * node awaits its own before exporting its inputs; a failure fails only that node).
   */
  readonly packageEnvs: ReadonlyMap<string, Promise<PackageEnv>>;
  /** Exports of DuckDB tables to Arrow IPC files, memoized by (table, columns, filter). */
  readonly exports: Map<string, Promise<RunFile>>;
  withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  /** The output cache, or null (`cache: false`). */
  readonly outputCache: OutputCache | null;
  /** Each node's run key (runtime/output-cache/reuse-plan.ts): stored with materialized tables. */
  readonly runKeys: ReadonlyMap<string, string>;
  /** False for a node the run reuses instead of running (its output cached). */
  willRun(nodeId: string): boolean;
}

export function edgeKey(e: { from: string; to: string; param?: string | undefined }): string {
  return `${e.from}\0${e.to}\0${e.param ?? ""}`;
}

export function recordEdge(ctx: RunContext, r: EdgeResult): void {
  ctx.edgeResults.set(edgeKey(r), r);
}

/** True the first time `id` is claimed: that edge record counts its bytes; later ones are shared. */
export function claim(ctx: RunContext, id: string): boolean {
  if (ctx.counted.has(id)) return false;
  ctx.counted.add(id);
  return true;
}

export function isEnospc(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === "ENOSPC" || /\bENOSPC\b/.test(err instanceof Error ? err.message : String(err));
}

export function emitShmFallback(ctx: RunContext, what: string, reason: ShmFallbackReason, bytes: number, free: number | null, dir: string): void {
  ctx.emit({ type: "shm-fallback", what, reason, bytes, free, shmDir: ctx.shm.wanted, limit: ctx.shm.limit, dir });
}

/**
 * A file just written to shared memory that made this run go over BP_SHM_LIMIT_BYTES (its size was
 * under-estimated) moves to the disk folder; nobody has opened it yet.
 */
export function settleFile(ctx: RunContext, what: string, file: RunFile): RunFile {
  if (file.location !== "shm" || !ctx.shm.overLimit()) return file;
  const moved = path.join(ctx.shm.diskDir(), path.basename(file.path));
  copyFileSync(file.path, moved);
  rmSync(file.path, { force: true });
  emitShmFallback(ctx, what, "over-limit", file.bytes, ctx.shm.free(), path.dirname(moved));
  return { path: moved, bytes: file.bytes, location: "disk" };
}

/**
 * Exports `SELECT columns FROM table WHERE filter` once per distinct query; later readers share the
 * file. It goes to shared memory when its estimated size fits there, else to the disk folder (an
 * ENOSPC while writing to shared memory writes it again on disk); `what` names it in the log.
 */
export function exportToShm(
  ctx: RunContext,
  table: string,
  columns: readonly string[] | null,
  filter: string | null,
  what: string,
): Promise<RunFile & { reused: boolean }> {
  const key = JSON.stringify([table, columns, filter]);
  const existing = ctx.exports.get(key);
  if (existing) return existing.then((e) => ({ ...e, reused: true }));
  const name = `${table}.${ctx.exports.size}.arrow`;
  const made = ctx.withConnection(async (conn): Promise<RunFile> => {
    const { sql, from, columns: chosen } = await exportSelect(conn, table, columns, filter);
    let estimate = 0;
    let placement: Placement;
    if (ctx.shm.fallback) placement = ctx.shm.place(0);
    else {
      estimate = await estimateArrowBytes(conn, from, chosen, null, true);
      if (estimate > ctx.shm.free()) estimate = await estimateArrowBytes(conn, from, chosen, filter, false); // exact, only when short
      placement = ctx.shm.place(estimate);
      if (placement.location === "disk") emitShmFallback(ctx, what, "no-room", estimate, placement.free, placement.dir);
    }
    try {
      const { queryToArrowIPCFile } = await import("./arrow/duckdb-to-arrow.js");
      const r = await queryToArrowIPCFile(conn, sql, path.join(placement.dir, name));
      placement.release();
      return settleFile(ctx, what, { path: path.join(placement.dir, name), bytes: r.bytes, location: placement.location });
    } catch (err) {
      placement.release();
      if (placement.location !== "shm" || !isEnospc(err)) throw err;
      const dir = ctx.shm.diskDir();
      emitShmFallback(ctx, what, "enospc", estimate, ctx.shm.free(), dir);
      const { queryToArrowIPCFile } = await import("./arrow/duckdb-to-arrow.js");
      const r = await queryToArrowIPCFile(conn, sql, path.join(dir, name));
      return { path: path.join(dir, name), bytes: r.bytes, location: "disk" };
    }
  });
  ctx.exports.set(key, made);
  return made.then((e) => ({ ...e, reused: false }));
}

interface ExportColumn {
  readonly name: string;
  /** The type as it crosses to Arrow (after narrowing). */
  readonly type: string;
}

async function exportSelect(
  conn: DuckDBConnection,
  table: string,
  columns: readonly string[] | null,
  filter: string | null,
): Promise<{ sql: string; from: string; columns: ExportColumn[] }> {
  const all = await describeTable(conn, table);
  const chosen = columns ? columns.map((c) => all.find((a) => a.name.toLowerCase() === c.toLowerCase()) ?? { name: c, type: "" }) : all;
  const list = chosen.map((c) => (NARROWED_FOR_ARROW[c.type] ? `CAST(${quoteIdent(c.name)} AS ${NARROWED_FOR_ARROW[c.type]}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
  return {
    sql: `SELECT ${list.join(", ")} FROM ${quoteIdent(table)}${filter ? ` WHERE (${filter}\n)` : ""}`,
    from: quoteIdent(table),
    columns: chosen.map((c) => ({ name: c.name, type: NARROWED_FOR_ARROW[c.type] ?? c.type })),
  };
}

/** Bytes per value in Arrow of fixed-width DuckDB types (others: 16, DECIMALs are 128-bit). */
const FIXED_WIDTH: Readonly<Record<string, number>> = {
  TINYINT: 1,
  UTINYINT: 1,
  SMALLINT: 2,
  USMALLINT: 2,
  INTEGER: 4,
  UINTEGER: 4,
  FLOAT: 4,
  DATE: 4,
  BIGINT: 8,
  UBIGINT: 8,
  DOUBLE: 8,
  TIME: 8,
  TIME_NS: 8,
  TIMESTAMP: 8,
  TIMESTAMP_S: 8,
  TIMESTAMP_MS: 8,
  TIMESTAMP_NS: 8,
  "TIMESTAMP WITH TIME ZONE": 8,
};
const VARIABLE = new Set(["VARCHAR", "BLOB"]);
const BATCH_ROWS = 64 * 1024;

/**
 * The size of the Arrow IPC file of `SELECT columns FROM from [WHERE filter]`, from DuckDB's row
 * count, the column types and string lengths. `rough`: rows without the filter (an upper bound,
 * cheap on tables and Parquet) and string lengths from the first 8,192 rows only; otherwise exact
 * counts (one scan of the columns), used only when the rough figure does not fit.
 */
async function estimateArrowBytes(conn: DuckDBConnection, from: string, columns: readonly ExportColumn[], filter: string | null, rough: boolean): Promise<number> {
  const variable = columns.filter((c) => VARIABLE.has(c.type));
  const lengths = variable.map((c) => `${c.type === "BLOB" ? "octet_length" : "strlen"}(${quoteIdent(c.name)})`);
  let rows: number;
  let varBytes: number[];
  if (rough) {
    const sample = variable.length > 0 ? `, ${lengths.map((l) => `avg(${l})`).join(", ")} FROM (SELECT ${variable.map((c) => quoteIdent(c.name)).join(", ")} FROM ${from} LIMIT 8192)` : "";
    const r = (await conn.runAndReadAll(`SELECT (SELECT count(*) FROM ${from})::DOUBLE${sample}`)).getRows()[0]!;
    rows = Number(r[0]);
    varBytes = variable.map((_, i) => Math.ceil(Number(r[i + 1] ?? 0) * rows));
  } else {
    const sums = lengths.map((l) => `, coalesce(sum(${l}), 0)::DOUBLE`).join("");
    const r = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE${sums} FROM ${from}${filter ? ` WHERE (${filter}\n)` : ""}`)).getRows()[0]!;
    rows = Number(r[0]);
    varBytes = variable.map((_, i) => Number(r[i + 1]));
  }
  const pad = (n: number) => Math.ceil(n / 8) * 8;
  const batches = Math.max(1, Math.ceil(rows / BATCH_ROWS));
  let bytes = 4096; // magic, schema, footer
  let buffers = 0;
  let v = 0;
  for (const c of columns) {
    bytes += pad(Math.ceil(rows / 8)); // validity
    buffers += 2;
    if (c.type === "BOOLEAN") bytes += pad(Math.ceil(rows / 8));
    else if (VARIABLE.has(c.type)) {
      bytes += pad(4 * (rows + batches)) + pad(varBytes[v++]!);
      buffers += 1;
    } else bytes += pad((FIXED_WIDTH[c.type] ?? 16) * rows);
  }
  return Math.ceil(bytes + batches * (256 + buffers * (16 + 8)));
}
