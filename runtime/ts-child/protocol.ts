/**
 * What the parent (run-ts-model.ts) and the child (child-main.ts) exchange.
 * The job travels in the BP_TS_JOB environment variable (JSON); the outcome comes back as ONE
 * message over the Node IPC channel (process.send), then the child exits.
 */

/** Name of the environment variable carrying the ChildJob as JSON. */
export const JOB_ENV = "BP_TS_JOB";

export interface ChildInput {
  /** Parameter of run() that receives the table. */
  readonly param: string;
  /** Arrow IPC file (RecordBatchFileWriter format) holding the table. */
  readonly path: string;
  /** Projection applied with table.select(...), or null for every column. */
  readonly columns: readonly string[] | null;
}

export interface ChildJob {
  /** Model name, for messages. */
  readonly model: string;
  /** Absolute path of the model's .ts file. */
  readonly modelFile: string;
  readonly inputs: readonly ChildInput[];
  /** Where the output Arrow IPC file goes (written to `${outputPath}.tmp`, then renamed). */
  readonly outputPath: string;
}

export interface ResultColumn {
  readonly name: string;
  /** The Arrow type as apache-arrow prints it: `Float64`, `Utf8`, `Int64`, `Timestamp<MILLISECOND>`... */
  readonly type: string;
}

export type ChildErrorKind = "throw" | "bad-return" | "bad-module";

export type ChildMessage =
  | { readonly type: "result"; readonly rows: number; readonly bytes: number; readonly schema: readonly ResultColumn[] }
  | { readonly type: "error"; readonly kind: ChildErrorKind; readonly message: string; readonly stack?: string };
