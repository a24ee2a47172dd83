/**
 * A DuckDB binding error turned into a diagnostic with the help of the model's own parse tree
 * (DuckDB's error carries one position and its own wording):
 * - an unknown column is reported at its FIRST use in the text. DuckDB binds FROM, WHERE and
 *   GROUP BY before the select list, so when a name is used in both it stops at the later one.
 *   The other uses are the COLUMN_REFs with the same name in the same SELECT (not in its subqueries,
 *   not a lambda parameter of that name); the FROM clause of that SELECT names the table the column
 *   was looked up in (`"t" (orders)` for an alias) and gives the columns listed in the hint;
 * - a call with no matching overload, or a comparison of incompatible types, gets an example of
 *   the same expression with one argument cast, printed from its own arguments.
 */
import type { Diagnostic } from "../diagnostics.js";
import {
  type BindErrorContext,
  type DuckDbError,
  type KnownColumns,
  type NoMatchingCall,
  bindDiagnostic,
  isUnknownColumn,
  missingColumnQualifier,
  noMatchingCall,
} from "./sql-duckdb-errors.js";
import { type Json, type JsonObject, arrayField, forEachObject, isObject, offsetField, stringField } from "./sql-json.js";
import { type SqlModelText, locateRendered, locateStatementStart } from "./sql-location.js";
import { type ParsedSql, parseModelSql } from "./sql-parse.js";
import type { ScratchContext } from "./sql-scratch.js";
import { TextOffsets } from "./sql-text.js";

/** The diagnostic for `error`, raised by DuckDB while binding `model` (positions are UTF-16 indexes into `model.rendered`). */
export async function bindErrorDiagnostic(ctx: ScratchContext, model: SqlModelText, error: DuckDbError): Promise<Diagnostic> {
  const at = (index: number | undefined) => (index === undefined ? locateStatementStart(model) : locateRendered(model, index));
  const needsTree = error.index !== undefined && (isUnknownColumn(error) || noMatchingCall(error) !== undefined || /^Cannot compare values/.test(error.message));
  const parsed = needsTree ? await parseModelSql(ctx.conn, model) : undefined;
  if (!parsed || parsed.ast === null) return bindDiagnostic(error, at(error.index), ctx.tableNames());

  const offsets = new TextOffsets(model.rendered);
  const indexOf = (node: Json | undefined): number | undefined => {
    const byte = offsetField(node, "query_location");
    return byte === undefined ? undefined : offsets.fromUtf8Byte(byte);
  };

  if (isUnknownColumn(error)) {
    const found = unknownColumnContext(ctx, parsed, error, indexOf);
    return bindDiagnostic(error, at(found?.index ?? error.index), ctx.tableNames(), found?.context);
  }
  const castExample = await castExampleAt(ctx, parsed.ast, error, indexOf);
  return bindDiagnostic(error, at(error.index), ctx.tableNames(), castExample === undefined ? {} : { castExample });
}

// ---- unknown columns -------------------------------------------------------------------------

interface ColumnUse {
  readonly names: readonly string[];
  /** The innermost SELECT_NODE the reference belongs to. */
  readonly scope: JsonObject | undefined;
  readonly index: number | undefined;
  /** Lambda parameters visible at the reference (lower case). */
  readonly lambdaParams: ReadonlySet<string>;
}

function columnUses(ast: JsonObject, indexOf: (node: Json) => number | undefined): ColumnUse[] {
  const uses: ColumnUse[] = [];
  const walk = (value: Json | undefined, scope: JsonObject | undefined, params: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, scope, params);
      return;
    }
    if (!isObject(value)) return;
    const inner = stringField(value, "type") === "SELECT_NODE" ? value : scope;
    const cls = stringField(value, "class");
    if (cls === "COLUMN_REF") {
      const names = arrayField(value, "column_names").filter((n): n is string => typeof n === "string");
      uses.push({ names, scope: inner, index: indexOf(value), lambdaParams: params });
      return;
    }
    if (cls === "LAMBDA") {
      const withParams = new Set(params);
      forEachObject(value.lhs ?? null, (node) => {
        if (stringField(node, "class") !== "COLUMN_REF") return;
        for (const n of arrayField(node, "column_names")) if (typeof n === "string") withParams.add(n.toLowerCase());
      });
      walk(value.expr, inner, withParams);
      return;
    }
    for (const child of Object.values(value)) walk(child, inner, params);
  };
  walk(ast, undefined, new Set());
  return uses;
}

