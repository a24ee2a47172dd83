/**
 * What a run reports, as data: the runtime emits these events and returns a RunResult;
 * the CLI decides how to print them (live lines, progress, summary table, JSON).
 */
import type { PlanNodeKind } from "../compiler/plan-types.js";
import type { ScanFetchReport } from "./lake/storage.js";

/**
 * ok: ran and succeeded; cached: not run, its cache key matched an output computed before (the output
 * cache, or for a materialize node the lake table already written with that key); failed; skipped
 * (an upstream failed, or the run was cancelled).
 */
export type NodeStatus = "ok" | "cached" | "failed" | "skipped";

export interface NodeFailure {
  /** What went wrong, in one or a few lines. */
  readonly message: string;
  /** Kind of failure: a SQL error, a TS throw, an exit, an out-of-memory kill, a package that could not be installed... */
  readonly cause: "sql" | "throw" | "bad-return" | "bad-module" | "exit" | "oom" | "signal" | "cancelled" | "schema" | "io" | "commit" | "packages";
  /** The model's file, and a line:col in it when known. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly stack?: string;
  /** For `oom`: the heap limit the process had, in MiB (the model's `memory`, or RunOptions.memory for the run). */
  readonly memoryMb?: number;
}

export interface NodeResult {
  readonly id: string;
  readonly kind: PlanNodeKind;
  readonly name: string;
  readonly status: NodeStatus;
  /** Rows produced (null where counting would cost a read, e.g. scans). */
  readonly rows: number | null;
  readonly seconds: number;
  /** The node's cache key for this run (the plan's `cacheKey` extended with its package environment). */
  readonly cacheKey?: string;
  /** With RunOptions.preview: the first rows of a model's output (models that ran or were cached). */
  readonly preview?: OutputPreview;
  /** Scans of a remote (S3) lake: bytes fetched now vs served by the local scan cache. */
  readonly fetch?: ScanFetchReport;
  readonly failure?: NodeFailure;
  /** For skipped nodes: the failed upstream node that caused it. */
  readonly skippedBecause?: string;
}

/** The first rows of a table, as JSON-safe values (numbers, strings, booleans, null; BIGINTs beyond 2^53 and dates as strings). */
export interface OutputPreview {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/**
 * How data crossed one edge of the plan during the run (one record per plan edge, in plan order).
 * Bytes are counted once per file: an edge reading a file already written (or loaded) for another
 * edge is `shared`, and its seconds are only its own (e.g. the child mapping the file).
 */
export interface EdgeResult {
  readonly from: string;
  readonly to: string;
  /** The plan's transport for the edge. */
  readonly transport: string;
  /**
   * Where the data crossed: inside DuckDB (nothing copied), an Arrow IPC file in shared memory, an
   * Arrow IPC file in the disk folder (shared memory was short or not writable), Parquet in the
   * lake; null when nothing crossed because the consumer did not run (skipped, failed, cancelled).
   */
  readonly location: "duckdb" | "shm" | "disk" | "lake" | null;
  /** For edges into a TS node: the `run` parameter, and how the child opened the file. */
  readonly param?: string;
  readonly readMode?: "mmap" | "read";
  /** Size of the data handed over (Arrow IPC file, or Parquet written); null inside DuckDB or not run. */
  readonly bytes: number | null;
  /** The file was already written or loaded for another edge: its bytes are counted there. */
  readonly shared?: boolean;
  readonly seconds: number;
  /** A TS model's output written to the lake after loading it into DuckDB: Parquet bytes and time. */
  readonly lakeBytes?: number;
  readonly lakeSeconds?: number;
}

/** Why a table went to the disk folder instead of shared memory. */
export type ShmFallbackReason =
  /** Its estimated size is more than the room left in shared memory (free space, BP_SHM_LIMIT_BYTES). */
  | "no-room"
  /** Writing it to shared memory failed with ENOSPC: written again on disk. */
  | "enospc"
  /** A TS model's output file failed with ENOSPC: the model ran again with its output on disk. */
  | "enospc-rerun"
  /** Written to shared memory, it turned out larger than estimated and over BP_SHM_LIMIT_BYTES: moved to disk. */
  | "over-limit";

/** An event as a node runner emits it; the run stamps it with `time` (RunEvent). */
export type RunEventData =
  | {
      readonly type: "run-start";
      readonly runId: string;
      /** Wall-clock start of the run (ISO-8601, UTC). */
      readonly startedAt: string;
      readonly nodes: number;
      readonly shmDir: string;
      readonly shmFallback: boolean;
      /** The shared-memory folder asked for ($BP_SHM_DIR or /dev/shm). */
      readonly shmWanted: string;
    }
  /** One table (what: "a -> b" or "output of m") went to the disk folder instead of shared memory. */
  | {
      readonly type: "shm-fallback";
      readonly what: string;
      readonly reason: ShmFallbackReason;
      /** Its (estimated, for no-room) size, and the usable room in shared memory at that moment. */
      readonly bytes: number;
      readonly free: number | null;
      /** The shared-memory folder, and BP_SHM_LIMIT_BYTES when it capped the room. */
      readonly shmDir: string;
      readonly limit: number | null;
      readonly dir: string;
    }
  /** Settings and details worth a line only when asked for (bp build --verbose). */
  | { readonly type: "debug"; readonly message: string }
  | { readonly type: "node-start"; readonly id: string; readonly kind: PlanNodeKind; readonly name: string }
  | { readonly type: "log"; readonly id: string; readonly name: string; readonly stream: "stdout" | "stderr"; readonly line: string }
  | { readonly type: "node-end"; readonly result: NodeResult }
  | { readonly type: "commit"; readonly commit: string; readonly branch: string; readonly tables: readonly string[]; readonly rebasedOnto?: string }
  | {
      readonly type: "commit-failed";
      readonly branch: string;
      readonly tables: readonly string[];
      readonly message: string;
      /** The run's branch, kept with the run's tables. */
      readonly keptBranch?: string;
    };

/** A run event: the data plus `time`, milliseconds since the run started (integer, monotonic clock). */
export type RunEvent = RunEventData & { readonly time: number };

export interface RunResult {
  readonly ok: boolean;
  readonly runId: string;
  readonly nodes: readonly NodeResult[];
  readonly edges: readonly EdgeResult[];
  /** The lake commit made by this run, or null (failure, or nothing materialized). */
  readonly commit: string | null;
  /** The target branch. */
  readonly branch: string;
  /** The run's temporary branch when it was kept (a failed run, or a target that moved); else null. */
  readonly keptBranch: string | null;
  /** The target head the run was rebased onto (the target moved without touching its tables), or null. */
  readonly rebasedOnto: string | null;
  readonly seconds: number;
  readonly cancelled: boolean;
}
