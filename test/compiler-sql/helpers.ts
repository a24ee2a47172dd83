import type { Diagnostic } from "../../compiler/diagnostics.js";
import { renderSqlTemplate, type SqlModelText } from "../../compiler/sql/index.js";

/** A model file rendered with `vars`, ready for parse/bind. Fails the test on template errors. */
export function model(text: string, vars: Record<string, string> = {}, file = "models/m.sql"): SqlModelText {
  const r = renderSqlTemplate(file, text, vars);
  if (r.diagnostics.length > 0) throw new Error(`template errors: ${JSON.stringify(r.diagnostics)}`);
  return { file, sourceText: text, rendered: r.sql, toSourceOffset: r.toSourceOffset };
}

/** `CODE@line:column` for compact assertions. */
export function where(d: Diagnostic): string {
  return `${d.code}@${d.line}:${d.column}`;
}

/** The text at a diagnostic's line:column, `length` characters long. */
export function textAt(text: string, d: Pick<Diagnostic, "line" | "column">, length: number): string {
  const line = text.split("\n")[(d.line ?? 1) - 1] ?? "";
  return line.slice((d.column ?? 1) - 1, (d.column ?? 1) - 1 + length);
}
