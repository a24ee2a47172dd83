/**
 * Finds the WHERE conjuncts of a model that can be evaluated inside a source's scan.
 *
 * A conjunct (the WHERE split on top-level AND) of some SELECT is pushed into source table T when:
 * - T is referenced exactly once in the whole query, directly in that SELECT's FROM (not through a
 *   subquery, CTE, PIVOT or table function), with no TABLESAMPLE, and the SELECT has no USING SAMPLE;
 * - T is on a preserved side of every join above it: not the nullable side of LEFT/RIGHT, not in a
 *   FULL or POSITIONAL join, not the right side of an ASOF join (pre-filtering would change the match);
 * - every column the conjunct reads resolves to T (lambda parameters are not columns), and it reads
 *   at least one;
 * - it has no subquery, window, aggregate, `*`/COLUMNS(), prepared parameter, or VOLATILE function
 *   (random(), uuid(), nextval()...). Functions DuckDB marks CONSISTENT_WITHIN_QUERY (now(),
 *   current_date) are allowed: the model keeps its WHERE, so pushing only pre-filters by the same
 *   predicate, evaluated at scan time.
 * Pushed conjuncts are rewritten over T's plain column names (qualifiers dropped).
 */
import { type Json, type JsonObject, arrayField, forEachObject, isObject, objectField, stringField } from "./sql-json.js";
import type { TableRefSite } from "./sql-table-refs.js";

export interface PushdownTable {
  /** Name as registered in the catalog. */
  readonly name: string;
  readonly columns: readonly string[];
}

export interface PushdownInput {
  readonly ast: Json;
  /** Plain-name references to real tables (from parseModelSql). */
  readonly sites: readonly TableRefSite[];
  /** Looks a table up by lower-cased name. */
  readonly table: (lowerName: string) => PushdownTable | undefined;
  /** Lower-cased names of the tables that are sources. */
  readonly sources: ReadonlySet<string>;
  readonly isVolatile: (functionName: string) => boolean;
  readonly isAggregate: (functionName: string) => boolean;
}

interface FromEntry {
  /** Lower-cased name the entry is qualified by. */
  readonly alias: string;
  /** Set for a real table known to the catalog; undefined for subqueries, CTEs, table functions. */
  readonly table: PushdownTable | undefined;
  readonly pushable: boolean;
}

const REJECTED_CLASSES = new Set(["SUBQUERY", "WINDOW", "STAR", "PARAMETER", "DEFAULT"]);

function collectFrom(ref: Json | undefined, pushable: boolean, input: PushdownInput, real: ReadonlySet<JsonObject>, out: FromEntry[]): void {
  if (!isObject(ref)) return;
  const type = stringField(ref, "type");
  if (type === "JOIN") {
    const joinType = stringField(ref, "join_type");
    const refType = stringField(ref, "ref_type");
    let left = joinType === "INNER" || joinType === "LEFT" || joinType === "SEMI" || joinType === "ANTI";
    let right = joinType === "INNER" || joinType === "RIGHT";
    if (refType === "POSITIONAL") left = right = false;
    if (refType === "ASOF") right = false;
    collectFrom(ref.left, pushable && left, input, real, out);
    collectFrom(ref.right, pushable && right, input, real, out);
    return;
  }
  const tableName = stringField(ref, "table_name");
  const alias = (stringField(ref, "alias") || (type === "BASE_TABLE" ? tableName : "") || "").toLowerCase();
  const table = type === "BASE_TABLE" && real.has(ref) && tableName ? input.table(tableName.toLowerCase()) : undefined;
  out.push({ alias, table, pushable: pushable && ref.sample === null });
}

function hasColumn(table: PushdownTable, name: string): boolean {
  return table.columns.some((c) => c.toLowerCase() === name);
}

/** The FROM entry a column reference binds to, or undefined when it is not exactly one entry. */
function resolveColumn(names: readonly string[], entries: readonly FromEntry[]): FromEntry | undefined {
  const lower = names.map((n) => n.toLowerCase());
  if (lower.length >= 2) {
    const qualified = entries.filter((e) => e.alias === lower[0]);
    if (qualified.length === 1) {
      const e = qualified[0]!;
      return e.table === undefined || hasColumn(e.table, lower[1]!) ? e : undefined;
    }
  }
  const owners = entries.filter((e) => e.table !== undefined && hasColumn(e.table, lower[0]!));
  return owners.length === 1 ? owners[0] : undefined;
}

