/**
 * State shared by the node runners of one run: the DuckDB instance, the lake, the shared-memory
 * folder, Arrow IPC files already exported (each written once, shared by every reader), and the
 * tables written to the lake so far (committed together at the end).
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import path from "node:path";
import type { Plan, PlanEdge, PlanNode } from "../compiler/plan-types.js";
import { queryToArrowIPCFile } from "./arrow/duckdb-to-arrow.js";
import type { Lake } from "./lake/lake.js";
import type { TableEntry } from "./lake/types.js";
import type { EdgeResult, RunEvent } from "./run-events.js";
import type { ShmDir } from "./shm-dir.js";
import { quoteIdent } from "./sql-quote.js";
import { NARROWED_FOR_ARROW } from "./arrow/narrowed-types.js";

export interface RunContext {
  readonly plan: Plan;
  readonly projectDir: string;
  readonly lake: Lake;
  readonly db: DuckDBInstance;
  readonly shm: ShmDir;
  readonly signal: AbortSignal;
  readonly emit: (event: RunEvent) => void;
  readonly nodesById: ReadonlyMap<string, PlanNode>;
  readonly outEdges: ReadonlyMap<string, readonly PlanEdge[]>;
  /** Arrow IPC output file of each finished TS node. */
  readonly tsOutputs: Map<string, string>;
  /** Lake data files written by materialize nodes, by table. */
  readonly written: Map<string, TableEntry>;
  readonly edgeResults: EdgeResult[];
  /** Exports of DuckDB tables to Arrow IPC files, memoized by (table, columns, filter). */
  readonly exports: Map<string, Promise<{ path: string; bytes: number }>>;
  withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
}

/** Exports `SELECT columns FROM table WHERE filter` once per distinct query; later readers share the file. */
export function exportToShm(
  ctx: RunContext,
  table: string,
  columns: readonly string[] | null,
  filter: string | null,
): Promise<{ path: string; bytes: number; reused: boolean }> {
  const key = JSON.stringify([table, columns, filter]);
  const existing = ctx.exports.get(key);
  if (existing) return existing.then((e) => ({ ...e, reused: true }));
  const file = path.join(ctx.shm.path, `${table}.${ctx.exports.size}.arrow`);
  const made = ctx.withConnection(async (conn) => {
    const sql = await exportSelect(conn, table, columns, filter);
    const r = await queryToArrowIPCFile(conn, sql, file);
    return { path: file, bytes: r.bytes };
  });
  ctx.exports.set(key, made);
  return made.then((e) => ({ ...e, reused: false }));
}


async function exportSelect(conn: DuckDBConnection, table: string, columns: readonly string[] | null, filter: string | null): Promise<string> {
  const described = await conn.runAndReadAll(`DESCRIBE ${quoteIdent(table)}`);
  const all = described.getRowObjectsJS().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
  const chosen = columns ? columns.map((c) => all.find((a) => a.name.toLowerCase() === c.toLowerCase()) ?? { name: c, type: "" }) : all;
  const list = chosen.map((c) => (NARROWED_FOR_ARROW[c.type] ? `CAST(${quoteIdent(c.name)} AS ${NARROWED_FOR_ARROW[c.type]}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
  return `SELECT ${list.join(", ")} FROM ${quoteIdent(table)}${filter ? ` WHERE (${filter}\n)` : ""}`;
}
