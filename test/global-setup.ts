import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

/**
 * Tests spawn the built CLI and TS child processes, so build dist/ once before any test runs.
 * Type errors are reported by `npm run typecheck` (run by .ci/run); here tsc still emits.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const tsc = path.join(root, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) process.stderr.write(`[global-setup] tsc reported errors (dist/ was still emitted):\n${r.stdout}${r.stderr}`);
}
