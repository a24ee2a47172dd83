/** bp compile: project -> target/plan.json (byte-identical for the same project and lake). */
import type { VarValue } from "../../compiler/vars.js";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compileProject } from "../../compiler/compile-project.js";
import type { Plan } from "../../compiler/plan-types.js";
import { createOut, printDiagnostics } from "../console.js";
import { lakeFailure } from "../lake-errors.js";

export interface CompileCommandOptions {
  projectDir: string;
  var: Record<string, VarValue>;
  out: string;
  branch?: string;
  json?: boolean;
}

export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

export async function compileCommand(opts: CompileCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  let result;
  try {
    result = await compileProject({ projectDir: opts.projectDir, vars: opts.var, ...(opts.branch ? { branch: opts.branch } : {}) });
  } catch (err) {
    return lakeFailure(out, "compile", err, opts.json);
  }
  printDiagnostics(out, result.diagnostics, result.files);
  if (opts.json) out.result(JSON.stringify({ ok: !!result.plan, diagnostics: result.diagnostics, plan: result.plan }, null, 2));
  if (!result.plan) return 1;
  const target = path.resolve(opts.projectDir, opts.out);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.tmp`, serializePlan(result.plan));
  renameSync(`${target}.tmp`, target);
  const models = result.plan.nodes.filter((n) => n.kind === "sql" || n.kind === "ts");
  const scans = result.plan.nodes.filter((n) => n.kind === "scan");
  out.info(`compiled ${models.length} models (${models.filter((m) => m.kind === "sql").length} sql, ${models.filter((m) => m.kind === "ts").length} ts), ${scans.length} scans -> ${path.relative(process.cwd(), target) || target}`);
  return 0;
}
