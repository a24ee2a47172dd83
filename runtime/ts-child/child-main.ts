/**
 * Entry of a TS model's child process (spawned by run-ts-model.ts, often before its job is known).
 * Loading this module loads what every run needs (apache-arrow, bp's readers and writers, the SDK),
 * then registers the loader hooks (register-hooks.ts), whose thread transpiles the model while this
 * one loads the native addon. Then it waits for the job (a JobMessage over IPC, or BP_TS_JOB when
 * started by hand), answers `started`, imports the model, reads its inputs, runs it, writes the
 * output Arrow IPC file (`${outputPath}.tmp`, then renamed) and sends ONE ChildMessage to the
 * parent, then exits at once (whatever timers or handles the model left behind).
 */
import { readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Table } from "apache-arrow";
import { writeIpcFile } from "../arrow/ipc-writer.js";
import { packageRoot } from "../../compiler/package-root.js";
import { readIpcTable } from "../native/ipc-file.js";
import { loadNativeAddon } from "../native/index.js";
import {
  JOB_ENV,
  type ChildErrorKind,
  type ChildInput,
  type ChildJob,
  type ChildMessage,
  type InputRead,
  type JobMessage,
  type ReadyMessage,
  type StartedMessage,
} from "./protocol.js";
import { BadReturnError, describeValue, toTable } from "./to-table.js";
// The SDK the model imports as "bauplan-ts", loaded with the rest (the hooks resolve it to this file).
import "../../sdk/index.js";
// Evaluated after everything above was loaded: the hooks only see the model and its imports.
import { usePackageEnv } from "./register-hooks.js";

/** A failure to report; `stack` is already limited to user frames. */
class Failure extends Error {
  constructor(
    readonly kind: ChildErrorKind,
    message: string,
    readonly userStack?: string,
  ) {
    super(message);
  }
}

/** How each input was read, reported in the result message. */
const inputReads: InputRead[] = [];

/**
 * Reads one input table. The single place that touches input files: the file is mapped (native
 * addon, copy-on-write) and the Table built over the mapping, so its fixed-width and string column
 * buffers are views into the shared page cache (no copy, no per-value decoding); without the addon
 * (or with BP_NO_MMAP=1) it is read. A file larger than BP_MAP_PIECE_BYTES (1 GiB) is mapped or
 * read in pieces cut at record-batch boundaries (Node 20 caps one ArrayBuffer at 4 GiB).
 */
function readInputTable(file: string, param: string): Table {
  const started = performance.now();
  const { table, mode, reason, bytes } = readIpcTable(file);
  inputReads.push({ param, mode, bytes, ms: performance.now() - started, ...(reason ? { reason } : {}) });
  return table;
}

/** The result message's readMode/reads fields. */
function readReport(): Pick<Extract<ChildMessage, { type: "result" }>, "readMode" | "reads"> {
  if (inputReads.length === 0) return {};
  return { readMode: inputReads.every((r) => r.mode === "mmap") ? "mmap" : "read", reads: inputReads };
}

function project(table: Table, input: ChildInput): Table {
  if (input.columns === null) return table;
  const names = table.schema.fields.map((f) => f.name);
  const missing = input.columns.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new Error(`input "${input.param}" has no column ${missing.join(", ")} (it has ${names.join(", ")})`);
  }
  // selectAt keeps the declared order (select() would keep the file's order).
  return table.selectAt(input.columns.map((c) => names.indexOf(c)));
}

// ---------------------------------------------------------------------------------------------
// Errors and stacks

/**
 * Folders whose frames are bp's, not the user's: dist/, node_modules/, and the source folders dist/
 * mirrors (bp's own source maps point frames of dist/x/*.js back at x/*.ts).
 */
