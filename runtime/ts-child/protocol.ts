/**
 * What the parent (run-ts-model.ts) and the child (child-main.ts) exchange over the Node IPC channel.
 * The child starts before its job is known (it loads bp's modules and transpiles the model, then
 * waits, saying `ready`): the parent sends ONE JobMessage, the child answers `started` at once,
 * then ONE ChildMessage with the outcome, and exits. A child started by hand (or by a test) can instead get
 * its job in the BP_TS_JOB environment variable (JSON); it then sends neither `ready` nor `started`.
 */

/** Name of the environment variable that can carry the ChildJob as JSON instead of a JobMessage. */
export const JOB_ENV = "BP_TS_JOB";

/** Parent -> child: the job (sent once). */
export interface JobMessage {
  readonly type: "job";
  readonly job: ChildJob;
}

/** Child -> parent: loaded (apache-arrow, bp's modules, the hooks) and waiting for its job. */
export interface ReadyMessage {
  readonly type: "ready";
}

/** Child -> parent: the job arrived; nothing of the model has run yet. */
export interface StartedMessage {
  readonly type: "started";
}

export interface ChildInput {
  /** Parameter of run() that receives the table. */
  readonly param: string;
  /** Arrow IPC file (RecordBatchFileWriter format) holding the table. */
  readonly path: string;
  /** Projection applied with table.select(...), or null for every column. */
  readonly columns: readonly string[] | null;
}

/**
 * The model's package environment: bare imports of the model's own files resolve from `dir`'s
 * node_modules, and only for the names in `packages` (bauplan-ts, apache-arrow and Node's builtins
 * are always there). `dir` null: an empty environment (no npm package can be imported).
 */
export interface ChildEnv {
  readonly dir: string | null;
  readonly packages: readonly string[];
}

export interface ChildJob {
  /** Model name, for messages. */
  readonly model: string;
  /** Absolute path of the model's .ts file. */
  readonly modelFile: string;
  readonly inputs: readonly ChildInput[];
  /** Where the output Arrow IPC file goes (written to `${outputPath}.tmp`, then renamed). */
  readonly outputPath: string;
  /** The package environment; absent: bare imports resolve as Node does (a child run by hand). */
  readonly env?: ChildEnv;
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
