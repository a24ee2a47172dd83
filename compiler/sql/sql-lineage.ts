/**
 * Column-level lineage of one SELECT, from DuckDB's parse tree (`json_serialize_sql`) and the
 * schemas of the tables it reads: for each output column, the input columns its VALUE is computed
 * from. One walk over the tree, with scopes (CTEs in order, FROM bindings, outer queries for
 * correlated subqueries), linear in its size.
 *
 * What counts as a source of a value:
 * - every column reference inside the select expression (functions, CASE, casts, aggregates:
 *   `sum(x)` is x, `count(*)` is nothing);
 * - window functions: the function's arguments only, not PARTITION BY / ORDER BY (as dbt and
 *   SQLMesh do: those choose and order rows, they are not copied into the value);
 * - WHERE, GROUP BY, HAVING, QUALIFY, JOIN ON: not counted (they filter rows);
 * - scalar and IN subqueries: the subquery's output column; EXISTS: nothing;
 * - `*` expands over the FROM bindings with EXCLUDE and REPLACE; a USING/NATURAL column once,
 *   from both sides; set operations column by column over every branch (BY NAME by name).
 * Output columns are named by the bound schema, position by position.
 * Anything it cannot follow exactly (PIVOT, COLUMNS(...), a `*` over a table function, an input
 * of unknown schema) makes the whole result null, never a wrong list.
 */
import { compareText } from "../diagnostics.js";
import type { ColumnLineage, ColumnSchema } from "../plan-types.js";
import { type Json, type JsonObject, arrayField, isObject, objectField, stringField } from "./sql-json.js";

/** A table the query reads: canonical name and columns, or undefined when its schema is unknown. */
export type InputLookup = (name: string) => { readonly table: string; readonly columns: readonly string[] } | undefined;

/** Sources of one column, as `table\u0000column` keys. */
type Sources = ReadonlySet<string>;
interface Col {
  readonly name: string;
  readonly from: Sources;
}
/** One FROM item: its alias and columns; `opaque` when its columns are not known (table functions). */
interface Binding {
  readonly alias: string;
  readonly cols: readonly Col[];
  readonly opaque: boolean;
}
/** A FROM clause: bindings, and the USING columns merged across a join. */
interface FromEnv {
  readonly bindings: Binding[];
  /** Lower-cased USING column -> merged sources (shown once by `*`). */
  readonly using: Map<string, Sources>;
}
interface Scope {
  readonly ctes: ReadonlyMap<string, readonly Col[]>;
  readonly from: FromEnv | null;
  readonly outer: Scope | null;
}

class Unsupported extends Error {}

const EMPTY: Sources = new Set();

