/**
 * The physical plan: the one document the compiler writes and the runtime reads.
 * Plain, JSON-serializable data. Documented field by field in docs/plan-format.md.
 * Every node kind is a member of the `PlanNode` union keyed on `kind`.
 */

export const PLAN_VERSION = 5 as const;

/** A column as DuckDB names its type (`BIGINT`, `VARCHAR`, `DECIMAL(18,3)`, `TIMESTAMP`...). */
export interface ColumnSchema {
  readonly name: string;
  readonly type: string;
}

/** Where a node comes from in the user's project (1-based line and column). */
export interface SourceLocation {
  readonly file: string; // relative to the project root, `/`-separated
  readonly line: number;
  readonly column: number;
}

/** Reads one source table of the lake, with the projection and filter pushed down. */
export interface ScanNode {
  readonly kind: "scan";
  readonly id: string; // `scan:<table>`
  /**
   * What the node's output depends on, hashed (compiler/cache-keys.ts): equal keys, equal tables.
   * The runtime skips a node whose key matches an output it kept (runtime/output-cache/).
   */
  readonly cacheKey: string;
  readonly table: string;
  /** Union of the columns every consumer needs, in the table's column order. */
  readonly columns: readonly string[];
  /** A DuckDB boolean expression over the table's columns, or null to read every row. */
  readonly filter: string | null;
  /**
   * The ref the model pinned for this source (`input("t", { ref })`, `-- bp: ref t = REF`) as
   * written, or null: the plan's branch.
   */
  readonly ref: string | null;
  /** The lake commit whose files this scan reads (the ref resolved at compile time). */
  readonly commit: string;
  /** The Parquet data files of the table at that commit, relative to the lake root. */
  readonly files: readonly string[];
  /** Schema of the scanned columns. */
  readonly schema: readonly ColumnSchema[];
  /** bp_project.yml's `sources: { <table>: { description } }`, or null. */
  readonly description: string | null;
  /** Descriptions of the table's columns from bp_project.yml's `sources:` (column -> text, table order), scanned or not. */
  readonly columnDescriptions: Readonly<Record<string, string>>;
}

/** A SQL model: one DuckDB SELECT, run inside the embedded DuckDB. */
export interface SqlNode {
  readonly kind: "sql";
  readonly id: string; // `model:<name>`
  /**
   * What the node's output depends on, hashed (compiler/cache-keys.ts): equal keys, equal tables.
   * The runtime skips a node whose key matches an output it kept (runtime/output-cache/).
   */
  readonly cacheKey: string;
  readonly name: string;
  readonly at: SourceLocation;
  readonly description: string | null;
  /** The SELECT after template rendering; refers to its inputs by their table names. */
  readonly sql: string;
  readonly codeHash: string;
  /** Ids of the nodes it reads (scans and models), sorted. */
  readonly inputs: readonly string[];
  /** Output schema from binding, or null when an input's schema is only known at run time. */
  readonly schema: readonly ColumnSchema[] | null;
  /**
   * Per output column (in schema order), the input columns its value is computed from (sorted by
   * table, then column; compiler/sql/sql-lineage.ts says what counts). Null when it cannot be
   * computed: unknown schema of an input, or SQL the lineage walk does not follow (PIVOT, COLUMNS()).
   */
  readonly columnLineage: readonly ColumnLineage[] | null;
  /** `-- bp: column <c> = <text>` lines: output column (as the schema spells it) -> text, schema order. */
  readonly columnDescriptions: Readonly<Record<string, string>>;
  readonly materialize: boolean;
}

/** One output column of a SQL model and the input columns (table = model or source name) it derives from. */
export interface ColumnLineage {
  readonly column: string;
  readonly from: readonly { readonly table: string; readonly column: string }[];
}

/** One declared input of a TS model. */
export interface TsInput {
  /** Name of the parameter of `run` that receives the table. */
  readonly param: string;
  /** The table name as written by the user. */
  readonly table: string;
  /** Id of the node producing it. */
  readonly from: string;
  /** Declared projection, or null for every column. */
  readonly columns: readonly string[] | null;
  /** Declared filter (one DuckDB expression), or null. */
  readonly filter: string | null;
}