function flattenAnd(expr: Json | undefined, out: JsonObject[]): JsonObject[] {
  if (isObject(expr) && stringField(expr, "type") === "CONJUNCTION_AND") {
    for (const child of arrayField(expr, "children")) flattenAnd(child, out);
  } else if (isObject(expr)) out.push(expr);
  return out;
}

function lambdaParameters(lhs: Json | undefined): string[] {
  const names: string[] = [];
  forEachObject(lhs ?? null, (node) => {
    if (stringField(node, "class") === "COLUMN_REF") {
      const first = arrayField(node, "column_names")[0];
      if (typeof first === "string") names.push(first.toLowerCase());
    }
  });
  return names;
}

/**
 * If `conjunct` only reads one pushable source entry, returns that entry and a copy of the
 * conjunct rewritten over plain column names.
 */
function analyzeConjunct(conjunct: JsonObject, entries: readonly FromEntry[], input: PushdownInput): { entry: FromEntry; expr: JsonObject } | undefined {
  const copy = structuredClone(conjunct);
  let target: FromEntry | undefined;
  let ok = true;
  const qualifiedRefs: JsonObject[] = [];

  const visit = (value: Json | undefined, params: ReadonlySet<string>): void => {
    if (!ok) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, params);
      return;
    }
    if (!isObject(value)) return;
    const cls = stringField(value, "class");
    if (cls !== undefined && REJECTED_CLASSES.has(cls)) {
      ok = false;
      return;
    }
    if (cls === "FUNCTION") {
      const name = (stringField(value, "function_name") ?? "").toLowerCase();
      if (input.isVolatile(name) || input.isAggregate(name)) {
        ok = false;
        return;
      }
    }
    if (cls === "LAMBDA") {
      visit(value.expr, new Set([...params, ...lambdaParameters(value.lhs)]));
      return;
    }
    if (cls === "COLUMN_REF") {
      const names = arrayField(value, "column_names").filter((n): n is string => typeof n === "string");
      if (names.length === 0 || params.has(names[0]!.toLowerCase())) return;
      const entry = resolveColumn(names, entries);
      if (entry === undefined || (target !== undefined && target !== entry)) {
        ok = false;
        return;
      }
      target = entry;
      if (names.length >= 2 && names[0]!.toLowerCase() === entry.alias) qualifiedRefs.push(value);
      return;
    }
    for (const child of Object.values(value)) visit(child, params);
  };
  visit(copy, new Set());

  if (!ok || target === undefined || !target.pushable || target.table === undefined) return undefined;
  for (const ref of qualifiedRefs) ref.column_names = arrayField(ref, "column_names").slice(1);
  return { entry: target, expr: copy };
}

/** Catalog table name -> the conjuncts (rewritten over plain column names) that can be pushed into its scan. */
export function findPushdownConjuncts(input: PushdownInput): Map<string, JsonObject[]> {
  const real = new Set(input.sites.map((s) => s.node));
  const siteCount = new Map<string, number>();
  for (const s of input.sites) siteCount.set(s.name.toLowerCase(), (siteCount.get(s.name.toLowerCase()) ?? 0) + 1);

  const pushed = new Map<string, JsonObject[]>();
  forEachObject(input.ast, (node) => {
    if (stringField(node, "type") !== "SELECT_NODE" || !isObject(node.where_clause)) return;
    if (node.sample !== null && node.sample !== undefined) return;
    const entries: FromEntry[] = [];
    collectFrom(objectField(node, "from_table"), true, input, real, entries);
    for (const conjunct of flattenAnd(node.where_clause, [])) {
      const found = analyzeConjunct(conjunct, entries, input);
      if (!found) continue;
      const table = found.entry.table!;
      const key = table.name.toLowerCase();
      if (!input.sources.has(key) || siteCount.get(key) !== 1) continue;
      pushed.set(table.name, [...(pushed.get(table.name) ?? []), found.expr]);
    }
  });
  return pushed;
}
