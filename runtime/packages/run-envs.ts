/**
 * A run's package environments: one environmentFor per TS node, all started at once when the run
 * starts (concurrently, before any data is read), so that a model's packages install while the
 * nodes upstream of it run, and a failure is that node's alone. A rejection nobody awaits (the
 * node was skipped) is not an unhandled one.
 */
import type { Plan } from "../../compiler/plan-types.js";
import { environmentFor, type EnvironmentOptions, type PackageEnv } from "./index.js";

export function startPackageEnvs(plan: Plan, options: EnvironmentOptions): Map<string, Promise<PackageEnv>> {
  const envs = new Map<string, Promise<PackageEnv>>();
  for (const node of plan.nodes) {
    if (node.kind !== "ts") continue;
    const env = environmentFor(node.packages, options);
    env.catch(() => {}); // reported by the node's runner, if it runs
    envs.set(node.id, env);
  }
  return envs;
}
