import type { Diagnostic } from "../../compiler/diagnostics.js";

/** 1-based line and column of the `nth` (0-based) occurrence of `needle` in `text`. */
export function find(text: string, needle: string, nth = 0): { line: number; column: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`needle ${JSON.stringify(needle)} #${nth} not in text`);
  }
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** code@line:col for compact assertions. */
export function where(d: Diagnostic): string {
  return `${d.code}@${d.line ?? "-"}:${d.column ?? "-"}`;
}

export function whereOf(code: string, p: { line: number; column: number }): string {
  return `${code}@${p.line}:${p.column}`;
}

/** A minimal valid model around the given settings lines (inserted before `run`). */
export function modelWith(settings: string, header = 'import { model, input } from "bauplan-ts";\n'): string {
  return `${header}export default model({\n${settings}\n  run({ data }) { return data; },\n});\n`;
}
