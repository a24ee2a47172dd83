/**
 * `bp build --json`: one JSON event per line on stdout (NDJSON), described in docs/run-events.md and
 * docs/run-events.schema.json. Run events are the runtime's RunEvents as they are, plus the run id;
 * before the run, compile diagnostics; always last, one `run-end` with the exit code and the
 * RunResult (null when the build stopped before running).
 */
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { RunEvent, RunResult } from "../runtime/run-events.js";

/** A line of `bp build --json`. */
export type BuildJsonEvent =
  | (RunEvent & { readonly runId: string })
  | (Diagnostic & { readonly type: "diagnostic"; readonly time: number; readonly runId: null })
  | {
      readonly type: "run-end";
      readonly time: number;
      readonly runId: string | null;
      readonly ok: boolean;
      /** bp build's exit code: 0 ok, 1 a failed node or a project problem, 2 bad usage or an internal error, 130 interrupted. */
      readonly exitCode: number;
      readonly result: RunResult | null;
      /** Why the build stopped before or outside the run (diagnostics, a bad setting, the lake). */
      readonly error?: { readonly message: string; readonly code?: string };
    };

export class JsonEvents {
  private readonly started = performance.now();
  private runId: string | null = null;
  private runStarted: number | null = null;
  private ended = false;

  constructor(private readonly write: (line: string) => void) {}

  /** A run event, as the runtime emitted it (its `time` counts from the run's start). */
  run(e: RunEvent): void {
    if (e.type === "run-start") {
      this.runId = e.runId;
      this.runStarted = performance.now() - e.time;
    }
    // type, time and runId first, for readers of the raw lines
    this.line(Object.assign({ type: e.type, time: e.time, runId: this.runId ?? "" }, e));
  }

  diagnostics(list: readonly Diagnostic[]): void {
    for (const d of list) this.line({ type: "diagnostic", time: this.now(), runId: null, ...d });
  }

  /** The last line: written once, whatever ends the build. */
  end(exitCode: number, result: RunResult | null, error?: { message: string; code?: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.line({ type: "run-end", time: this.now(), runId: this.runId, ok: exitCode === 0, exitCode, result, ...(error ? { error } : {}) });
  }

  /** ms since the run started, or before the run, since the build started. */
  private now(): number {
    return Math.round(performance.now() - (this.runStarted ?? this.started));
  }

  private line(e: BuildJsonEvent): void {
    this.write(JSON.stringify(e));
  }
}
