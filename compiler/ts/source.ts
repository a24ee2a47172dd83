/**
 * Shared plumbing of the TS-model reader: the parsed file, node locations and setting paths.
 */
import type * as TS from "typescript";
import ts from "./typescript.js";
import { offsetToLineColumn } from "../diagnostics.js";

export interface LineColumn {
  line: number;
  column: number;
}

/** One model file being read. */
export interface SourceContext {
  readonly file: string;
  readonly text: string;
  readonly sf: TS.SourceFile;
}

/** Where a node starts (after leading trivia), plus `delta` characters. 1-based. */
export function nodeAt(ctx: SourceContext, node: TS.Node, delta = 0): LineColumn {
  return offsetToLineColumn(ctx.text, node.getStart(ctx.sf) + delta);
}

/** The same, shaped for `diagnostic()`. */
export function place(ctx: SourceContext, node: TS.Node): { file: string; line: number; column: number } {
  return { file: ctx.file, ...nodeAt(ctx, node) };
}

/** Strips what does not change a value: `( )`, `as T`, `as const`, `satisfies T`, `<T>x`, `x!`. */
export function unwrap(expr: TS.Expression): TS.Expression {
  let e = expr;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e) ||
    ts.isNonNullExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

/** A path into the settings object, as zod reports it: `["inputs", "data", "options", "columns", 1]`. */
export type SettingPath = readonly (string | number)[];

export const pathKey = (path: SettingPath): string => JSON.stringify(path);

/**
 * How a path is shown to the user: `inputs.data.columns[1]`, `packages["simple-statistics"]`.
 * The `options` argument of `input(...)` is elided (`inputs.data.filter`) unless it is the last part.
 */
export function renderPath(path: SettingPath): string {
  let out = "";
  path.forEach((seg, i) => {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (i === 2 && path[0] === "inputs" && seg === "options" && i < path.length - 1) return;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  });
  return out === "" ? "model settings" : out;
}

/** Source text of a node, shortened for messages. */
export function snippet(ctx: SourceContext, node: TS.Node, max = 40): string {
  const t = node.getText(ctx.sf).replace(/\s+/g, " ");
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}
