/**
 * Columns of a PIVOT / UNPIVOT FROM item for column lineage, in DuckDB's order.
 *
 * UNPIVOT (`UNPIVOT t ON q1, q2 INTO NAME quarter VALUE sales`): the source columns not unpivoted,
 * each from itself; then the NAME column, from nothing (its values are the unpivoted columns'
 * NAMES, constants, as dbt-utils' `unpivot` writes them: `'q1' AS field_name`); then each VALUE
 * column, from the unpivoted columns at its position in every entry.
 *
 * PIVOT with an `IN` list (`PIVOT t ON year IN (2020, 2021) USING sum(amount) GROUP BY country`):
 * the group columns (GROUP BY, or every source column no pivot expression or aggregate reads),
 * each from itself; then one column per combination of IN values and aggregate, from the
 * aggregate's sources AND the pivot expressions' (a pivoted value is
 * `sum(amount) FILTER (WHERE year = 2020)`: the pivot column chooses rows inside the value, as a
 * CASE condition does). sqlglot's lineage lists the aggregate's columns only.
 * A PIVOT whose values come from the data (no IN list, `IN (SELECT ...)`, an ENUM) is unsupported.
 */
import { type Json, type JsonObject, arrayField, forEachObject, isObject, objectField, stringField } from "./sql-json.js";
import { type Col, EMPTY, type Scope, type Sources, lower, union, unsupported } from "./sql-lineage-model.js";

export interface PivotHooks {
  /** Sources of an expression over the pivot's source. */
  readonly expr: (value: Json, scope: Scope) => Sources;
  /** The columns of a STAR node over the pivot's source (`COLUMNS(...)` entries of UNPIVOT). */
  readonly star: (star: JsonObject, scope: Scope) => Col[];
}

/** `source`: the pivot source's columns (as its `*`); `scope`: a scope whose FROM is the source. */
export function pivotColumns(node: JsonObject, source: readonly Col[], scope: Scope, hooks: PivotHooks): Col[] {
  return arrayField(node, "unpivot_names").length > 0 ? unpivot(node, source, scope, hooks) : pivot(node, source, scope, hooks);
}

function unpivot(node: JsonObject, source: readonly Col[], scope: Scope, hooks: PivotHooks): Col[] {
  const valueNames = strings(arrayField(node, "unpivot_names"));
  const pivots = arrayField(node, "pivots");
  if (pivots.length !== 1) return unsupported();
  const nameCols = strings(arrayField(pivots[0], "unpivot_names"));
  if (nameCols.length !== 1) return unsupported();
  const entries: Col[][] = [];
  for (const entry of arrayField(pivots[0], "entries")) {
    const star = objectField(entry, "star_expr");
    if (star) {
      if (valueNames.length !== 1) return unsupported();
      for (const c of hooks.star(star, scope)) entries.push([c]);
      continue;
    }
    if (entry === null || (isObject(entry) && entry.expr !== undefined && entry.expr !== null)) return unsupported();
    const values = arrayField(entry, "values").map((v) => stringField(v, "value") ?? unsupported());
    entries.push(values.map((name) => one(source, name)));
  }
  if (entries.length === 0 || entries.some((e) => e.length !== valueNames.length || e.some((c) => c.flex))) return unsupported();
  const unpivoted = new Set(entries.flat().map((c) => lower(c.name)));
  return [
    ...source.filter((c) => !unpivoted.has(lower(c.name))),
    { name: nameCols[0]!, from: EMPTY },
    ...valueNames.map((name, i) => ({ name, from: union(...entries.map((e) => e[i]!.from)) })),
  ];
}

function pivot(node: JsonObject, source: readonly Col[], scope: Scope, hooks: PivotHooks): Col[] {
  const aggregates = arrayField(node, "aggregates").filter(isObject);
  const pivots = arrayField(node, "pivots");
  if (aggregates.length === 0 || pivots.length === 0) return unsupported();
  // The names of each pivot's IN entries; their cartesian product names the pivoted columns.
  let combos: string[] = [""];
  let pivotSources: Sources = EMPTY;
  const read = new Set<string>();
  for (const p of pivots) {
    const exprs = arrayField(p, "pivot_expressions");
    const entries = arrayField(p, "entries");
    if (exprs.length === 0 || entries.length === 0 || p === null || (isObject(p) && (isObject(p.subquery) || stringField(p, "pivot_enum")))) return unsupported();
    pivotSources = union(pivotSources, hooks.expr(exprs, scope));
    if (arrayField(node, "groups").length === 0) columnRefs(exprs, read);
    const names = entries.map((e) => {
      if (isObject(e) && (isObject(e.star_expr) || isObject(e.expr))) return unsupported();
      const alias = stringField(e, "alias");
      return alias || arrayField(e, "values").map(valueName).join("_");
    });
    combos = combos.flatMap((prefix) => names.map((n) => (prefix === "" ? n : `${prefix}_${n}`)));
  }
  const groupNames = arrayField(node, "groups");
  if (groupNames.length === 0) columnRefs(aggregates, read);
  const groups = groupNames.length > 0 ? strings(groupNames).map((g) => one(source, g)) : source.filter((c) => !read.has(lower(c.name)));
  if (groups.some((c) => c.flex)) return unsupported();
  const values = aggregates.map((a) => union(hooks.expr(a, scope), pivotSources));
  const out: Col[] = [...groups];
  for (const combo of combos) {
    aggregates.forEach((a, i) => {
      // One aggregate: the combination's name; several: `<combo>_<alias>` (or the aggregate's text, not rebuilt here).
      const alias = stringField(a, "alias");
      const name = aggregates.length === 1 ? combo : alias ? `${combo}_${alias}` : "";
      out.push({ name: combo.includes("\u0000") ? "" : name, from: values[i]! });
    });
  }
  return out;
}

/** The name DuckDB gives a pivot IN value: its text; NULL as "NULL". A value of another type is unnamed here (\u0000 taints the name). */
function valueName(v: Json): string {
  if (!isObject(v)) return "\u0000";
  if (v.is_null === true) return "NULL";
  const type = stringField(objectField(v, "type"), "id") ?? "";
  const value = v.value;
  if (type === "VARCHAR" && typeof value === "string") return value;
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(type) && (typeof value === "number" || typeof value === "string")) return String(value);
  return "\u0000";
}

function one(source: readonly Col[], name: string): Col {
  const hits = source.filter((c) => lower(c.name) === lower(name));
  return hits.length === 1 ? hits[0]! : unsupported();
}

function strings(values: readonly Json[]): string[] {
  return values.map((v) => (typeof v === "string" ? v : unsupported()));
}

/** Lower-cased names of the columns an expression reads; a qualified or field reference (`t.x`, `s.a`) is unsupported. */
function columnRefs(value: Json, into: Set<string>): void {
  forEachObject(value, (node) => {
    if (stringField(node, "class") !== "COLUMN_REF") return;
    const names = arrayField(node, "column_names");
    if (names.length !== 1 || typeof names[0] !== "string") return unsupported();
    into.add(lower(names[0]));
  });
}