function bpFolders(): string[] {
  const root = packageRoot();
  const dist = path.join(root, "dist");
  let mirrored: string[] = [];
  try {
    mirrored = readdirSync(dist, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(root, d.name));
  } catch {
    // no dist/: nothing mirrored
  }
  return [dist, path.join(root, "node_modules"), ...mirrored]
    .map((dir) => dir + path.sep)
    .flatMap((dir) => [dir, pathToFileURL(dir).href]);
}
const hiddenPrefixes = bpFolders();

function isFrame(line: string): boolean {
  return /^\s+at /.test(line);
}

function isUserFrame(line: string): boolean {
  if (/\(node:|at node:/.test(line)) return false;
  return !hiddenPrefixes.some((p) => line.includes(p));
}

/** The error's stack without bp's and Node's own frames (its header lines are kept). */
function userStack(err: unknown): string | undefined {
  if (!(err instanceof Error) || typeof err.stack !== "string") return undefined;
  return err.stack
    .split("\n")
    .filter((line) => !isFrame(line) || isUserFrame(line))
    .join("\n");
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return `a non-Error value was thrown: ${describeValue(err)}`;
}

function failureOf(kind: ChildErrorKind, err: unknown, prefix = ""): Failure {
  if (err instanceof Failure) return err;
  return new Failure(kind, prefix + errorMessage(err), userStack(err));
}

// ---------------------------------------------------------------------------------------------
// Reporting and exiting

let reported = false;
/** What the child is doing, for the "nothing left to do" report. */
let phase: "import" | "run" = "import";

function send(message: ChildMessage): Promise<void> {
  if (reported) return new Promise(() => {}); // one message only; the first sender exits
  reported = true;
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      // Run by hand (no IPC channel): print the outcome instead.
      process.stderr.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    stream.write("", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function finish(message: ChildMessage, code: number): Promise<never> {
  await send(message);
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function fail(f: Failure): Promise<never> {
  return finish({ type: "error", kind: f.kind, message: f.message, ...(f.userStack ? { stack: f.userStack } : {}) }, 1);
}

// ---------------------------------------------------------------------------------------------

interface BpModel {
  kind: "bp-model";
  run: (inputs: Record<string, Table>) => unknown;
  columns?: Record<string, string>;
}

async function loadModel(job: ChildJob): Promise<BpModel> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(job.modelFile).href)) as { default?: unknown };
  } catch (err) {
    throw failureOf("bad-module", err);
  }
  const hint = 'expected `export default model({ inputs: {...}, run(...) {...} })` with model from "bauplan-ts"';
  const m = mod.default as Partial<BpModel> | undefined;
  if (m === undefined) throw new Failure("bad-module", `${job.modelFile} has no default export; ${hint}`);
  if (typeof m !== "object" || m === null || m.kind !== "bp-model") {
    throw new Failure("bad-module", `the default export of ${job.modelFile} is ${describeValue(m)}, not a bp model; ${hint}`);
  }
  if (typeof m.run !== "function") {
    throw new Failure("bad-module", `the model in ${job.modelFile} has no run() function (run is ${describeValue(m.run)})`);
  }
  return m as BpModel;
}

function writeOutput(table: Table, outputPath: string): number {
  const tmp = `${outputPath}.tmp`;
  try {
    // Streamed batch by batch (never one buffer: Node 20 cannot make one beyond 4 GiB).
    const bytes = writeIpcFile(table, tmp);
    renameSync(tmp, outputPath);
    return bytes;
  } catch (err) {
    rmSync(tmp, { force: true });
    // File-system errors carry a code; anything else is apache-arrow refusing to encode the table.
    if (typeof (err as { code?: unknown })?.code === "string") {
      throw new Failure("throw", `bp could not write the model's output to ${outputPath}: ${errorMessage(err)}`);
    }
    const foreign = !(table instanceof Table) ? " (it is a Table from another copy of apache-arrow)" : "";
    throw failureOf("bad-return", err, `run() returned a table that cannot be written as Arrow IPC${foreign}: `);
  }
}

