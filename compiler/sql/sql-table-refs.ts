/**
 * Finds the real tables a parsed SELECT reads: every BASE_TABLE of DuckDB's AST that is not the
 * name of a CTE in scope at that point. Scoping follows DuckDB's binder:
 * - a CTE is visible in the WITH's main query and in the CTEs defined after it, not before it
 *   and not in its own body (`WITH t AS (SELECT * FROM t)` reads the real `t`);
 * - a recursive CTE (`WITH RECURSIVE r AS (anchor UNION ALL step)`) sees itself in the step only;
 * - a WITH inside a subquery scopes over that subquery only.
 * Names compare case-insensitively, as DuckDB identifiers do.
 * Table functions (`range(3)`, `read_parquet(...)`) are TABLE_FUNCTION nodes, never BASE_TABLE.
 */
import { type Json, type JsonObject, arrayField, isObject, offsetField, stringField } from "./sql-json.js";

export interface TableRefSite {
  /** As written by the user. */
  readonly name: string;
  /** UTF-8 byte offset in the rendered SQL, when DuckDB recorded one. */
  readonly byteOffset: number | undefined;
  /** Schema/catalog qualifier (`main.orders` -> `main`), or "" when the name is plain. */
  readonly qualifier: string;
  /** The AST node itself (identity is used to tell real tables from CTE references). */
  readonly node: JsonObject;
}

type Scope = ReadonlySet<string>;

function withName(scope: Scope, name: string): Scope {
  const next = new Set(scope);
  next.add(name.toLowerCase());
  return next;
}

/** Every reference to a real (non-CTE) table, in AST order, qualified ones included. */
export function collectTableRefSites(statement: Json): TableRefSite[] {
  const sites: TableRefSite[] = [];

  const walk = (value: Json | undefined, scope: Scope): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, scope);
      return;
    }
    if (!isObject(value)) return;

    let inner = scope;
    const skip = new Set<string>(["cte_map"]);
    for (const entry of arrayField(value.cte_map, "map")) {
      const name = stringField(entry, "key");
      if (!isObject(entry) || name === undefined) continue;
      walk(entry.value, inner);
      inner = withName(inner, name);
    }

    const type = stringField(value, "type");
    if (type === "RECURSIVE_CTE_NODE") {
      const self = stringField(value, "cte_name");
      walk(value.left, inner);
      walk(value.right, self === undefined ? inner : withName(inner, self));
      skip.add("left").add("right");
    } else if (type === "BASE_TABLE") {
      const name = stringField(value, "table_name");
      if (name !== undefined && name !== "") {
        const qualifier = [stringField(value, "catalog_name"), stringField(value, "schema_name")].filter((s) => s).join(".");
        if (qualifier !== "" || !inner.has(name.toLowerCase())) {
          sites.push({ name, byteOffset: offsetField(value, "query_location"), qualifier, node: value });
        }
      }
    }
    for (const [key, child] of Object.entries(value)) if (!skip.has(key)) walk(child, inner);
  };

  walk(statement, new Set());
  return sites;
}
