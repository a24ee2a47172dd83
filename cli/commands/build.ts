/**
 * bp build: compile (or load a saved plan), run it, print live logs and a summary. The TS models'
 * processes are started first, so that they load while the compiler works (ts-children.ts).
 */
import type { VarValue } from "../../compiler/vars.js";
import { readFileSync } from "node:fs";
import os from "node:os";
import type { Plan } from "../../compiler/plan-types.js";
import { assertBranchName } from "../../runtime/lake/names.js";
import type { TsChildPool } from "../../runtime/ts-child/warm-pool.js";
import { createOut, liveRunPrinter, printDiagnostics, printRunSummary, type Out } from "../console.js";
import { lakeFailure } from "../lake-errors.js";
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
}

export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
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
      tsChildren?.close();
      process.exit(130);
    }
    out.error("\ninterrupted: stopping running nodes, committing nothing");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // Before anything heavy is loaded (spawning is cheaper from a small process).
    tsChildren = startTsChildrenAhead(opts.projectDir, opts.threads ?? os.availableParallelism());
    return await build(opts, out, tsChildren, abort.signal, () => (running = true));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    tsChildren?.close();
  }
}

async function build(
  opts: BuildCommandOptions,
  out: ReturnType<typeof createOut>,
  tsChildren: TsChildPool,
  signal: AbortSignal,
  onRunStart: () => void,
): Promise<number> {
  const [{ compileProject }, { duckdbMemoryLimit, runPlan, PlanVersionError, RunSettingsError, StalePlanError }] = await Promise.all([
    import("../../compiler/compile-project.js"),
    import("../../runtime/run-plan.js"),
  ]);
  try {
    duckdbMemoryLimit(opts.duckdbMemory); // a bad --duckdb-memory is a usage error before compiling
  } catch (err) {
    out.error(`bp: --duckdb-memory: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  let plan: Plan;
  if (opts.plan) {
    try {
      plan = JSON.parse(readFileSync(opts.plan, "utf8")) as Plan;
    } catch (err) {
      out.error(`bp: cannot read plan ${opts.plan}: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    const planBranch = (plan as { project?: { branch?: unknown } }).project?.branch;
    if (opts.ref !== undefined && planBranch !== opts.ref) {
      out.error(`bp: the plan was compiled for branch ${String(planBranch)}, not ${opts.ref}\n  hint: recompile with bp compile --branch ${opts.ref}, or leave out --ref`);
      return 2;
    }
  } else {
    const target = await checkTarget(opts, out);
    if (typeof target === "number") return target;
    let compiled;
    try {
      compiled = await compileProject({ projectDir: opts.projectDir, vars: opts.var, ...(target ? { branch: target } : {}) });
    } catch (err) {
      return lakeFailure(out, "build", err, opts.json);
    }
    printDiagnostics(out, compiled.diagnostics, compiled.files);
    if (!compiled.plan) {
      if (opts.json) out.result(JSON.stringify({ ok: false, diagnostics: compiled.diagnostics }, null, 2));
      return 1;
    }
    plan = compiled.plan;
  }

  onRunStart();
  try {
    const run = await runPlan(plan, {
      projectDir: opts.projectDir,
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.duckdbMemory ? { duckdbMemory: opts.duckdbMemory } : {}),
      ...(opts.keepFailed === false ? { keepFailed: false } : {}),
      ...(opts.cache === false ? { cache: false as const } : {}),
      onEvent: liveRunPrinter(out, plan.nodes.length, { verbose: !!opts.verbose }),
      signal,
      tsChildren,
    });
    printRunSummary(out, run, { verbose: !!opts.verbose });
    if (opts.json) out.result(JSON.stringify(run, null, 2));
    return run.cancelled ? 130 : run.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof PlanVersionError || err instanceof RunSettingsError) {
      out.error(`bp: ${err.message}`);
      return 2;
    }
    if (err instanceof StalePlanError) {
      out.error(`bp: ${err.message}`);
      return 1;
    }
    return lakeFailure(out, "build", err, opts.json);
  }
}

/** `--ref`: a branch that exists (or the project's branch of an empty lake). Exit code on a bad one. */
async function checkTarget(opts: BuildCommandOptions, out: Out): Promise<string | undefined | number> {
  if (opts.ref === undefined) return undefined;
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    assertBranchName(opts.ref);
  } catch (err) {
    out.error(`bp build: --ref: ${err instanceof Error ? err.message : String(err)}\n  hint: --ref names the branch to build on; a build cannot write to a tag or a commit`);
    return 2;
  }
  let head;
  try {
    head = opts.ref === project.config.branch ? "" : await project.lake.headId(opts.ref);
  } catch (err) {
    return lakeFailure(out, "build", err, opts.json);
  }
  if (head === null) {
    // A tag or a commit is not a branch: say so, and how to build on top of it.
    const other = await project.lake.resolveRef(opts.ref).catch(() => null);
    if (other !== null && other.kind !== "branch") {
      out.error(
        `bp build: ${opts.ref} is a ${other.kind}, not a branch: a build commits, so it needs a branch\n  hint: bp branch create NAME --from ${opts.ref}, then bp build --ref NAME`,
      );
      return 2;
    }
    out.error(`bp build: no branch ${opts.ref} in the lake\n  hint: create it with bp branch create ${opts.ref} [--from REF]`);
    return 1;
  }
  return opts.ref;
}
