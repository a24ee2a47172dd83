/**
 * Parent side of a TS model run: one short-lived child process per model run (the ephemeral function).
 *
 *   const r = await runTsModel(job, { onLine: (stream, line) => log(stream, line), signal });
 *
 * The child is `node --max-old-space-size=<memoryMb> --enable-source-maps --import register-hooks.js
 * child-main.js` (all from the bp package's dist/), with stdio ['ignore', 'pipe', 'pipe', 'ipc'] and the
 * job in the BP_TS_JOB environment variable. Its stdout/stderr reach onLine live, line by line. The
 * promise always resolves (never rejects) once the child is gone and its output streams are drained;
 * the output file exists only when the result is ok.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { pathToFileURL } from "node:url";
import { distFile } from "../../compiler/package-root.js";
import { JOB_ENV, type ChildJob, type ChildMessage, type InputRead, type ReadMode } from "./protocol.js";

export interface TsRunJob {
  /** Model name (for messages). */
  model: string;
  /** Absolute path of the model's .ts file. */
  modelFile: string;
  /** One Arrow IPC file per parameter of run(); `columns` is applied with table.select, null = all. */
  inputs: { param: string; path: string; columns: string[] | null }[];
  /** Where the output Arrow IPC file is written (via `${outputPath}.tmp` + rename). */
  outputPath: string;
  /** Heap limit of the child in MiB (--max-old-space-size). */
  memoryMb: number;
  /** Working directory of the child; default: this process's cwd. */
  cwd?: string;
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
    }
  | {
      ok: false;
      kind: TsRunFailureKind;
      message: string;
      stack?: string;
      exitCode: number | null;
      signal: string | null;
      seconds: number;
    };

export interface TsRunOptions {
  /** Called for every line the child prints, as it prints it (a partial last line is flushed at exit). */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
  /** Aborting kills the child: SIGTERM, then SIGKILL after killGraceMs. The result is then "cancelled". */
  signal?: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL on cancellation, in ms. Default 2000. */
  killGraceMs?: number;
}

/** What V8 prints on stderr when the heap limit is hit. */
const OOM_MARKER = /JavaScript heap out of memory|Reached heap limit/;
/** A line longer than this without a newline is passed on in pieces. */
const MAX_LINE = 64 * 1024;

/** `2048` -> `2GB`, `64` -> `64MB` (the spelling of a model's `memory` field). */
export function formatMemory(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
}

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

export function runTsModel(job: TsRunJob, opts: TsRunOptions): Promise<TsRunResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const tmpPath = `${job.outputPath}.tmp`;
  const removeOutput = () => {
    rmSync(job.outputPath, { force: true });
    rmSync(tmpPath, { force: true });
  };
  const fail = (
    kind: TsRunFailureKind,
    message: string,
    exitCode: number | null,
    signal: string | null,
    stack?: string,
  ): TsRunResult => {
    removeOutput();
    return { ok: false, kind, message, ...(stack ? { stack } : {}), exitCode, signal, seconds: seconds() };
  };

  // A stale output from an earlier run must not pass for this run's.
  removeOutput();
  if (opts.signal?.aborted) {
    return Promise.resolve(fail("cancelled", `model "${job.model}" was cancelled before it started`, null, null));
  }

  const childJob: ChildJob = {
    model: job.model,
    modelFile: path.resolve(job.modelFile),
    inputs: job.inputs.map((i) => ({ param: i.param, path: i.path, columns: i.columns })),
    outputPath: job.outputPath,
  };
  const memoryMb = Math.max(1, Math.floor(job.memoryMb));
  const args = [
    `--max-old-space-size=${memoryMb}`,
    "--enable-source-maps",
    "--import",
    pathToFileURL(distFile("runtime/ts-child/register-hooks.js")).href,
    distFile("runtime/ts-child/child-main.js"),
  ];

  return new Promise<TsRunResult>((resolve) => {
    let settled = false;
    let message: ChildMessage | undefined;
    let oomSeen = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const emit = (stream: "stdout" | "stderr", line: string) => {
      if (stream === "stderr" && OOM_MARKER.test(line)) oomSeen = true;
      try {
        opts.onLine(stream, line);
      } catch {
        // a failing log sink must not break the run
      }
    };

    const child = spawn(process.execPath, args, {
      cwd: job.cwd,
      env: { ...process.env, [JOB_ENV]: JSON.stringify(childJob) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    track(child);

    const onAbort = () => {
      if (cancelled) return;
      cancelled = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), opts.killGraceMs ?? 2000);
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const settle = (result: TsRunResult) => {
      if (settled) return;
      settled = true;
      liveChildren.delete(child);
      opts.signal?.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve(result);
    };

    for (const stream of ["stdout", "stderr"] as const) {
      const splitter = lineSplitter((line) => emit(stream, line));
      const readable = child[stream];
      readable?.on("data", (chunk: Buffer) => splitter.push(chunk));
      readable?.on("end", () => splitter.end());
    }

    child.on("message", (m: unknown) => {
      if (message === undefined && isChildMessage(m)) message = m;
    });

    child.on("error", (err) => {
      // Also emitted when a kill or a send fails; only a failed spawn (no pid) ends the run here.
      if (child.pid === undefined) {
        settle(fail("exit", `could not start the process of model "${job.model}": ${err.message}`, null, null));
      }
    });

    child.on("close", (code, signal) => {
      const name = `model "${job.model}"`;
      if (cancelled) {
        settle(fail("cancelled", `${name} was cancelled`, code, signal));
      } else if (message?.type === "result" && code === 0) {
        settle({
          ok: true,
          rows: message.rows,
          bytes: message.bytes,
          schema: [...message.schema],
          seconds: seconds(),
          ...(message.readMode ? { readMode: message.readMode, reads: [...(message.reads ?? [])] } : {}),
        });
      } else if (message?.type === "error") {
        settle(fail(message.kind, message.message, code, signal, message.stack));
      } else if (oomSeen) {
        settle(
          fail(
            "oom",
            `${name} ran out of memory: its heap limit is ${formatMemory(memoryMb)}. ` +
              `Raise it in the model file, e.g. \`memory: "${formatMemory(memoryMb * 2)}"\` in model({ ... }).`,
            code,
            signal,
          ),
        );
      } else if (signal !== null) {
        const hint = signal === "SIGKILL" ? " (the system may have run out of memory)" : "";
        settle(fail("signal", `${name} was killed by ${signal}${hint}`, code, signal));
      } else {
        settle(
          fail(
            "exit",
            `${name} exited with code ${String(code)} before returning a result (did it call process.exit()?)`,
            code,
            signal,
          ),
        );
      }
    });
  });
}