/** A TS model: `run` executed in its own short-lived child process. */
export interface TsNode {
  readonly kind: "ts";
  readonly id: string; // `model:<name>`
  /**
   * What the node's output depends on, hashed (compiler/cache-keys.ts): equal keys, equal tables.
   * The runtime skips a node whose key matches an output it kept (runtime/output-cache/).
   */
  readonly cacheKey: string;
  readonly name: string;
  readonly at: SourceLocation;
  readonly description: string | null;
  readonly codeHash: string;
  readonly inputs: readonly TsInput[];
  /** Declared output schema, or null when the model does not declare `columns`. */
  readonly schema: readonly ColumnSchema[] | null;
  /** `columns: { c: { type, description } }`: column -> text, declaration order. */
  readonly columnDescriptions: Readonly<Record<string, string>>;
  readonly materialize: boolean;
  /** Heap limit of the child process in MiB (`--max-old-space-size`). */
  readonly memoryMb: number;
  /** Declared npm packages (name -> version range); resolved by the runtime. */
  readonly packages: Readonly<Record<string, string>>;
}

/** Writes a model's output to the lake as Parquet; committed with the others at the end of the run. */
export interface MaterializeNode {
  readonly kind: "materialize";
  readonly id: string; // `materialize:<name>`
  /**
   * What the node's output depends on, hashed (compiler/cache-keys.ts): equal keys, equal tables.
   * The runtime skips a node whose key matches an output it kept (runtime/output-cache/).
   */
  readonly cacheKey: string;
  readonly table: string;
  readonly from: string;
}

export type PlanNode = ScanNode | SqlNode | TsNode | MaterializeNode;
export type PlanNodeKind = PlanNode["kind"];
export type ModelNode = SqlNode | TsNode;

/**
 * How data crosses an edge.
 * - `duckdb`: both ends live in DuckDB; nothing is copied.
 * - `duckdb-to-shm`: DuckDB result exported once as an Arrow IPC file in shared memory.
 * - `shm`: a TS node's Arrow IPC output file is opened directly by the consuming TS process.
 * - `shm-to-duckdb`: a TS node's Arrow output is loaded into DuckDB from its column buffers.
 * - `shm-via-duckdb`: a TS node's output is loaded into DuckDB to apply the consumer's filter,
 *   then exported to shared memory for the consuming TS node.
 * - `duckdb-to-parquet`: DuckDB writes the table as Parquet into the lake.
 */
export type Transport = "duckdb" | "duckdb-to-shm" | "shm" | "shm-to-duckdb" | "shm-via-duckdb" | "duckdb-to-parquet";

export interface PlanEdge {
  readonly from: string;
  readonly to: string;
  readonly transport: Transport;
  /** For edges into a TS node: the parameter of `run` fed by this edge. */
  readonly param?: string;
}

/** bp_project.yml's `s3:` block as the runtime needs it to open the lake. */
export interface PlanS3Settings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly force_path_style?: boolean;
  readonly conditional_writes?: "auto" | "required" | "host-lock";
  /** Relative to the project folder when relative. */
  readonly cache_dir?: string;
  readonly cache_max_size?: string;
}

export interface Plan {
  readonly planVersion: typeof PLAN_VERSION;
  readonly project: {
    readonly name: string;
    /** sha256 over bp_project.yml and every file under models/ (helpers too), sorted by path. */
    readonly contentHash: string;
    /** Lake location as configured, relative to the project root when local. */
    readonly lake: string;
    /** The project's `s3:` settings when `lake` is `s3://…` (never credentials: those come from the SDK's chain). */
    readonly s3?: PlanS3Settings;
    /** The branch the build reads from and commits to. */
    readonly branch: string;
    /** Vars after applying --var overrides, sorted by name. */
    readonly vars: Readonly<Record<string, string>>;
  };
  /** Nodes in a topological order; ties broken by id, so the order is stable. */
  readonly nodes: readonly PlanNode[];
  /** Edges sorted by (from, to, param). */
  readonly edges: readonly PlanEdge[];
}

/** Exhaustiveness guard for `switch (node.kind)`. */
export function assertNever(value: never): never {
  throw new Error(`unhandled plan variant: ${JSON.stringify(value)}`);
}

export const nodeIds = {
  scan: (table: string) => `scan:${table}`,
  model: (name: string) => `model:${name}`,
  materialize: (name: string) => `materialize:${name}`,
} as const;
