/**
 * Literal extraction: turns the object literal passed to `model(...)` into plain values without
 * evaluating anything, remembering where each value (and key) is written. Anything that is not a
 * literal becomes a `NonLiteral` marker and a BP0203; duplicated keys are BP0204.
 */
import type * as TS from "typescript";
import ts from "./typescript.js";
import { diagnostic, offsetToLineColumn, type Diagnostic } from "../diagnostics.js";
import { isSdkCall, SDK_MODULE, type SdkBindings } from "./find-model.js";
import { pathKey, place, renderPath, snippet, unwrap, type SettingPath, type SourceContext } from "./source.js";

/** `input(table, options)` as written; either argument may be missing. */
export class InputCall {
  constructor(
    readonly table: Lit | undefined,
    readonly options: Lit | undefined,
  ) {}
}

/** `run` written as a method, function expression or arrow function. Its body is never looked at. */
export class RunFunction {}

/** `run` written as something else; `what` describes it. */
export class NotAFunction {
  constructor(readonly what: string) {}
}

/** A value that could not be read statically (already reported as BP0203). */
export class NonLiteral {}

export type Lit =
  | string
  | number
  | boolean
  | null
  | Lit[]
  | { [key: string]: Lit }
  | InputCall
  | RunFunction
  | NotAFunction
  | NonLiteral;

export interface Located {
  /** The value's expression (after unwrapping parentheses and type assertions). */
  readonly node: TS.Node;
  /** The property name, for values held by an object key. */
  readonly keyNode?: TS.Node;
}

export interface Extraction {
  /** The settings object, with null-prototype objects. */
  readonly root: { [key: string]: Lit };
  /** pathKey(path) -> where the value at that path is written. */
  readonly locations: ReadonlyMap<string, Located>;
  /** pathKey(path) -> the object's keys in declaration order (duplicates and computed keys left out). */
  readonly keyOrder: ReadonlyMap<string, readonly string[]>;
  /** pathKey(path) of objects with a spread or computed key: their key set is unknown. */
  readonly openObjects: ReadonlySet<string>;
  readonly diagnostics: readonly Diagnostic[];
}

export const LITERAL_HINT =
  "model settings are read without running the file: use strings, numbers, booleans, arrays, " +
  'object literals and input("table", { columns: [...], filter: "..." }); only `run` may contain code';

export function extractSettings(obj: TS.ObjectLiteralExpression, ctx: SourceContext, sdk: SdkBindings): Extraction {
  const locations = new Map<string, Located>();
  const keyOrder = new Map<string, string[]>();
  const openObjects = new Set<string>();
  const diagnostics: Diagnostic[] = [];

  const report = (at: TS.Node | number, message: string, hint = LITERAL_HINT): NonLiteral => {
    const where = typeof at === "number" ? { file: ctx.file, ...offsetToLineColumn(ctx.text, at) } : place(ctx, at);
    diagnostics.push(diagnostic("BP0203", message, where, hint));
    return new NonLiteral();
  };
  const nonLiteral = (node: TS.Node, path: SettingPath, what: string, hint = LITERAL_HINT): NonLiteral =>
    report(node, `\`${renderPath(path)}\` must be a literal, not ${what}`, hint);

  const value = (expr: TS.Expression, path: SettingPath, keyNode?: TS.Node): Lit => {
    const e = unwrap(expr);
    locations.set(pathKey(path), keyNode ? { node: e, keyNode } : { node: e });
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (e.kind === ts.SyntaxKind.NullKeyword) return null;
    if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) {
      if (e.operator === ts.SyntaxKind.MinusToken) return -Number(e.operand.text);
      if (e.operator === ts.SyntaxKind.PlusToken) return Number(e.operand.text);
    }
    if (ts.isArrayLiteralExpression(e)) {
      return e.elements.map((el, i): Lit => {
        const p = [...path, i];
        if (ts.isOmittedExpression(el)) {
          locations.set(pathKey(p), { node: el });
          return report(holeComma(ctx, el), `\`${renderPath(p)}\` must be a literal, not an empty array slot`);
        }
        return value(el, p);
      });
    }
    if (ts.isObjectLiteralExpression(e)) return object(e, path, false);
    if (ts.isCallExpression(e) && isSdkCall(e, "input", sdk)) return inputCall(e, path);
    return nonLiteral(e, path, describeNonLiteral(e), nonLiteralHint(e));
  };

  const inputCall = (call: TS.CallExpression, path: SettingPath): InputCall => {
    const [tableArg, optionsArg, extra] = call.arguments;
    if (extra) {
      diagnostics.push(diagnostic("BP0204", `input(...) takes a table name and an options object, not ${call.arguments.length} arguments`, place(ctx, extra), 'write input("table", { columns: [...], filter: "..." })'));
    }
    const table = tableArg ? value(tableArg, [...path, "table"]) : undefined;
    const options = optionsArg ? value(optionsArg, [...path, "options"]) : undefined;
    return new InputCall(table, options);
  };

  const object = (node: TS.ObjectLiteralExpression, path: SettingPath, isRoot: boolean): { [key: string]: Lit } => {
    const out: { [key: string]: Lit } = Object.create(null);
    const order: string[] = [];
    const seen = new Map<string, TS.Node>();
    keyOrder.set(pathKey(path), order);
    for (const prop of node.properties) {
      if (ts.isSpreadAssignment(prop)) {
        openObjects.add(pathKey(path));
        report(prop, `${renderPath(path)} cannot use a spread \`${snippet(ctx, prop)}\``, `${LITERAL_HINT}; write every key in place`);
        continue;
      }
      if (ts.isComputedPropertyName(prop.name)) {
        openObjects.add(pathKey(path));
        report(prop.name, `${renderPath(path)} cannot use a computed key \`${snippet(ctx, prop.name)}\``, `${LITERAL_HINT}; write the key as a plain name or string`);
        continue;
      }
      const key = propertyName(prop.name);
      const first = seen.get(key);
      const childPath = [...path, key];
      if (first) {
        const was = place(ctx, first);
        diagnostics.push(diagnostic("BP0204", `duplicate key \`${key}\` in ${renderPath(path)}`, place(ctx, prop.name), `it is already set at line ${was.line}:${was.column}; keep one`));
        continue;
      }
      seen.set(key, prop.name);
      order.push(key);
      if (isRoot && key === "run") {
        out[key] = runValue(prop);
        locations.set(pathKey(childPath), { node: ts.isPropertyAssignment(prop) ? unwrap(prop.initializer) : prop, keyNode: prop.name });
      } else if (ts.isPropertyAssignment(prop)) {
        out[key] = value(prop.initializer, childPath, prop.name);
      } else {
        locations.set(pathKey(childPath), { node: prop, keyNode: prop.name });
        const what = ts.isShorthandPropertyAssignment(prop)
          ? `the variable \`${key}\` (shorthand property)`
          : ts.isMethodDeclaration(prop) ? "a method" : "an accessor";
        out[key] = nonLiteral(prop, childPath, what);
      }
    }
    return out;
  };

  locations.set(pathKey([]), { node: obj });
  const root = object(obj, [], true);
  return { root, locations, keyOrder, openObjects, diagnostics };
}

