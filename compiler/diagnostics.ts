/**
 * Diagnostics are data: a code, a severity, a message, a place and a hint.
 * The compiler collects them in one pass and never throws for a mistake in the user's project.
 */

/** Every diagnostic code bp can emit, with its kebab-case name. Documented in docs/diagnostics.md. */
export const DIAGNOSTIC_CODES = {
  BP0001: "project-config-invalid",
  BP0002: "no-models",
  BP0003: "model-name-invalid",
  BP0101: "sql-syntax-error",
  BP0102: "unknown-table",
  BP0103: "sql-not-a-select",
  BP0104: "unknown-column",
  BP0105: "sql-bind-error",
  BP0106: "template-error",
  BP0107: "unknown-var",
  BP0108: "unknown-ref",
  BP0109: "source-ref-conflict",
  BP0110: "bad-header-setting",
  BP0111: "unknown-described-name",
  BP0201: "ts-syntax-error",
  BP0202: "ts-missing-model",
  BP0203: "ts-non-literal-setting",
  BP0204: "ts-bad-setting",
  BP0205: "ts-input-type-unsupported",
  BP0301: "bad-filter",
  BP0401: "cycle",
  BP0402: "duplicate-model",
  BP0403: "model-shadows-source",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** Project-relative path, `/`-separated. Absent for project-wide problems. */
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
  /** What to do about it. */
  readonly hint?: string;
}

export function diagnostic(
  code: DiagnosticCode,
  message: string,
  at?: { file?: string; line?: number; column?: number },
  hint?: string,
  severity: Severity = "error",
): Diagnostic {
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { code, severity, message };
  if (at?.file !== undefined) d.file = at.file;
  if (at?.line !== undefined) d.line = at.line;
  if (at?.column !== undefined) d.column = at.column;
  if (hint !== undefined) d.hint = hint;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Plain code-unit order: the same on every machine, whatever the locale (unlike localeCompare). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable order: by file, line, column, code, message. Project-wide ones first. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compareText(a.file ?? "", b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareText(a.code, b.code) ||
      compareText(a.message, b.message),
  );
}

/** Converts a 0-based character offset in `text` to a 1-based line and column. */
export function offsetToLineColumn(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}

/**
 * `models/x.sql:3:14 error BP0102 unknown table "trasactions" (did you mean "transactions"?)`
 * followed, when the source text is given, by the source line with a caret under the column,
 * and by the hint.
 */
export function formatDiagnostic(d: Diagnostic, sourceText?: string): string {
  const place = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ""} ` : "";
  const lines = [`${place}${d.severity} ${d.code} ${d.message}`];
  if (sourceText !== undefined && d.line !== undefined) {
    const src = sourceText.split("\n")[d.line - 1];
    if (src !== undefined) {
      const gutter = String(d.line);
      lines.push(`  ${gutter} | ${src.replace(/\t/g, " ")}`);
      lines.push(`  ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, (d.column ?? 1) - 1))}^`);
    }
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance proportional to the name's length, if any. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}
