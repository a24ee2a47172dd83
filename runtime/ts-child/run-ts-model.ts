/**
 * Parent side of a TS model run: one short-lived child process per model run (the ephemeral function).
 *
 *   const r = await runTsModel(job, { onLine: (stream, line) => log(stream, line), signal });
 *
 * The child is `node --max-old-space-size=<memoryMb> --enable-source-maps child-main.js <modelFile>`
 * (from the bp package's dist/; child-main registers the loader hooks itself), with stdio
 * ['ignore', 'pipe', 'pipe', 'ipc']. It can be started ahead of its run (`TsChild.start(spec)`, see warm-pool.ts): it then loads
 * bp's modules and transpiles the model while the parent does other work, and waits. The job (inputs,
 * output) goes over IPC when the run starts; a child is used for one run only. Its stdout/stderr
 * reach onLine live, line by line (lines printed before the run are held until it starts). The
 * promise always resolves (never rejects) once the child is gone and its output streams are drained;
 * the output file exists only when the result is ok.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { distFile } from "../../compiler/package-root.js";
import { formatMib } from "../../compiler/ts/memory-size.js";
import type { ChildEnv, ChildJob, ChildMessage, InputRead, JobMessage, ReadMode } from "./protocol.js";

/** What fixes a child process: the model it will run, its heap limit and its working directory. */
export interface TsChildSpec {
  /** Model name (for messages). */
  model: string;
  /** Absolute path of the model's .ts file. */
  modelFile: string;
  /** Heap limit of the child in MiB (--max-old-space-size). */
  memoryMb: number;
  /** Working directory of the child; default: this process's cwd. */
  cwd?: string;
}

export interface TsRunJob extends TsChildSpec {
  /** One Arrow IPC file per parameter of run(); `columns` is applied with table.select, null = all. */
  inputs: { param: string; path: string; columns: string[] | null }[];
  /** Where the output Arrow IPC file is written (via `${outputPath}.tmp` + rename). */
  outputPath: string;
  /**
   * The model's package environment (runtime/packages): its bare imports resolve from `dir` and only
   * for `packages`; `dir` null = no npm package. Absent: bare imports resolve as Node does.
   */
  env?: ChildEnv;
}

export type TsRunFailureKind = "throw" | "bad-return" | "bad-module" | "exit" | "oom" | "signal" | "cancelled";

export type TsRunResult =
  | {
      ok: true;
      rows: number;
      bytes: number;
      schema: { name: string; type: string }[];
      seconds: number;
      /** How the inputs were opened: "mmap" (zero-copy) when every input was mapped, else "read". */
      readMode?: ReadMode;
      reads?: InputRead[];
      /** True when the child was started ahead of the run (it had loaded everything already). */
      warm: boolean;
    }
  | {
      ok: false;
      kind: TsRunFailureKind;
      message: string;
      stack?: string;
      exitCode: number | null;
      signal: string | null;
      seconds: number;
      warm: boolean;
    };

export interface TsRunOptions {
  /** Called for every line the child prints, as it prints it (a partial last line is flushed at exit). */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  /** Aborting kills the child: SIGTERM, then SIGKILL after killGraceMs. The result is then "cancelled". */
  signal?: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL on cancellation, in ms. Default 2000. */
  killGraceMs?: number;
  /**
   * A child started ahead for this run (TsChild.start, usually via a TsChildPool); the run owns it
   * from now on. When it does not fit the job, or died while waiting, it is stopped and a fresh
   * child is started, as without it.
   */
  child?: TsChild;
}

/** What V8 prints on stderr when the heap limit is hit. */
const OOM_MARKER = /JavaScript heap out of memory|Reached heap limit/;
/** A line longer than this without a newline is passed on in pieces. */
const MAX_LINE = 64 * 1024;

// Children still running; killed if this process exits (normally or via process.exit).
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of liveChildren) c.kill("SIGKILL");
    });
  }
  liveChildren.add(child);
}

