/**
 * Which columns of each table a query reads, taken from DuckDB's bound but unoptimized logical
 * plan (`json_serialize_plan`): every LOGICAL_GET of a table lists the column indexes the binder
 * bound. That is exactly the set of columns the query's text needs to bind again at run time
 * (`SELECT *` binds all, `* EXCLUDE (b)` all but b, `count(*)` none), with DuckDB's own rules for
 * aliases, USING, lambdas, struct access, correlated subqueries... The optimized plan would be
 * smaller but wrong for this purpose: it drops columns that are bound yet unused, so the query
 * would no longer bind against a scan narrowed to those columns.
 */
import type { ColumnSchema } from "../plan-types.js";
import { type Json, arrayField, forEachObject, objectField, offsetField, stringField } from "./sql-json.js";

/** Lower-cased table name -> indexes of the columns bound, from a `json_serialize_plan` result. */
export function boundColumnIndexes(plan: Json): Map<string, Set<number>> {
  const used = new Map<string, Set<number>>();
  forEachObject(plan, (node) => {
    if (stringField(node, "type") !== "LOGICAL_GET") return;
    const table = stringField(objectField(node, "function_data"), "table");
    if (table === undefined) return;
    const key = table.toLowerCase();
    const indexes = used.get(key) ?? new Set<number>();
    used.set(key, indexes);
    for (const column of arrayField(node, "column_indexes")) {
      const index = offsetField(column, "index");
      if (index !== undefined) indexes.add(index);
    }
  });
  return used;
}

/** The columns of `schema` whose index is in `indexes`, in schema order. */
export function columnsAt(schema: readonly ColumnSchema[], indexes: ReadonlySet<number> | undefined): string[] {
  return schema.filter((_, i) => indexes?.has(i)).map((c) => c.name);
}
