/**
 * bp build: compile (or load a saved plan), run it, print live logs and a summary. The TS models'
 * processes are started first, so that they load while the compiler works (ts-children.ts).
 * With --json, stdout gets one JSON event per line (json-events.ts) and the human text goes to stderr.
 */
import type { VarValue } from "../../compiler/vars.js";
import { readFileSync } from "node:fs";
import os from "node:os";
import type { Plan } from "../../compiler/plan-types.js";
import { assertBranchName } from "../../runtime/lake/names.js";
import type { TsChildPool } from "../../runtime/ts-child/warm-pool.js";
import type { RunResult } from "../../runtime/run-events.js";
import { createOut, liveRunPrinter, printDiagnostics, printRunSummary, type Out } from "../console.js";
import { JsonEvents } from "../json-events.js";
import { lakeFailure } from "../lake-errors.js";
import { terminalStatusLine } from "../status-line.js";
import { openProject } from "../project.js";
import { startTsChildrenAhead } from "../ts-children.js";

export interface BuildCommandOptions {
  projectDir: string;
  var: Record<string, VarValue>;
  plan?: string;
  threads?: number;
  json?: boolean;
  /** Print every edge and debug lines (DuckDB and shared-memory settings). */
  verbose?: boolean;
  /** DuckDB's memory limit: "4GB", "512MiB" or "40%" (default 50% of the machine's memory). */
  duckdbMemory?: string;
  /** The target branch (default: the project's). */
  ref?: string;
  /** Keep the temporary branch of a failed run (default true). */
  keepFailed?: boolean;
  /** `--no-cache`: run every node, store no output. */
  cache?: boolean;
  /** `--memory MODEL=SIZE`: TS models' heap limits in MiB for this run. */
  memory?: Record<string, number>;
}

/** How the build ended, for --json's run-end event. */
interface Ending {
  result: RunResult | null;
  error?: { message: string; code?: string };
}

export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  const out = createOut(!!opts.json, { statusLine: terminalStatusLine });
  const events = opts.json ? new JsonEvents((line) => out.result(line)) : null;
  const ending: Ending = { result: null };
  const abort = new AbortController();
  let running = false;
  let tsChildren: TsChildPool | undefined;
  const onSignal = () => {
    // Once: a second Ctrl-C stops bp at once, the default way.
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (!running) {
      // Compiling cannot be stopped halfway; nothing has run and nothing needs undoing.
      out.error("\ninterrupted before running anything");
      events?.end(130, null, { message: "interrupted before running anything" });
      tsChildren?.close();
      out.status(null);
      process.exit(130);
    }
    out.error("\ninterrupted: stopping running nodes, committing nothing");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // Before anything heavy is loaded (spawning is cheaper from a small process).
    tsChildren = startTsChildrenAhead(opts.projectDir, opts.threads ?? os.availableParallelism(), opts.memory);
    const code = await build(opts, out, events, ending, tsChildren, abort.signal, () => (running = true));
    events?.end(code, ending.result, ending.error);
    return code;
  } catch (err) {
    events?.end(2, ending.result, { message: `internal error: ${err instanceof Error ? err.message : String(err)}` });
    throw err;
  } finally {
    out.status(null);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    tsChildren?.close();
  }
}