function lineSplitter(emit: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  const drain = () => {
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      emit(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
    while (pending.length > MAX_LINE) {
      emit(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  };
  return {
    push(chunk) {
      pending += decoder.write(chunk);
      drain();
    },
    end() {
      pending += decoder.end();
      drain();
      if (pending.length > 0) emit(pending);
      pending = "";
    },
  };
}

function isChildMessage(m: unknown): m is ChildMessage {
  const t = (m as { type?: unknown } | null)?.type;
  return t === "result" || t === "error";
}

/** How a child process ended: its code and signal, or why it could not be started. */
interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: Error;
}

type LineSink = (stream: "stdout" | "stderr", line: string) => void;

/**
 * One child process for one model run. Started ahead of the run (`TsChild.start`), it loads bp's
 * modules, transpiles the model and waits for its job. Its lines are passed on from the moment it
 * has its job (earlier ones are held until then: they are dropped with a child that died waiting).
 * Idle, it does not keep this process alive; `stop()` kills it if no run took it.
 */
export class TsChild {
  /** Identifies what the process was started for (model file, heap limit, cwd). */
  readonly key: string;
  readonly model: string;
  readonly memoryMb: number;
  /** Resolves when the process is gone and its output is drained. */
  readonly exited: Promise<ChildExit>;
  /** Resolves when the child has loaded and waits for its job (or is gone). */
  readonly loaded: Promise<void>;
  private readonly proc: ChildProcess;
  /** Where lines go once the child has its job. */
  private sink: LineSink | null = null;
  private held: { stream: "stdout" | "stderr"; line: string }[] = [];
  private ended: ChildExit | null = null;
  private taken = false;
  /** The child said it received its job (nothing of the model had run before). */
  private jobArrived = false;
  private isLoaded = false;
  private markLoaded!: () => void;
  /** The outcome the child reported (first one only). */
  private outcome: ChildMessage | undefined;
  private oom = false;

  static start(spec: TsChildSpec): TsChild {
    return new TsChild(spec);
  }

  private constructor(spec: TsChildSpec) {
    this.key = tsChildKey(spec);
    this.model = spec.model;
    this.memoryMb = heapLimitMb(spec.memoryMb);
    const modelFile = path.resolve(spec.modelFile);
    const args = [`--max-old-space-size=${this.memoryMb}`, "--enable-source-maps", distFile("runtime/ts-child/child-main.js"), modelFile];
    this.proc = spawn(process.execPath, args, {
      cwd: spec.cwd,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    track(this.proc);
    this.hold(false);

    this.loaded = new Promise<void>((resolve) => (this.markLoaded = resolve)).then(() => {
      this.isLoaded = true;
    });
    let spawnError: Error | undefined;
    this.exited = new Promise<ChildExit>((resolve) => {
      const done = (exit: ChildExit) => {
        if (this.ended) return;
        this.ended = exit;
        liveChildren.delete(this.proc);
        this.markLoaded();
        resolve(exit);
      };
      this.proc.on("error", (err) => {
        // Also emitted when a kill or a send fails; only a failed spawn (no pid) ends the child here.
        if (this.proc.pid === undefined) {
          spawnError = err;
          done({ code: null, signal: null, spawnError: err });
        }
      });
      this.proc.on("close", (code, signal) => done({ code, signal, ...(spawnError ? { spawnError } : {}) }));
    });

    for (const stream of ["stdout", "stderr"] as const) {
      const splitter = lineSplitter((line) => this.line(stream, line));
      const readable = this.proc[stream];
      readable?.on("data", (chunk: Buffer) => splitter.push(chunk));
      readable?.on("end", () => splitter.end());
    }
    this.proc.on("message", (m: unknown) => {
      const type = (m as { type?: unknown } | null)?.type;
      if (type === "ready") this.markLoaded();
      else if (type === "started") {
        this.jobArrived = true;
        this.flush();
      } else if (this.outcome === undefined && isChildMessage(m)) this.outcome = m;
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Not yet given a job, and still running. */
  get idle(): boolean {
    return !this.taken && this.ended === null && this.proc.pid !== undefined;
  }

  /** Still loading (neither waiting for its job yet nor gone). */
  get loading(): boolean {
    return !this.isLoaded && this.ended === null;
  }

  /** Kills a child that no run took (a no-op once a run took it: the run ends it). */
  stop(): void {
    if (this.taken || this.ended) return;
    this.taken = true;
    this.proc.kill("SIGKILL");
  }

  private line(stream: "stdout" | "stderr", line: string): void {
    if (stream === "stderr" && OOM_MARKER.test(line)) this.oom = true;
    if (!this.sink || !this.jobArrived) {
      this.held.push({ stream, line });
      return;
    }
    try {
      this.sink(stream, line);
    } catch {
      // a failing log sink must not break the run
    }
  }

  /** Passes the held lines on (once the child has its job, or when its run is over). */
  flush(): void {
    const sink = this.sink;
    if (!sink) return;
    for (const { stream, line } of this.held.splice(0)) {
      try {
        sink(stream, line);
      } catch {
        // a failing log sink must not break the run
      }
    }
  }

  /** Whether the child keeps this process alive: not while it waits for a job that may never come. */
  private hold(on: boolean): void {
    const handles = [this.proc, this.proc.stdout, this.proc.stderr, this.proc.channel] as ({ ref?(): void; unref?(): void } | null | undefined)[];
    for (const h of handles) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  /** Takes the child for one run and sends it the job; its lines go to `sink` from now on. */
  run(job: ChildJob, sink: LineSink): void {
    this.taken = true;
    this.hold(true);
    this.sink = sink;
    const message: JobMessage = { type: "job", job };
    // A child that is already gone is reported by `exited`; the failed send is not an error.
    if (this.proc.connected) this.proc.send(message, () => {});
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  /** What the run learned once the child is gone. */
  report(): { arrived: boolean; message: ChildMessage | undefined; oom: boolean } {
    return { arrived: this.jobArrived, message: this.outcome, oom: this.oom };
  }
}

/** The heap limit a child gets for a model's `memoryMb`. */
function heapLimitMb(memoryMb: number): number {
  return Math.max(1, Math.floor(memoryMb));
}

/** Children are interchangeable for runs with the same key: same model file, heap limit and cwd. */
export function tsChildKey(spec: TsChildSpec): string {
  return JSON.stringify([path.resolve(spec.modelFile), heapLimitMb(spec.memoryMb), path.resolve(spec.cwd ?? process.cwd())]);
}

export function runTsModel(job: TsRunJob, opts: TsRunOptions): Promise<TsRunResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const tmpPath = `${job.outputPath}.tmp`;
  const removeOutput = () => {
    rmSync(job.outputPath, { force: true });
    rmSync(tmpPath, { force: true });
  };
  const memoryMb = heapLimitMb(job.memoryMb);
  const fail = (
    warm: boolean,
    kind: TsRunFailureKind,
    message: string,
    exitCode: number | null,
    signal: string | null,
    stack?: string,
  ): TsRunResult => {
    removeOutput();
    return { ok: false, kind, message, ...(stack ? { stack } : {}), exitCode, signal, seconds: seconds(), warm };
  };

  // A stale output from an earlier run must not pass for this run's.
  removeOutput();
  if (opts.signal?.aborted) {
    opts.child?.stop();
    return Promise.resolve(fail(false, "cancelled", `model "${job.model}" was cancelled before it started`, null, null));
  }

  const childJob: ChildJob = {
    model: job.model,
    modelFile: path.resolve(job.modelFile),
    inputs: job.inputs.map((i) => ({ param: i.param, path: i.path, columns: i.columns })),
    outputPath: job.outputPath,
    ...(job.env ? { env: { dir: job.env.dir, packages: [...job.env.packages] } } : {}),
  };

  const attempt = async (child: TsChild, warm: boolean): Promise<TsRunResult> => {
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (cancelled) return;
      cancelled = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), opts.killGraceMs ?? 2000);
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.run(childJob, opts.onLine);
    if (opts.signal?.aborted) onAbort();
    const { code, signal, spawnError } = await child.exited;
    opts.signal?.removeEventListener("abort", onAbort);
    if (killTimer) clearTimeout(killTimer);

    const { arrived, message, oom } = child.report();
    // A child started ahead that died before it got the job ran nothing of the model: start a fresh one.
    if (warm && !arrived && !cancelled) return attempt(TsChild.start(job), false);
    child.flush(); // what a child that never got its job printed (e.g. V8 out of memory at start-up)
    const name = `model "${job.model}"`;
    if (spawnError) return fail(warm, "exit", `could not start the process of ${name}: ${spawnError.message}`, null, null);
    if (cancelled) return fail(warm, "cancelled", `${name} was cancelled`, code, signal);
    if (message?.type === "result" && code === 0) {
      return {
        ok: true,
        rows: message.rows,
        bytes: message.bytes,
        schema: [...message.schema],
        seconds: seconds(),
        ...(message.readMode ? { readMode: message.readMode, reads: [...(message.reads ?? [])] } : {}),
        warm,
      };
    }
    if (message?.type === "error") return fail(warm, message.kind, message.message, code, signal, message.stack);
    if (oom) {
      return fail(
        warm,
        "oom",
        `${name} ran out of memory at its ${formatMib(memoryMb)} heap limit`,
        code,
        signal,
      );
    }
    if (signal !== null) {
      const hint = signal === "SIGKILL" ? " (the system may have run out of memory)" : "";
      return fail(warm, "signal", `${name} was killed by ${signal}${hint}`, code, signal);
    }
    return fail(warm, "exit", `${name} exited with code ${String(code)} before returning a result (did it call process.exit()?)`, code, signal);
  };

  const ahead = opts.child;
  if (ahead && ahead.idle && ahead.key === tsChildKey(job)) return attempt(ahead, true);
  ahead?.stop();
  return attempt(TsChild.start(job), false);
}
