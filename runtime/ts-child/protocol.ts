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

/** How an input file reached the child: mapped (zero-copy, runtime/native) or read into memory. */
export type ReadMode = "mmap" | "read";

export interface InputRead {
  /** Parameter of run() the table went to. */
  readonly param: string;
  readonly mode: ReadMode;
  /** Size of the Arrow IPC file. */
  readonly bytes: number;
  /** Time to map (or read) the file and build its Table, in ms. */
  readonly ms: number;
  /** Why the file was read rather than mapped (e.g. "BP_NO_MMAP=1", the addon is not built). */
  readonly reason?: string;
}

export type ChildMessage =
  | {
      readonly type: "result";
      readonly rows: number;
      readonly bytes: number;
      readonly schema: readonly ResultColumn[];
      /** "mmap" when every input was mapped, "read" when any was read; absent without inputs. */
      readonly readMode?: ReadMode;
      /** One entry per input, in the job's order. */
      readonly reads?: readonly InputRead[];
    }
  | { readonly type: "error"; readonly kind: ChildErrorKind; readonly message: string; readonly stack?: string };