async function build(
  opts: BuildCommandOptions,
  out: Out,
  events: JsonEvents | null,
  ending: Ending,
  tsChildren: TsChildPool,
  signal: AbortSignal,
  onRunStart: () => void,
): Promise<number> {
  const [{ compileProject }, { duckdbMemoryLimit, runPlan, PlanVersionError, RunSettingsError, StalePlanError }] = await Promise.all([
    import("../../compiler/compile-project.js"),
    import("../../runtime/run-plan.js"),
  ]);
  /** A message on stderr (and in run-end), and the exit code. */
  const fail = (code: number, message: string): number => {
    out.error(message);
    ending.error = { message: message.replace(/^bp( build)?: /, "") };
    return code;
  };
  const lakeFail = (err: unknown): number => {
    const code = lakeFailure(out, "build", err, false);
    const errorCode = (err as { code?: unknown }).code;
    ending.error = { message: err instanceof Error ? err.message : String(err), ...(errorCode !== undefined ? { code: String(errorCode) } : {}) };
    return code;
  };
  try {
    duckdbMemoryLimit(opts.duckdbMemory); // a bad --duckdb-memory is a usage error before compiling
  } catch (err) {
    return fail(2, `bp: --duckdb-memory: ${err instanceof Error ? err.message : String(err)}`);
  }
  let plan: Plan;
  if (opts.plan) {
    try {
      plan = JSON.parse(readFileSync(opts.plan, "utf8")) as Plan;
    } catch (err) {
      return fail(2, `bp: cannot read plan ${opts.plan}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const planBranch = (plan as { project?: { branch?: unknown } }).project?.branch;
    if (opts.ref !== undefined && planBranch !== opts.ref) {
      return fail(2, `bp: the plan was compiled for branch ${String(planBranch)}, not ${opts.ref}\n  hint: recompile with bp compile --branch ${opts.ref}, or leave out --ref`);
    }
  } else {
    const target = await checkTarget(opts, out, fail, lakeFail);
    if (typeof target === "number") return target;
    let compiled;
    out.status(out.colors.dim("compiling..."));
    try {
      compiled = await compileProject({ projectDir: opts.projectDir, vars: opts.var, ...(target ? { branch: target } : {}) });
    } catch (err) {
      return lakeFail(err);
    }
    out.status(null);
    printDiagnostics(out, compiled.diagnostics, compiled.files);
    events?.diagnostics(compiled.diagnostics);
    if (!compiled.plan) {
      const errors = compiled.diagnostics.filter((d) => d.severity === "error").length;
      ending.error = { message: `the project has ${errors} error${errors === 1 ? "" : "s"}` };
      return 1;
    }
    plan = compiled.plan;
  }
  const memoryProblem = checkMemoryOption(plan, opts.memory);
  if (memoryProblem) return fail(2, `bp build: --memory: ${memoryProblem}`);

  onRunStart();
  const printer = liveRunPrinter(out, plan.nodes?.length ?? 0, { verbose: !!opts.verbose, memoryFlag: "--memory" });
  try {
    const run = await runPlan(plan, {
      projectDir: opts.projectDir,
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.duckdbMemory ? { duckdbMemory: opts.duckdbMemory } : {}),
      ...(opts.keepFailed === false ? { keepFailed: false } : {}),
      ...(opts.cache === false ? { cache: false as const } : {}),
      ...(opts.memory && Object.keys(opts.memory).length > 0 ? { memory: opts.memory } : {}),
      onEvent: (e) => {
        printer.onEvent(e);
        events?.run(e);
      },
      signal,
      tsChildren,
    });
    printer.stop();
    ending.result = run;
    printRunSummary(out, run, { verbose: !!opts.verbose });
    return run.cancelled ? 130 : run.ok ? 0 : 1;
  } catch (err) {
    printer.stop();
    if (err instanceof PlanVersionError || err instanceof RunSettingsError) return fail(2, `bp: ${err.message}`);
    if (err instanceof StalePlanError) return fail(1, `bp: ${err.message}`);
    return lakeFail(err);
  }
}

/** `--memory` must name TS models of the plan: the problem, or null. */
function checkMemoryOption(plan: Plan, memory: Record<string, number> | undefined): string | null {
  const nodes = Array.isArray(plan.nodes) ? plan.nodes : [];
  const tsModels = nodes.flatMap((n) => (n.kind === "ts" ? [n.name] : []));
  const bad = Object.keys(memory ?? {}).filter((name) => !tsModels.includes(name));
  if (bad.length === 0) return null;
  const what = bad.map((name) => (nodes.some((n) => n.kind === "sql" && n.name === name) ? `${name} is a SQL model (DuckDB's memory is --duckdb-memory)` : `no TS model ${name}`));
  return `${what.join("; ")}; ${tsModels.length > 0 ? `the TS models are ${tsModels.join(", ")}` : "the project has no TS models"}`;
}

/** `--ref`: a branch that exists (or the project's branch of an empty lake). Exit code on a bad one. */
async function checkTarget(
  opts: BuildCommandOptions,
  out: Out,
  fail: (code: number, message: string) => number,
  lakeFail: (err: unknown) => number,
): Promise<string | undefined | number> {
  if (opts.ref === undefined) return undefined;
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    assertBranchName(opts.ref);
  } catch (err) {
    return fail(2, `bp build: --ref: ${err instanceof Error ? err.message : String(err)}\n  hint: --ref names the branch to build on; a build cannot write to a tag or a commit`);
  }
  let head;
  try {
    head = opts.ref === project.config.branch ? "" : await project.lake.headId(opts.ref);
  } catch (err) {
    return lakeFail(err);
  }
  if (head === null) {
    // A tag or a commit is not a branch: say so, and how to build on top of it.
    const other = await project.lake.resolveRef(opts.ref).catch(() => null);
    if (other !== null && other.kind !== "branch") {
      return fail(2, `bp build: ${opts.ref} is a ${other.kind}, not a branch: a build commits, so it needs a branch\n  hint: bp branch create NAME --from ${opts.ref}, then bp build --ref NAME`);
    }
    return fail(1, `bp build: no branch ${opts.ref} in the lake\n  hint: create it with bp branch create ${opts.ref} [--from REF]`);
  }
  return opts.ref;
}