const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((n, i) => n.toLowerCase() === b[i]!.toLowerCase());

/** What a SELECT's FROM clause binds: an alias and, for a real table of the catalog, its name. */
interface FromItem {
  readonly alias: string;
  readonly table?: string;
}

/** The FROM items of a SELECT; a CTE, subquery or table function has no `table`. */
function fromItems(from: Json | undefined, realTables: ReadonlySet<JsonObject>): FromItem[] {
  if (!isObject(from)) return [];
  const type = stringField(from, "type");
  const alias = stringField(from, "alias") ?? "";
  if (type === "EMPTY") return [];
  if (type === "JOIN") return [...fromItems(from.left, realTables), ...fromItems(from.right, realTables)];
  if (type === "BASE_TABLE") {
    const name = stringField(from, "table_name") ?? "";
    return [realTables.has(from) ? { alias: alias || name, table: name } : { alias: alias || name }];
  }
  return [{ alias }];
}

function unknownColumnContext(
  ctx: ScratchContext,
  parsed: ParsedSql,
  error: DuckDbError,
  indexOf: (node: Json) => number | undefined,
): { index: number | undefined; context: BindErrorContext } | undefined {
  const name = error.name;
  if (name === undefined) return undefined;
  const qualifier = missingColumnQualifier(error);
  const written = qualifier === undefined ? [name] : [qualifier, name];
  const uses = columnUses(parsed.ast!, indexOf);
  const target = uses.find((u) => u.index === error.index && sameNames(u.names, written));
  if (!target) return undefined;

  const sameColumn = uses.filter(
    (u) => u.scope === target.scope && sameNames(u.names, written) && !(written.length === 1 && u.lambdaParams.has(name.toLowerCase())),
  );
  const first = Math.min(...sameColumn.map((u) => u.index ?? Number.MAX_SAFE_INTEGER));
  const index = Number.isFinite(first) && first !== Number.MAX_SAFE_INTEGER ? first : error.index;

  const items = fromItems(target.scope?.from_table, new Set(parsed.sites.map((s) => s.node)));
  const known = (item: FromItem): KnownColumns | undefined => {
    const table = item.table === undefined ? undefined : ctx.table(item.table);
    return table ? { table: table.name, columns: table.schema.map((c) => c.name) } : undefined;
  };

  if (qualifier !== undefined) {
    const item = items.find((i) => i.alias.toLowerCase() === qualifier.toLowerCase());
    const table = item ? known(item) : undefined;
    if (!table) return { index, context: { scope: `"${qualifier}"` } };
    const scope = table.table.toLowerCase() === qualifier.toLowerCase() ? `"${table.table}"` : `"${qualifier}" (${table.table})`;
    return { index, context: { scope, tables: [table] } };
  }

  const tables = items.map(known);
  if (items.length === 0 || tables.some((t) => t === undefined)) return { index, context: {} };
  const distinct = [...new Map(tables.map((t) => [t!.table.toLowerCase(), t!] as const)).values()];
  return { index, context: { ...(distinct.length === 1 ? { scope: `"${distinct[0]!.table}"` } : {}), tables: distinct } };
}

// ---- cast examples ---------------------------------------------------------------------------

/** DuckDB's type of an argument as a cast target: literals by their plain type, no parameters. */
function plainType(type: string): string {
  const literal = /^(\w+)_LITERAL$/.exec(type);
  const base = literal ? (literal[1] === "STRING" ? "VARCHAR" : literal[1]!) : type;
  return base.replace(/\(.*\)$/, "");
}

const PREFERRED_TARGETS = ["DOUBLE", "BIGINT", "INTEGER", "VARCHAR", "DATE", "TIMESTAMP", "INTERVAL"];