/** Lineage of each column of `schema` (the bound output), or null when it cannot be computed. */
export function columnLineage(ast: JsonObject, schema: readonly ColumnSchema[], lookup: InputLookup): ColumnLineage[] | null {
  try {
    const cols = new LineageWalk(lookup).query(ast, { ctes: new Map(), from: null, outer: null });
    if (cols.length !== schema.length) return null;
    return schema.map((c, i) => ({ column: c.name, from: toRefs(cols[i]!.from) }));
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

function toRefs(sources: Sources): ColumnLineage["from"] {
  return [...sources]
    .map((key) => {
      const at = key.indexOf("\u0000");
      return { table: key.slice(0, at), column: key.slice(at + 1) };
    })
    .sort((a, b) => compareText(a.table, b.table) || compareText(a.column, b.column));
}

function union(...sets: Sources[]): Sources {
  const nonEmpty = sets.filter((s) => s.size > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const out = new Set<string>();
  for (const s of nonEmpty) for (const k of s) out.add(k);
  return out;
}

const lower = (s: string) => s.toLowerCase();

class LineageWalk {
  constructor(private readonly lookup: InputLookup) {}

  /** Output columns of a query node (SELECT_NODE, SET_OPERATION_NODE, RECURSIVE_CTE_NODE, CTE_NODE). */
  query(node: JsonObject, parent: Scope): Col[] {
    const scope = this.withCtes(node, parent);
    const type = stringField(node, "type");
    switch (type) {
      case "SELECT_NODE":
        return this.select(node, scope);
      case "SET_OPERATION_NODE": {
        const branches = arrayField(node, "children").filter(isObject);
        const parts = branches.length > 0 ? branches : [objectField(node, "left"), objectField(node, "right")].filter((n): n is JsonObject => n !== undefined);
        const results = parts.map((p) => this.query(p, scope));
        const byName = /BY_NAME/.test(stringField(node, "setop_type") ?? "");
        return results.reduce((acc, next) => combine(acc, next, byName));
      }
      case "RECURSIVE_CTE_NODE": {
        const name = lower(stringField(node, "cte_name") ?? "");
        const anchor = this.query(objectField(node, "left") ?? unsupported(), scope);
        let cols = anchor;
        // The step reads the CTE itself: repeat until its sources stop growing (bounded).
        for (let i = 0; i < 8; i++) {
          const step = this.query(objectField(node, "right") ?? unsupported(), { ...scope, ctes: new Map([...scope.ctes, [name, cols]]) });
          const next = combine(anchor, step, false);
          if (next.every((c, k) => c.from.size === cols[k]!.from.size)) return next;
          cols = next;
        }
        return cols;
      }
      default:
        return unsupported();
    }
  }

  /** The scope with the node's CTEs added, each seeing the ones before it. */
  private withCtes(node: JsonObject, parent: Scope): Scope {
    const entries = arrayField(node.cte_map, "map");
    if (entries.length === 0) return parent;
    const ctes = new Map(parent.ctes);
    for (const entry of entries) {
      const name = stringField(entry, "key");
      const value = objectField(entry, "value");
      const q = objectField(objectField(value, "query"), "node");
      if (name === undefined || q === undefined) return unsupported();
      const cols = this.query(q, { ctes, from: null, outer: parent.outer });
      ctes.set(lower(name), renamed(cols, arrayField(value, "aliases")));
    }
    return { ...parent, ctes };
  }

  private select(node: JsonObject, scope: Scope): Col[] {
    const from: FromEnv = { bindings: [], using: new Map() };
    this.fromItem(node.from_table, scope, from);
    const here: Scope = { ctes: scope.ctes, from, outer: scope.outer };
    const out: Col[] = [];
    for (const item of arrayField(node, "select_list")) {
      if (!isObject(item)) continue;
      if (stringField(item, "type") === "STAR") {
        out.push(...this.star(item, here));
        continue;
      }
      // DuckDB lets a select item use an earlier item's alias when no column has that name.
      out.push({ name: outputName(item), from: this.expr(item, here, out) });
    }
    return out;
  }

  private star(item: JsonObject, scope: Scope): Col[] {
    if (item.columns === true || isObject(item.expr)) return unsupported(); // COLUMNS(...)
    const from = scope.from!;
    const relation = stringField(item, "relation_name");
    const excluded = new Set(arrayField(item, "exclude_list").map((e) => lower(typeof e === "string" ? e : (arrayField(e, "column_names").at(-1) as string | undefined) ?? "")));
    const replaced = new Map<string, JsonObject>();
    for (const r of arrayField(item, "replace_list")) {
      const key = stringField(r, "key");
      const value = objectField(r, "value");
      if (key !== undefined && value !== undefined) replaced.set(lower(key), value);
    }
    const bindings = relation ? from.bindings.filter((b) => lower(b.alias) === lower(relation)) : from.bindings;
    if (relation && bindings.length === 0) return unsupported();
    const out: Col[] = [];
    const shownUsing = new Set<string>();
    for (const b of bindings) {
      if (b.opaque) return unsupported();
      for (const c of b.cols) {
        const key = lower(c.name);
        if (excluded.has(key)) continue;
        let sources = c.from;
        if (!relation && from.using.has(key)) {
          if (shownUsing.has(key)) continue;
          shownUsing.add(key);
          sources = from.using.get(key)!;
        }
        const replacement = replaced.get(key);
        out.push({ name: c.name, from: replacement ? this.expr(replacement, scope, []) : sources });
      }
    }
    return out;
  }

  /** Adds a FROM item's bindings to `env`. */
  private fromItem(value: Json | undefined, scope: Scope, env: FromEnv): void {
    if (!isObject(value)) return;
    const type = stringField(value, "type");
    const alias = stringField(value, "alias") ?? "";
    const aliases = arrayField(value, "column_name_alias");
    switch (type) {
      case "EMPTY":
        return;
      case "BASE_TABLE": {
        const name = stringField(value, "table_name") ?? "";
        const cte = scope.ctes.get(lower(name));
        let cols: readonly Col[];
        if (cte && !stringField(value, "schema_name")) cols = cte;
        else {
          const input = this.lookup(name) ?? unsupported();
          cols = input.columns.map((c) => ({ name: c, from: new Set([`${input.table}\u0000${c}`]) }));
        }
        env.bindings.push({ alias: alias || name, cols: renamed(cols, aliases), opaque: false });
        return;
      }
      case "SUBQUERY": {
        const q = objectField(objectField(value, "subquery"), "node") ?? unsupported();
        // A subquery in FROM sees the CTEs, not the bindings beside it (LATERAL is not followed).
        const cols = this.query(q, { ctes: scope.ctes, from: null, outer: scope.outer });
        env.bindings.push({ alias, cols: renamed(cols, aliases), opaque: false });
        return;
      }
      case "JOIN": {
        this.fromItem(value.left, scope, env);
        const split = env.bindings.length;
        this.fromItem(value.right, scope, env);
        const usingCols = arrayField(value, "using_columns").filter((c): c is string => typeof c === "string");
        const natural = stringField(value, "ref_type") === "NATURAL";
        const left = env.bindings.slice(0, split);
        const right = env.bindings.slice(split);
        const names = natural ? right.flatMap((b) => b.cols.map((c) => c.name)).filter((n) => left.some((b) => b.cols.some((c) => lower(c.name) === lower(n)))) : usingCols;
        for (const n of names) {
          const key = lower(n);
          const sides = [left, right].map((side) => env.using.get(key) ?? union(...side.flatMap((b) => b.cols.filter((c) => lower(c.name) === key).map((c) => c.from))));
          env.using.set(key, union(...sides));
        }
        return;
      }
      default:
        // Table functions, VALUES lists, PIVOT...: columns not followed; a `*` over them is unsupported.
        env.bindings.push({ alias, cols: [], opaque: true });
    }
  }

  /** Sources of an expression's value. `earlier`: the select items before it (alias references). */
  private expr(value: Json | undefined, scope: Scope, earlier: readonly Col[]): Sources {
    if (Array.isArray(value)) return union(...value.map((v) => this.expr(v, scope, earlier)));
    if (!isObject(value)) return EMPTY;
    const cls = stringField(value, "class");
    switch (cls) {
      case "COLUMN_REF":
        return this.column(arrayField(value, "column_names").filter((n): n is string => typeof n === "string"), scope, earlier);
      case "WINDOW":
        // Value sources only: the function's arguments (and FILTER), not PARTITION BY / ORDER BY.
        return union(this.expr(value.children, scope, earlier), this.expr(value.filter_expr, scope, earlier), this.expr(value.default_expr, scope, earlier), this.expr(value.offset_expr, scope, earlier));
      case "SUBQUERY": {
        if (stringField(value, "subquery_type") === "EXISTS" || stringField(value, "subquery_type") === "NOT_EXISTS") return EMPTY;
        const q = objectField(objectField(value, "subquery"), "node") ?? unsupported();
        const cols = this.query(q, { ctes: scope.ctes, from: null, outer: scope });
        return union(cols[0]?.from ?? EMPTY, this.expr(value.child, scope, earlier));
      }
      case "STAR":
        return EMPTY; // count(*)
      default: {
        const parts: Sources[] = [];
        for (const [key, child] of Object.entries(value)) {
          if (key === "query_location" || key === "alias" || key === "type" || key === "class") continue;
          if (typeof child === "object" && child !== null) parts.push(this.expr(child, scope, earlier));
        }
        return union(...parts);
      }
    }
  }

  /** Sources of a column reference (`c`, `t.c`, `c.field`, `t.c.field`), searching outward. */
  private column(names: readonly string[], scope: Scope, earlier: readonly Col[]): Sources {
    for (let s: Scope | null = scope; s !== null; s = s.outer) {
      const from = s.from;
      if (!from) continue;
      if (names.length >= 2) {
        const b = from.bindings.find((x) => lower(x.alias) === lower(names[0]!));
        if (b) {
          if (b.opaque) return EMPTY;
          const c = b.cols.find((x) => lower(x.name) === lower(names[1]!));
          if (c) return c.from;
        }
      }
      const key = lower(names[0]!);
      const using = from.using.get(key);
      if (using) return using;
      const found = from.bindings.flatMap((b) => b.cols.filter((c) => lower(c.name) === key));
      if (found.length > 0) return union(...found.map((c) => c.from));
      if (s === scope) {
        const alias = earlier.find((c) => lower(c.name) === key);
        if (alias) return alias.from;
      }
    }
    return EMPTY; // a lambda parameter, a table function's column...
  }
}

/** The name DuckDB gives a select item, where it matters for lineage: its alias, or a column's name. */
function outputName(item: JsonObject): string {
  const alias = stringField(item, "alias");
  if (alias) return alias;
  if (stringField(item, "class") === "COLUMN_REF") {
    const names = arrayField(item, "column_names");
    const last = names[names.length - 1];
    return typeof last === "string" ? last : "";
  }
  return "";
}

function unsupported(): never {
  throw new Unsupported();
}

/** Columns renamed by a column alias list (`t AS x(a, b)`, `WITH c(a, b) AS`), the rest unchanged. */
function renamed(cols: readonly Col[], aliases: readonly Json[]): readonly Col[] {
  if (aliases.length === 0) return cols;
  return cols.map((c, i) => (typeof aliases[i] === "string" ? { name: aliases[i] as string, from: c.from } : c));
}

/** Two branches of a set operation merged column by column (or by name for BY NAME). */
function combine(left: readonly Col[], right: readonly Col[], byName: boolean): Col[] {
  if (!byName) {
    if (left.length !== right.length) return unsupported();
    return left.map((c, i) => ({ name: c.name, from: union(c.from, right[i]!.from) }));
  }
  const out = left.map((c) => ({ name: c.name, from: union(c.from, right.find((r) => lower(r.name) === lower(c.name))?.from ?? EMPTY) }));
  for (const r of right) if (!left.some((c) => lower(c.name) === lower(r.name))) out.push(r);
  return out;
}