async function runJob(job: ChildJob): Promise<ChildMessage> {
  if (job.env) await usePackageEnv(job.env);
  const model = await loadModel(job);
  const inputs: Record<string, Table> = {};
  for (const input of job.inputs) {
    try {
      inputs[input.param] = project(readInputTable(input.path, input.param), input);
    } catch (err) {
      throw new Failure("throw", `bp could not read input "${input.param}" from ${input.path}: ${errorMessage(err)}`);
    }
  }
  let returned: unknown;
  phase = "run";
  try {
    returned = await model.run(inputs);
  } catch (err) {
    throw failureOf("throw", err);
  }
  let table: Table;
  try {
    table = toTable(returned, model.columns ?? null);
  } catch (err) {
    if (err instanceof BadReturnError) throw new Failure("bad-return", err.message);
    throw failureOf("throw", err);
  }
  const bytes = writeOutput(table, job.outputPath);
  return {
    type: "result",
    rows: table.numRows,
    bytes,
    schema: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) })),
    ...readReport(),
  };
}

/**
 * The job: from BP_TS_JOB when set, else the parent's JobMessage (waited for with the channel
 * keeping the process alive; the native addon is loaded meanwhile).
 */
async function receiveJob(): Promise<ChildJob> {
  const raw = process.env[JOB_ENV];
  delete process.env[JOB_ENV];
  if (raw) return JSON.parse(raw) as ChildJob;
  if (!process.send) {
    process.stderr.write(`bp ts child: no job (${JOB_ENV} is not set and there is no IPC channel)\n`);
    process.exit(2);
  }
  const job = new Promise<ChildJob>((resolve) => {
    const onMessage = (m: unknown) => {
      if ((m as Partial<JobMessage> | null)?.type !== "job") return;
      process.off("message", onMessage);
      resolve((m as JobMessage).job);
    };
    process.on("message", onMessage);
  });
  loadNativeAddon(); // what reading the inputs needs, loaded while nothing else happens
  process.send({ type: "ready" } satisfies ReadyMessage);
  const received = await job;
  // Written before any model code runs: a parent that never hears it may start the job afresh.
  await new Promise<void>((resolve) => process.send!({ type: "started" } satisfies StartedMessage, () => resolve()));
  return received;
}

/**
 * Writes to stdout/stderr block until the pipe took them, as on a terminal. Node writes to a pipe
 * asynchronously on POSIX: past the pipe's buffer (64 KiB), a model's lines would wait for its event
 * loop, i.e. until a long synchronous stretch of run() ends (or be lost at its own process.exit()).
 * The parent reads them at once, so a write waits only as long as the parent takes to read.
 */
function blockingOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    (stream as unknown as { _handle?: { setBlocking?(on: boolean): unknown } })._handle?.setBlocking?.(true);
  }
}

async function main(): Promise<void> {
  // The parent went away: nothing to report to, stop now (also when it went while this module loaded).
  process.on("disconnect", () => process.exit(1));
  if (process.send && !process.connected) process.exit(1);
  blockingOutput();

  const job = await receiveJob();
  // The channel must not keep the process alive by itself, or a run() whose promise never settles
  // would hang instead of being reported.
  process.channel?.unref();

  process.on("uncaughtException", (err) => {
    if (!reported) void fail(failureOf("throw", err));
  });
  process.on("beforeExit", () => {
    if (reported) return;
    void fail(
      phase === "import"
        ? new Failure("bad-module", `${job.modelFile} never finished loading: a top-level await is still pending with nothing left to do`)
        : new Failure(
            "bad-return",
            "run() never finished: its promise was still pending when the process had nothing left to do " +
              "(a promise that is never resolved?)",
          ),
    );
  });

  let message: ChildMessage;
  try {
    message = await runJob(job);
  } catch (err) {
    await fail(failureOf("throw", err));
    return;
  }
  await finish(message, 0);
}

void main();
