/**
 * The lake's catalog objects. Plain JSON data; documented in runtime/lake/CONTEXT.md.
 */
import type { ColumnSchema } from "../../compiler/plan-types.js";

export type { ColumnSchema };

/** One immutable Parquet data file of a table. */
export interface DataFile {
  /** Relative to the lake root, `/`-separated, e.g. `data/orders/<uuid>.parquet`. */
  path: string;
  rows: number;
  bytes: number;
}

/** A table as one commit sees it: its schema and the data files that hold its rows. */
export interface TableEntry {
  schema: ColumnSchema[];
  /** Sum of `files[].rows`. */
  rows: number;
  /** Sum of `files[].bytes`. */
  bytes: number;
  files: DataFile[];
  /**
   * The model whose materialization wrote this table (`bp build`); absent for imported source
   * tables. Omitted from the commit JSON when absent, so it does not change ids of commits without it.
   */
  producedBy?: string;
  /**
   * The run key of the model output written here (runtime/output-cache/): a build whose model has
   * the same key does not write the table again. Absent for imported tables; omitted when absent.
   */
  cacheKey?: string;
}

/**
 * A commit: a full snapshot of every table on a branch. Write-once.
 * `id` is the sha256 (hex) of the canonical JSON of every other field (see commit-id.ts).
 */
export interface Commit {
  id: string;
  /** Empty for the first commit of a lake, one id otherwise (two after a merge, later). */
  parents: string[];
  /** ISO-8601 UTC. */
  time: string;
  message: string;
  author: string;
  tables: Record<string, TableEntry>;
}

/** A commit before its id is computed. */
export type CommitBody = Omit<Commit, "id">;
