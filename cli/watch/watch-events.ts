/**
 * What `bp watch` reports, as data: the loop (watch-session.ts) emits these, the command prints
 * them (watch-printer.ts) or writes them as NDJSON (--json).
 */
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { NodeResult, RunEvent, RunResult } from "../../runtime/run-events.js";

export type WatchEvent =
  /** Watching: the branch watch builds go to (`created` when watch made it from `from`). */
  | { readonly type: "watching"; readonly projectDir: string; readonly branch: string; readonly created: boolean; readonly from: string }
  /** Files saved (project-relative), after the debounce; `at`: performance.now() of the first save seen. */
  | { readonly type: "change"; readonly files: readonly string[]; readonly at: number }
  /** A compile ended: files read again vs reused, and whether it gave a plan. */
  | {
      readonly type: "compiled";
      readonly ok: boolean;
      readonly seconds: number;
      readonly filesRead: readonly string[];
      readonly filesReused: number;
      readonly diagnostics: readonly Diagnostic[];
      /** Texts of the files diagnostics point at (not in --json). */
      readonly files: ReadonlyMap<string, string>;
    }
  /** The plan is the one already built (or being built): nothing to run. */
  | { readonly type: "unchanged" }
  /** A run was cancelled because a newer save changed the plan (its results are not committed). */
  | { readonly type: "cancelling"; readonly runId: string | null }
  | { readonly type: "run-start"; readonly nodes: number }
  /** An event of the running build (runtime/run-events.ts). */
  | { readonly type: "run"; readonly event: RunEvent }
  /** A run ended: `changed` are the model nodes that ran (not served by the output cache). */
  | { readonly type: "run-end"; readonly result: RunResult; readonly changed: readonly NodeResult[] }
  /** Something outside the project went wrong (the lake, a run setting); the watcher keeps going. */
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "closed" };
