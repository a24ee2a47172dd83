/**
 * A SQL model as the later stages see it (original text, rendered SQL, offset map), and the
 * conversion of positions DuckDB reports in the rendered SQL into 1-based line:column of the file.
 */
import { offsetToLineColumn } from "../diagnostics.js";
import { firstTokenOffset } from "./sql-text.js";

export interface SqlModelText {
  /** Project-relative path. */
  readonly file: string;
  /** The file as written (before template rendering). */
  readonly sourceText: string;
  /** The SQL after template rendering. */
  readonly rendered: string;
  /** Maps an offset in `rendered` to an offset in `sourceText` (see renderSqlTemplate). */
  toSourceOffset(renderedOffset: number): number;
}

export interface FileLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function locateRendered(model: SqlModelText, renderedIndex: number): FileLocation {
  const sourceOffset = model.toSourceOffset(Math.max(0, Math.min(renderedIndex, model.rendered.length)));
  return { file: model.file, ...offsetToLineColumn(model.sourceText, sourceOffset) };
}

/** Location of the statement's first token: where errors without a position are reported. */
export function locateStatementStart(model: SqlModelText): FileLocation {
  return locateRendered(model, firstTokenOffset(model.rendered));
}
