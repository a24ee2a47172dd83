/**
 * Which column NAMES a `COLUMNS(...)` selector or a `* LIKE ...` star keeps, evaluated here as DuckDB
 * does at bind time: a regex is RE2 with a partial match (`COLUMNS('usd|eur')`), `LIKE`/`ILIKE`
 * patterns match whole names, `SIMILAR TO` / `~` are full regex matches, a list names columns
 * (case-insensitively), and a lambda (`COLUMNS(c -> c LIKE 'a%')`) is evaluated over each name
 * for the few string functions below. Anything else — or a regex using RE2 syntax that JavaScript
 * reads differently — is unsupported: the lineage is then null, never a guessed selection.
 */
import { type Json, type JsonObject, arrayField, isObject, objectField, stringField } from "./sql-json.js";
import { unsupported } from "./sql-lineage-model.js";

export type NameTest = (name: string) => boolean;

/** A COLUMNS(...) selector expression (its `expr`): regex string, list of names, or `list_filter(*, lambda)`. */
export function columnsSelector(expr: JsonObject): NameTest {
  const constant = stringConstant(expr);
  if (constant !== undefined) return re2Partial(constant);
  if (stringField(expr, "class") === "FUNCTION") {
    const fn = lower(stringField(expr, "function_name"));
    const args = arrayField(expr, "children").filter(isObject);
    if (fn === "list_value") {
      const names = new Set(args.map((a) => stringConstant(a) ?? unsupported()).map((n) => n.toLowerCase()));
      return (name) => names.has(name.toLowerCase());
    }
    if (fn === "list_filter" && args.length === 2 && stringField(args[1], "class") === "LAMBDA") return lambdaTest(args[1]!);
  }
  return unsupported();
}

/** The name test of a `* LIKE 'p'`-style select item (`~~`, `~~*`, `!~~`, `!~~*`, `regexp_full_match`), or undefined. */
export function starPatternTest(fn: string, pattern: string): NameTest | undefined {
  switch (fn) {
    case "~~":
      return likeTest(pattern, false);
    case "~~*":
      return likeTest(pattern, true);
    case "!~~":
      return negate(likeTest(pattern, false));
    case "!~~*":
      return negate(likeTest(pattern, true));
    case "regexp_full_match":
      return re2Full(pattern);
    default:
      return undefined;
  }
}

const negate =
  (test: NameTest): NameTest =>
  (name) =>
    !test(name);

function lower(s: string | undefined): string {
  return (s ?? "").toLowerCase();
}

/** A VARCHAR constant's text. */
export function stringConstant(node: Json | undefined): string | undefined {
  if (stringField(node, "class") !== "CONSTANT") return undefined;
  const value = objectField(node, "value");
  if (value?.is_null === true || stringField(objectField(value, "type"), "id") !== "VARCHAR") return undefined;
  return stringField(value, "value");
}

/** An RE2 pattern as a JavaScript RegExp, or unsupported where the two read it differently. */
function re2(pattern: string, anchored: boolean): RegExp {
  let flags = "";
  let body = pattern;
  const inline = /^\(\?([is]+)\)/.exec(body);
  if (inline) {
    flags = [...new Set(inline[1]!)].join("");
    body = body.slice(inline[0].length);
  }
  // RE2-only (or differently read) syntax: flag groups, named groups `(?P<`, POSIX classes,
  // \p{..} classes, \C \Q \E \z \A; JavaScript-only lookarounds and backreferences.
  if (/\(\?(?!:)/.test(body) || /\[:/.test(body) || /\\[pPCQEzAZ1-9k]/.test(body)) return unsupported();
  try {
    return new RegExp(anchored ? `^(?:${body})$` : body, `${flags}u`);
  } catch {
    return unsupported();
  }
}

function re2Partial(pattern: string): NameTest {
  const re = re2(pattern, false);
  return (name) => re.test(name);
}

function re2Full(pattern: string): NameTest {
  const re = re2(pattern, true);
  return (name) => re.test(name);
}

/** LIKE / ILIKE: `%` any run, `_` one character, everything else literal (backslash too, unless it is the ESCAPE character). */
function likeTest(pattern: string, caseInsensitive: boolean, escape?: string): NameTest {
  if (escape !== undefined && [...escape].length !== 1) return unsupported();
  const chars = [...pattern];
  let body = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === escape) {
      const next = chars[++i];
      if (next === undefined) return unsupported();
      body += literal(next);
    } else body += ch === "%" ? "[\\s\\S]*" : ch === "_" ? "[\\s\\S]" : literal(ch);
  }
  const re = new RegExp(`^${body}$`, caseInsensitive ? "iu" : "u");
  return (name) => re.test(name);
}

