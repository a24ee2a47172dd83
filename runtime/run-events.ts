/**
 * What a run reports, as data: the runtime emits these events and returns a RunResult;
 * the CLI decides how to print them (live lines, progress, summary table, JSON).
 */
import type { PlanNodeKind } from "../compiler/plan-types.js";

export type NodeStatus = "ok" | "failed" | "skipped";

export interface NodeFailure {
  /** What went wrong, in one or a few lines. */
  readonly message: string;
  /** Kind of failure: a SQL error, a TS throw, an exit, an out-of-memory kill... */
  readonly cause: "sql" | "throw" | "bad-return" | "bad-module" | "exit" | "oom" | "signal" | "cancelled" | "schema" | "io" | "commit";
  /** The model's file, and a line:col in it when known. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly stack?: string;
}

export interface NodeResult {
  readonly id: string;
  readonly kind: PlanNodeKind;
  readonly name: string;
  readonly status: NodeStatus;
  /** Rows produced (null where counting would cost a read, e.g. scans). */
  readonly rows: number | null;
  readonly seconds: number;
  readonly failure?: NodeFailure;
  /** For skipped nodes: the failed upstream node that caused it. */
  readonly skippedBecause?: string;
}

/** How data crossed one edge during the run. */
export interface EdgeResult {
  readonly from: string;
  readonly to: string;
  readonly transport: string;
  /** For edges into a TS node: the `run` parameter, and how the child opened the file. */
  readonly param?: string;
  readonly readMode?: "mmap" | "read";
  readonly bytes: number | null;
  readonly seconds: number;
}

export type RunEvent =
  | { readonly type: "run-start"; readonly runId: string; readonly nodes: number; readonly shmDir: string; readonly shmFallback: boolean }
  | { readonly type: "node-start"; readonly id: string; readonly kind: PlanNodeKind; readonly name: string }
  | { readonly type: "log"; readonly id: string; readonly name: string; readonly stream: "stdout" | "stderr"; readonly line: string }
  | { readonly type: "node-end"; readonly result: NodeResult }
  | { readonly type: "commit"; readonly commit: string; readonly branch: string; readonly tables: readonly string[] }
  | { readonly type: "commit-failed"; readonly branch: string; readonly tables: readonly string[]; readonly message: string };

export interface RunResult {
  readonly ok: boolean;
  readonly runId: string;
  readonly nodes: readonly NodeResult[];
  readonly edges: readonly EdgeResult[];
  /** The lake commit made by this run, or null (failure, or nothing materialized). */
  readonly commit: string | null;
  readonly branch: string;
  readonly seconds: number;
  readonly cancelled: boolean;
}
