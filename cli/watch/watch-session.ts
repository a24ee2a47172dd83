/**
 * The `bp watch` loop: watch the project's files, recompile incrementally on each save, run the plan
 * with the output cache, report everything as WatchEvents.
 *
 *   const watch = await startWatch({ projectDir }, { onEvent });
 *   ...                                 // edits trigger compile + run
 *   await watch.close();                // cancels a run in flight, closes the watcher and DuckDB
 *
 * A burst of saves (editors write several times) is debounced for `debounceMs`. A save whose plan
 * differs from the running run's cancels that run (its signal: children killed, nothing committed)
 * and a new run starts once it has stopped; nodes finished before the cancel are served by the
 * output cache in the new run. Compile errors are reported and the loop waits for the next save.
 * One compile at a time: saves arriving during a compile are compiled next, together.
 */
import { watch as chokidarWatch } from "chokidar";
import { readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { IncrementalCompiler } from "../../compiler/incremental-compiler.js";
import type { Plan } from "../../compiler/plan-types.js";
import { PROJECT_FILE, parseProjectConfig } from "../../compiler/project-config.js";
import { MODELS_DIR } from "../../compiler/discover-models.js";
import type { VarValue } from "../../compiler/vars.js";
import { InvalidNameError } from "../../runtime/lake/errors.js";
import { openLake } from "../../runtime/lake/open-lake.js";
import type { RunOptions } from "../../runtime/run-plan.js";
import type { RunResult } from "../../runtime/run-events.js";
import { TsChildPool } from "../../runtime/ts-child/warm-pool.js";
import { tsChildSpec } from "../../runtime/nodes/index.js";
import { startTsChildrenAhead } from "../ts-children.js";
import { defaultDevBranch, ensureBranch } from "./dev-branch.js";
import type { WatchEvent } from "./watch-events.js";

/** Saves closer together than this are one change (editors write a file several times). */
export const DEFAULT_DEBOUNCE_MS = 30;
/** chokidar drops a file's change events for 50 ms after one it reported: look again after this long. */
const RECHECK_MS = 60;
/** Rows of each changed model's output shown after a run. */
export const DEFAULT_PREVIEW_ROWS = 5;

export interface WatchOptions {
  readonly projectDir: string;
  readonly vars?: Readonly<Record<string, VarValue>>;
  /** The branch to build on; default `dev-<user>` (made from the project's branch when missing). */
  readonly ref?: string;
  readonly threads?: number;
  readonly duckdbMemory?: string;
  /** Heap limits in MiB by TS model name for every run (RunOptions.memory, `--memory etl=8GB`). */
  readonly memory?: Readonly<Record<string, number>>;
  readonly debounceMs?: number;
  /** Rows of preview per model (RunOptions.preview); 0 for none. */
  readonly preview?: number;
  /** The output cache (RunOptions.cache); default on. */
  readonly cache?: RunOptions["cache"];
  /** Build once at start, before any save (default true). */
  readonly initialBuild?: boolean;
}

export interface WatchHooks {
  readonly onEvent: (event: WatchEvent) => void;
}

export interface WatchHandle {
  /** The branch watch builds go to. */
  readonly branch: string;
  /** Cancels a run in flight, stops watching, closes the compile session; resolves when all is stopped. */
  close(): Promise<void>;
}

/** Thrown by startWatch when watching cannot begin (no project, a bad --ref, a lake problem). */
export class WatchStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function startWatch(options: WatchOptions, hooks: WatchHooks): Promise<WatchHandle> {
  const projectDir = path.resolve(options.projectDir);
  const threads = options.threads ?? os.availableParallelism();
  // TS processes start loading first (as in bp build), while the branch is checked and DuckDB opens.
  let tsChildren: TsChildPool | undefined = startTsChildrenAhead(projectDir, threads, options.memory);
  let branch: string;
  let created: boolean;
  let from: string;
  try {
    ({ branch, created, from } = await chooseBranch(projectDir, options.ref));
  } catch (err) {
    tsChildren.close();
    throw err;
  }
  const compiler = new IncrementalCompiler({ projectDir, branch, ...(options.vars ? { vars: options.vars } : {}) });
  const loop = new WatchLoop(projectDir, options, hooks.onEvent, compiler, threads, () => {
    const pool = tsChildren;
    tsChildren = undefined;
    return pool;
  });
  const warming = compiler.warm();
  let watcher: { close(): Promise<void> };
  try {
    watcher = await watchFiles(projectDir, (file) => loop.saved(file));
    await warming;
  } catch (err) {
    tsChildren?.close();
    await compiler.close();
    throw err;
  }
  hooks.onEvent({ type: "watching", projectDir, branch, created, from });
  if (options.initialBuild !== false) loop.saved(null);
  return {
    branch,
    async close() {
      await watcher.close();
      await loop.close();
      tsChildren?.close();
      await compiler.close();
      hooks.onEvent({ type: "closed" });
    },
  };
}

/** The target branch, made when missing; `--ref` naming the project's branch is the only way onto it. */
async function chooseBranch(projectDir: string, ref: string | undefined): Promise<{ branch: string; created: boolean; from: string }> {
  let text: string;
  try {
    text = readFileSync(path.join(projectDir, PROJECT_FILE), "utf8");
  } catch {
    throw new WatchStartError(`bp watch: no ${PROJECT_FILE} in ${projectDir}\n  hint: run bp in a project folder, pass --project-dir, or create one with bp init`, 1);
  }
  const { config } = parseProjectConfig(text);
  // A broken bp_project.yml is reported by the compile, like any other error of the project; watch
  // keeps going on the default branch names meanwhile.
  const from = config?.branch ?? "main";
  const branch = ref ?? defaultDevBranch();
  if (!config) return { branch, created: false, from };
  const lake = openLake(config, projectDir);
  try {
    return { branch, from, ...(await ensureBranch(lake, branch, from)) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new WatchStartError(`bp watch: --ref ${branch}: ${message}`, err instanceof InvalidNameError ? 2 : 1);
  } finally {
    lake.close();
  }
}

/**
 * chokidar on bp_project.yml and models/ (hidden files and node_modules left out); resolves when ready.
 * chokidar drops a file's `change` events for 50 ms after one it reported (and an editor's save is
 * often a truncate then a write): RECHECK_MS after each change the file is looked at again, and a
 * write that came in that window is reported then.
 */
function watchFiles(projectDir: string, onSave: (file: string) => void): Promise<{ close(): Promise<void> }> {
  const watched = (abs: string) => {
    const rel = path.relative(projectDir, abs).split(path.sep).join("/");
    if (rel === "" || rel === PROJECT_FILE || rel === MODELS_DIR) return true;
    if (!rel.startsWith(`${MODELS_DIR}/`)) return false;
    return !rel.split("/").some((part) => part.startsWith(".") || part === "node_modules");
  };
  const watcher = chokidarWatch(projectDir, {
    ignoreInitial: true,
    ignored: (p: string) => !watched(p),
    // A save is reported as it happens: atomic saves (write + rename) are two events in the debounce window.
    atomic: false,
    awaitWriteFinish: false,
  });
  const relative = (p: string) => path.relative(projectDir, p).split(path.sep).join("/");
  const rechecks = new Map<string, NodeJS.Timeout>();
  const version = (p: string) => {
    try {
      const st = statSync(p);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return "missing";
    }
  };
  const recheck = (p: string, seen: string) => {
    clearTimeout(rechecks.get(p));
    rechecks.set(
      p,
      setTimeout(() => {
        rechecks.delete(p);
        const now = version(p);
        if (now === seen) return;
        onSave(relative(p));
        recheck(p, now);
      }, RECHECK_MS),
    );
  };
  for (const event of ["add", "change", "unlink", "addDir", "unlinkDir"] as const) {
    watcher.on(event, (p: string) => {
      onSave(relative(p));
      if (event === "change" || event === "add") recheck(p, version(p));
    });
  }
  return new Promise((resolve, reject) => {
    watcher.once("ready", () =>
      resolve({
        async close() {
          for (const t of rechecks.values()) clearTimeout(t);
          rechecks.clear();
          await watcher.close();
        },
      }),
    );
    watcher.once("error", reject);
  });
}

/** The run in flight. */
interface Running {
  readonly plan: Plan;
  readonly abort: AbortController;
  done: Promise<RunResult | null>;
  runId: string | null;
}

class WatchLoop {
  private readonly pending = new Set<string>();
  private firstSaveAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private compiling: Promise<void> | null = null;
  private again = false;
  private running: Running | null = null;
  /** The plan of the last run that succeeded (a save giving the same plan runs nothing). */
  private built: string | null = null;
  private closed = false;
  private runs: Promise<unknown> = Promise.resolve();
  /** TS processes started after a run for the next one (its TS models loaded while the user edits). */
  private ahead: TsChildPool | undefined;

  constructor(
    private readonly projectDir: string,
    private readonly options: WatchOptions,
    private readonly emit: (event: WatchEvent) => void,
    private readonly compiler: IncrementalCompiler,
    private readonly threads: number,
    /** The TS processes started at watch start, for the first run (once). */
    private readonly takeInitialChildren: () => TsChildPool | undefined,
  ) {}

  /** A file was saved (null: build without a save, at start). */
  saved(file: string | null): void {
    if (this.closed) return;
    if (file !== null) this.pending.add(file);
    this.firstSaveAt ??= performance.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), file === null ? 0 : (this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.running?.abort.abort();
    await this.compiling;
    await this.runs;
    this.ahead?.close();
  }

  private kick(): void {
    if (this.compiling) {
      this.again = true;
      return;
    }
    this.compiling = this.compileLoop().finally(() => (this.compiling = null));
  }

  private async compileLoop(): Promise<void> {
    do {
      this.again = false;
      const files = [...this.pending].sort();
      this.pending.clear();
      const at = this.firstSaveAt ?? performance.now();
      this.firstSaveAt = null;
      if (files.length > 0) this.emit({ type: "change", files, at });
      try {
        await this.compileAndRun();
      } catch (err) {
        this.emit({ type: "error", message: err instanceof Error ? err.message : String(err) });
      }
    } while (this.again && !this.closed);
  }

  private async compileAndRun(): Promise<void> {
    const compiled = await this.compiler.compile();
    if (this.closed) return;
    this.emit({
      type: "compiled",
      ok: compiled.plan !== null,
      seconds: compiled.stats.seconds,
      filesRead: compiled.stats.filesRead,
      filesReused: compiled.stats.filesReused,
      diagnostics: compiled.diagnostics,
      files: compiled.files,
    });
    // A newer save came in while compiling: compile again before running anything.
    if (this.again) return;
    const plan = compiled.plan;
    const key = plan === null ? null : JSON.stringify(plan);
    const current = this.running;
    if (current !== null && key !== null && JSON.stringify(current.plan) === key) {
      this.emit({ type: "unchanged" });
      return;
    }
    if (current === null && key !== null && key === this.built) {
      this.emit({ type: "unchanged" });
      return;
    }
    if (current !== null) {
      // The run in flight builds what the files no longer say: stop it (nothing of it is committed).
      this.emit({ type: "cancelling", runId: current.runId });
      current.abort.abort();
      await current.done;
      if (this.again) return; // saved again meanwhile: that compile decides what runs
    }
    if (plan === null || this.closed) return;
    this.startRun(plan);
  }

  private startRun(plan: Plan): void {
    const abort = new AbortController();
    // runPlan asks the pool for the TS models it runs (and stops the others' processes).
    const tsChildren = this.takeInitialChildren() ?? this.ahead ?? new TsChildPool(this.threads);
    this.ahead = undefined;
    const running: Running = { plan, abort, runId: null, done: Promise.resolve(null) };
    const done = (async (): Promise<RunResult | null> => {
      const { runPlan } = await import("../../runtime/run-plan.js");
      this.emit({ type: "run-start", nodes: plan.nodes.length });
      try {
        const preview = this.options.preview ?? DEFAULT_PREVIEW_ROWS;
        const result = await runPlan(plan, {
          projectDir: this.projectDir,
          threads: this.threads,
          ...(this.options.duckdbMemory ? { duckdbMemory: this.options.duckdbMemory } : {}),
          ...(this.options.memory !== undefined && Object.keys(this.options.memory).length > 0 ? { memory: this.options.memory } : {}),
          ...(this.options.cache !== undefined ? { cache: this.options.cache } : {}),
          ...(preview > 0 ? { preview } : {}),
          // A failed watch run keeps no branch: the next save runs again anyway.
          keepFailed: false,
          signal: abort.signal,
          tsChildren,
          onEvent: (event) => {
            if (event.type === "run-start") running.runId = event.runId;
            this.emit({ type: "run", event });
          },
        });
        const changed = result.nodes.filter((n) => (n.kind === "sql" || n.kind === "ts") && n.status !== "cached");
        this.built = result.ok ? JSON.stringify(plan) : null;
        this.emit({ type: "run-end", result, changed });
        if (!this.closed && !abort.signal.aborted) {
          // The TS models that just ran are the likely next to run (the user is working on them or
          // upstream of them); the others are most likely served by the cache next time too.
          const ranTs = new Set(result.nodes.filter((n) => n.kind === "ts" && n.status === "ok").map((n) => n.id));
          this.ahead?.close();
          this.ahead = ranTs.size > 0 ? this.childrenFor(plan, ranTs) : undefined;
        }
        return result;
      } catch (err) {
        tsChildren.close();
        this.built = null;
        this.emit({ type: "error", message: err instanceof Error ? err.message : String(err) });
        return null;
      } finally {
        if (this.running === running) this.running = null;
      }
    })();
    running.done = done;
    this.running = running;
    this.runs = Promise.all([this.runs, done]);
  }

  /** Processes for these TS models (node ids) of the plan, started now so that they are loaded by the time a run needs one. */
  private childrenFor(plan: Plan, only: ReadonlySet<string>): TsChildPool {
    const pool = new TsChildPool(this.threads);
    const specs = plan.nodes.flatMap((n) => (n.kind === "ts" && only.has(n.id) ? [tsChildSpec(this.projectDir, n, this.options.memory)] : []));
    pool.expect(specs);
    return pool;
  }
}
