/**
 * `bp build` starts the processes of the project's TS models before compiling: they load Node,
 * apache-arrow, bp's modules and transpile their model while the compiler works, and the run takes
 * them over (runPlan's `tsChildren`). Found from the model files alone (no compiler): a process
 * is started with the heap limit the model's `memory: "..."` most likely gets; the plan decides,
 * and a child that does not fit it is stopped and started again at the run (a wrong guess costs
 * only the early start). Imports nothing heavy, so that the children start first.
 */
import path from "node:path";
import { discoverModels } from "../compiler/discover-models.js";
import { DEFAULT_MEMORY_MB, parseMemoryMb } from "../compiler/ts/memory-size.js";
import type { TsChildSpec } from "../runtime/ts-child/run-ts-model.js";
import { TsChildPool } from "../runtime/ts-child/warm-pool.js";

/** A model's heap limit when it declares none. */
export const LIKELY_DEFAULT_MEMORY_MB = DEFAULT_MEMORY_MB;

/**
 * The heap limit in MiB the compiler will most likely read from a TS model's source: its single
 * `memory: "<n><unit>"` (units as the compiler reads them: MB = MiB, GB = GiB, case-insensitive),
 * else the default.
 */
export function likelyMemoryMb(source: string): number {
  const found = [...source.matchAll(/\bmemory\s*:\s*(["'`])\s*(\d+(?:\.\d+)?|\.\d+)\s*(mb|mib|gb|gib)\s*\1/gi)];
  if (found.length !== 1) return LIKELY_DEFAULT_MEMORY_MB;
  const [, , amount, unit] = found[0]!;
  return parseMemoryMb(`${amount}${unit}`) ?? LIKELY_DEFAULT_MEMORY_MB;
}

/**
 * The TS models' processes as the plan will most likely ask for them, in file order; `memory`
 * (`--memory MODEL=SIZE`, in MiB) replaces a model's own heap limit for this run.
 */
export function likelyTsChildren(projectDir: string, memory: Readonly<Record<string, number>> = {}): TsChildSpec[] {
  const dir = path.resolve(projectDir);
  return discoverModels(dir)
    .models.filter((m) => m.kind === "ts")
    .map((m) => ({
      model: m.name,
      modelFile: path.resolve(dir, m.file),
      memoryMb: Object.hasOwn(memory, m.name) ? memory[m.name]! : likelyMemoryMb(m.text),
      cwd: dir,
    }));
}

/** Starts (up to `lookahead`) TS model processes for the project; hand the pool to runPlan, or close it. */
export function startTsChildrenAhead(projectDir: string, lookahead: number, memory: Readonly<Record<string, number>> = {}): TsChildPool {
  const pool = new TsChildPool(lookahead);
  pool.expect(likelyTsChildren(projectDir, memory));
  return pool;
}