/** `run` must be a method, a function expression or an arrow function. */
function runValue(prop: TS.ObjectLiteralElementLike): RunFunction | NotAFunction {
  if (ts.isMethodDeclaration(prop)) return prop.asteriskToken ? new NotAFunction("a generator method") : new RunFunction();
  if (ts.isPropertyAssignment(prop)) {
    const e = unwrap(prop.initializer);
    if (ts.isArrowFunction(e)) return new RunFunction();
    if (ts.isFunctionExpression(e)) return e.asteriskToken ? new NotAFunction("a generator function") : new RunFunction();
    if (ts.isIdentifier(e)) return new NotAFunction(`the variable \`${e.text}\``);
    return new NotAFunction(`\`${e.getText().replace(/\s+/g, " ").slice(0, 40)}\``);
  }
  if (ts.isShorthandPropertyAssignment(prop)) return new NotAFunction("the variable `run` (shorthand property)");
  return new NotAFunction("an accessor");
}

/** The comma that closes an array hole (`[a, , b]`): holes have no token of their own. */
function holeComma(ctx: SourceContext, hole: TS.OmittedExpression): number {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, ctx.text);
  scanner.resetTokenState(hole.pos);
  scanner.scan();
  return scanner.getTokenStart();
}

function propertyName(name: TS.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return String(Number(name.text));
  if (ts.isPrivateIdentifier(name)) return name.text;
  return name.getText();
}

function describeNonLiteral(e: TS.Expression): string {
  if (ts.isIdentifier(e)) return e.text === "undefined" ? "`undefined` (leave the setting out instead)" : `the variable \`${e.text}\``;
  if (ts.isTemplateExpression(e)) return "a template literal with `${...}` substitutions";
  if (ts.isCallExpression(e)) return `a call to \`${e.expression.getText().replace(/\s+/g, " ").slice(0, 40)}(...)\``;
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return "a function";
  if (ts.isSpreadElement(e)) return `a spread \`${e.getText().slice(0, 40)}\``;
  if (ts.isNewExpression(e)) return "a `new` expression";
  const text = e.getText().replace(/\s+/g, " ");
  return `the expression \`${text.length > 40 ? `${text.slice(0, 37)}...` : text}\``;
}

function nonLiteralHint(e: TS.Expression): string {
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "input") {
    return `\`input\` here is not the one of "${SDK_MODULE}": import { model, input } from "${SDK_MODULE}"`;
  }
  return LITERAL_HINT;
}