/** Which argument to cast, and to what, so that one overload matches: one differing argument, a plain target type. */
function castPlan(call: NoMatchingCall): { position: number; type: string } | undefined {
  const args = call.argTypes;
  const plain = args.map(plainType);
  const preferred = [...plain, ...PREFERRED_TARGETS];
  const options: { position: number; type: string; rank: number }[] = [];
  call.candidates.forEach((candidate, order) => {
    if (candidate.argTypes.length !== args.length) return;
    // A literal converts implicitly: it matches any parameter type.
    const differing = candidate.argTypes.flatMap((t, i) => (/_LITERAL$/.test(args[i]!) || plainType(t) === plain[i] ? [] : [i]));
    if (differing.length !== 1) return;
    const position = differing[0]!;
    const type = candidate.argTypes[position]!;
    if (!/^[A-Z][A-Z ]*$/.test(type) || type === "ANY") return;
    const preference = preferred.indexOf(type);
    const rank = (plain[position] === "VARCHAR" ? 0 : 1000) + (preference === -1 ? 100 + order : preference);
    options.push({ position, type, rank });
  });
  options.sort((a, b) => a.rank - b.rank);
  return options[0];
}

const COMPARISONS: Record<string, string> = {
  COMPARE_EQUAL: "=",
  COMPARE_NOTEQUAL: "<>",
  COMPARE_LESSTHAN: "<",
  COMPARE_GREATERTHAN: ">",
  COMPARE_LESSTHANOREQUALTO: "<=",
  COMPARE_GREATERTHANOREQUALTO: ">=",
  COMPARE_DISTINCT_FROM: "IS DISTINCT FROM",
  COMPARE_NOT_DISTINCT_FROM: "IS NOT DISTINCT FROM",
};

function nodeAtIndex(ast: JsonObject, index: number, indexOf: (node: Json) => number | undefined, accept: (node: JsonObject) => boolean): JsonObject | undefined {
  let found: JsonObject | undefined;
  forEachObject(ast, (node) => {
    if (!found && indexOf(node) === index && accept(node)) found = node;
  });
  return found;
}

async function castExampleAt(ctx: ScratchContext, ast: JsonObject, error: DuckDbError, indexOf: (node: Json) => number | undefined): Promise<string | undefined> {
  if (error.index === undefined) return undefined;
  const print = (node: Json | undefined) => (isObject(node) ? ctx.printer.expression([node]) : Promise.resolve(undefined));
  try {
    const call = noMatchingCall(error);
    if (call) {
      const plan = castPlan(call);
      const node = nodeAtIndex(ast, error.index, indexOf, (n) => stringField(n, "class") === "FUNCTION" && stringField(n, "function_name")?.toLowerCase() === call.name.toLowerCase());
      const children = arrayField(node, "children");
      if (!plan || !node || children.length !== call.argTypes.length) return undefined;
      const texts: string[] = [];
      for (const child of children) {
        const text = await print(child);
        if (text === undefined) return undefined;
        texts.push(text);
      }
      texts[plan.position] = `CAST(${texts[plan.position]} AS ${plan.type})`;
      if (/^[A-Za-z_]/.test(call.name)) return `${call.name}(${texts.join(", ")})`;
      return texts.length === 1 ? `${call.name}${texts[0]}` : `${texts[0]} ${call.name} ${texts[1]}`;
    }
    const compare = /^Cannot compare values of type (.+) and type (.+?) - /.exec(error.message);
    if (compare) {
      const node = nodeAtIndex(ast, error.index, indexOf, (n) => stringField(n, "class") === "COMPARISON");
      const op = COMPARISONS[stringField(node, "type") ?? ""];
      const [left, right] = [await print(node?.left), await print(node?.right)];
      if (!op || left === undefined || right === undefined) return undefined;
      const [leftType, rightType] = [compare[1]!, compare[2]!];
      const castRight = rightType === "VARCHAR" && leftType !== "VARCHAR";
      const plainTarget = (t: string) => (/^[A-Z][A-Z ]*$/.test(t) ? t : undefined);
      const target = plainTarget(castRight ? leftType : rightType);
      if (target === undefined) return undefined;
      return castRight ? `${left} ${op} CAST(${right} AS ${target})` : `CAST(${left} AS ${target}) ${op} ${right}`;
    }
  } catch {
    return undefined; // an example is a nicety: never fail the diagnostic for it
  }
  return undefined;
}