const literal = (ch: string): string => ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

type Value = string | boolean | null;

/** A one-parameter lambda over a column name, for the functions `evaluate` knows. */
function lambdaTest(lambda: JsonObject): NameTest {
  const params = arrayField(objectField(lambda, "lhs"), "column_names");
  if (params.length !== 1 || typeof params[0] !== "string") return unsupported();
  const param = params[0].toLowerCase();
  const body = objectField(lambda, "expr") ?? unsupported();
  // A node the evaluator does not know throws (unsupported) on the first name, whatever it is.
  return (name) => evaluate(body, param, name) === true;
}

function evaluate(node: JsonObject, param: string, name: string): Value {
  const cls = stringField(node, "class");
  const type = stringField(node, "type");
  const args = arrayField(node, "children").filter(isObject);
  const arg = (i: number): Value => evaluate(args[i] ?? unsupported(), param, name);
  const text = (i: number): string | null => {
    const v = arg(i);
    return v === null ? null : typeof v === "string" ? v : unsupported();
  };
  switch (cls) {
    case "CONSTANT": {
      const value = objectField(node, "value");
      if (value?.is_null === true) return null;
      const s = stringConstant(node);
      if (s !== undefined) return s;
      return typeof value?.value === "boolean" ? value.value : unsupported();
    }
    case "COLUMN_REF": {
      const names = arrayField(node, "column_names");
      return names.length === 1 && lower(names[0] as string) === param ? name : unsupported();
    }
    case "COMPARISON": {
      const l = evaluate(objectField(node, "left") ?? unsupported(), param, name);
      const r = evaluate(objectField(node, "right") ?? unsupported(), param, name);
      if (l === null || r === null) return null;
      if (typeof l !== "string" || typeof r !== "string") return unsupported();
      if (type === "COMPARE_EQUAL") return l === r;
      if (type === "COMPARE_NOTEQUAL") return l !== r;
      return unsupported();
    }
    case "CONJUNCTION": {
      const values = args.map((a) => evaluate(a, param, name));
      if (type === "CONJUNCTION_AND") return values.includes(false) ? false : values.includes(null) ? null : true;
      if (type === "CONJUNCTION_OR") return values.includes(true) ? true : values.includes(null) ? null : false;
      return unsupported();
    }
    case "OPERATOR": {
      if (type === "OPERATOR_NOT") {
        const v = arg(0);
        return v === null ? null : typeof v === "boolean" ? !v : unsupported();
      }
      if (type === "COMPARE_IN" || type === "COMPARE_NOT_IN") {
        const v = text(0);
        const list = args.slice(1).map((_, i) => text(i + 1));
        if (v === null) return null;
        const found = list.includes(v);
        const result = found ? true : list.includes(null) ? null : false;
        return type === "COMPARE_IN" ? result : result === null ? null : !result;
      }
      if (type === "OPERATOR_IS_NULL") return arg(0) === null;
      if (type === "OPERATOR_IS_NOT_NULL") return arg(0) !== null;
      return unsupported();
    }
    case "FUNCTION": {
      const fn = lower(stringField(node, "function_name"));
      const values = args.map((_, i) => text(i));
      if (values.includes(null)) return null;
      const [a, b] = values as string[];
      const pattern = (i: number): string => (args[i] && stringConstant(args[i]) !== undefined ? values[i]! : unsupported());
      switch (fn) {
        case "lower":
        case "lcase":
          return args.length === 1 ? a!.toLowerCase() : unsupported();
        case "upper":
        case "ucase":
          return args.length === 1 ? a!.toUpperCase() : unsupported();
        case "starts_with":
        case "prefix":
        case "^@":
          return args.length === 2 ? a!.startsWith(b!) : unsupported();
        case "ends_with":
        case "suffix":
          return args.length === 2 ? a!.endsWith(b!) : unsupported();
        case "contains":
          return args.length === 2 ? a!.includes(b!) : unsupported();
        case "regexp_matches":
          return args.length === 2 ? re2Partial(pattern(1))(a!) : unsupported();
        case "||":
        case "concat":
          return values.join("");
        case "like_escape":
        case "not_like_escape":
        case "ilike_escape":
        case "not_ilike_escape": {
          if (args.length !== 3) return unsupported();
          const match = likeTest(pattern(1), fn.includes("ilike"), pattern(2))(a!);
          return fn.startsWith("not_") ? !match : match;
        }
        default: {
          const test = args.length === 2 ? starPatternTest(fn, pattern(1)) : undefined;
          return test ? test(a!) : unsupported();
        }
      }
    }
    default:
      return unsupported();
  }
}
