/**
 * bp build: compile (or load a saved plan), run it, print live logs and a summary. The TS models'
 * processes are started first, so that they load while the compiler works (ts-children.ts).
 */
import type { VarValue } from "../../compiler/vars.js";
import { readFileSync } from "node:fs";
import os from "node:os";
import type { Plan } from "../../compiler/plan-types.js";
import { createOut, liveRunPrinter, printDiagnostics, printRunSummary } from "../console.js";
import type { TsChildPool } from "../../runtime/ts-child/warm-pool.js";
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
  } else {
    const compiled = await compileProject({ projectDir: opts.projectDir, vars: opts.var });
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
    throw err;
  }
}
