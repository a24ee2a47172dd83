/**
 * Column-level lineage of one SELECT, from DuckDB's parse tree (`json_serialize_sql`) and the
 * schemas of the tables it reads: for each output column, the input columns its VALUE is computed
 * from. One walk over the tree, with scopes (CTEs in order, FROM bindings, LATERAL / correlated
 * outer queries, select-list aliases), linear in its size.
 *
 * What counts as a source of a value:
 * - every column reference inside the select expression (functions, CASE and its conditions,
 *   casts, aggregates and their FILTER: `sum(x)` is x, `count(*)` is nothing);
 * - window functions: the function's arguments (and FILTER) only, not PARTITION BY / ORDER BY (as
 *   dbt and SQLMesh do: those choose and order rows, they are not copied into the value); the same
 *   for an aggregate's ORDER BY (`list(x ORDER BY y)` is x);
 * - WHERE, GROUP BY, HAVING, QUALIFY, JOIN ON, ORDER BY: not counted (they filter or order rows);
 * - scalar and IN subqueries: the subquery's output column; EXISTS: nothing;
 * - `*` / `COLUMNS(...)` expand over the FROM bindings (sql-lineage-star.ts); a USING/NATURAL
 *   column once, from both sides (from the left one for a LEFT join and an ASOF join's inequality
 *   column, the right one for a RIGHT join); a SEMI / ANTI join's right side only filters;
 * - set operations column by column: UNION over every branch (BY NAME by name), INTERSECT over
 *   both sides (the value is in both, as a USING column), EXCEPT the left side only (the right
 *   one only removes rows, as NOT EXISTS does);
 * - LATERAL: a FROM subquery, table function or VALUES list sees the FROM items before it;
 *   `unnest(l)` / `range(n)` in FROM come from their arguments; a select item may use an earlier
 *   item's alias (`a + 1 AS b, b * 2 AS c`), and so may a subquery in a later item;
 * - `#n` is the n-th column of the FROM clause (every binding's columns, USING ones not merged);
 * - PIVOT / UNPIVOT: sql-lineage-pivot.ts.
 * Output columns are named by the bound schema, position by position, after checking that every
 * name the walk knows is the bound one (and filling a select-list `unnest` of a STRUCT, whose
 * width only the bound schema knows).
 * Anything it cannot follow exactly makes the whole result null, never a wrong list: a column
 * reference it cannot resolve, an input of unknown schema, a `*` over a table function whose
 * columns are unknown (`read_parquet`), a COLUMNS selector it cannot evaluate.
 */
import { compareText } from "../diagnostics.js";
import type { ColumnLineage, ColumnSchema } from "../plan-types.js";
import { type Json, type JsonObject, arrayField, isObject, objectField, stringField } from "./sql-json.js";
import {
  type Binding,
  type Col,
  EMPTY,
  type FromEnv,
  type Scope,
  type Sources,
  Unsupported,
  lower,
  renamed,
  sourceKey,
  union,
  unsupported,
} from "./sql-lineage-model.js";
import { starPatternTest, stringConstant } from "./sql-lineage-names.js";
import { pivotColumns } from "./sql-lineage-pivot.js";
import { type StarHooks, expandStar } from "./sql-lineage-star.js";

/** A table the query reads: canonical name and columns, or undefined when its schema is unknown. */
export type InputLookup = (name: string) => { readonly table: string; readonly columns: readonly string[] } | undefined;

/** Lineage of each column of `schema` (the bound output), or null when it cannot be computed. */
export function columnLineage(ast: JsonObject, schema: readonly ColumnSchema[], lookup: InputLookup): ColumnLineage[] | null {
  try {
    const cols = fitToSchema(new LineageWalk(lookup).query(ast, { ctes: new Map(), from: null, outer: null, aliases: null }), schema);
    return cols && schema.map((c, i) => ({ column: c.name, from: toRefs(cols[i]!.from) }));
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

/**
 * The walk's columns laid over the bound schema: a flex column (may be several) takes the width the
 * schema leaves for it (one flex column at most, unless all of them are one wide); every name the
 * walk knows must be the bound name. Null when they do not fit.
 */
function fitToSchema(cols: readonly Col[], schema: readonly ColumnSchema[]): Col[] | null {
  const flex = cols.filter((c) => c.flex).length;
  const extra = schema.length - cols.length;
  if (extra < 0 || (extra > 0 && flex !== 1)) return null;
  const out: Col[] = [];
  for (const c of cols) {
    const width = c.flex ? 1 + extra : 1;
    for (let k = 0; k < width; k++) {
      const bound = schema[out.length]!;
      // An aliased flex column is named by its alias only when it is one column (a list's unnest).
      const known = c.flex ? (extra === 0 ? c.name : "") : c.name;
      if (known !== "" && lower(known) !== lower(bound.name)) return null;
      out.push({ name: bound.name, from: c.from });
    }
  }
  return out;
}

function toRefs(sources: Sources): ColumnLineage["from"] {
  return [...sources]
    .map((key) => {
      const at = key.indexOf("\u0000");
      return { table: key.slice(0, at), column: key.slice(at + 1) };
    })
    .sort((a, b) => compareText(a.table, b.table) || compareText(a.column, b.column));
}

/** Names DuckDB binds to a value function when no column has them (`SELECT current_date`). */
const VALUE_FUNCTIONS = new Set([
  "current_catalog",
  "current_date",
  "current_role",
  "current_schema",
  "current_time",
  "current_timestamp",
  "current_user",
  "localtime",
  "localtimestamp",
  "session_user",
  "user",
]);

/** Table functions with one column, named after the function (plus `ordinality`), computed from their arguments. */
const ONE_COLUMN_FUNCTIONS = new Set(["range", "generate_series", "unnest"]);

/** How a name resolves at one level of the scope chain. */
type Found = { readonly kind: "found"; readonly sources: Sources } | { readonly kind: "maybe"; readonly sources: Sources } | undefined;

class LineageWalk {
  private readonly hooks: StarHooks = {
    expr: (value, scope) => this.expr(value, scope, NO_PARAMS),
    column: (names, scope) => this.column(names, scope, NO_PARAMS),
  };

  constructor(private readonly lookup: InputLookup) {}

  /** Output columns of a query node (SELECT_NODE, SET_OPERATION_NODE, RECURSIVE_CTE_NODE). */
  query(node: JsonObject, parent: Scope): Col[] {
    const scope = this.withCtes(node, parent);
    switch (stringField(node, "type")) {
      case "SELECT_NODE":
        return this.select(node, scope);
      case "SET_OPERATION_NODE": {
        const branches = arrayField(node, "children").filter(isObject);
        const parts = branches.length > 0 ? branches : [objectField(node, "left"), objectField(node, "right")].filter((n): n is JsonObject => n !== undefined);
        const results = parts.map((p) => this.query(p, scope));
        const setop = stringField(node, "setop_type") ?? "";
        if (setop === "EXCEPT") {
          if (results.length !== 2) return unsupported();
          return combine(results[0]!, results[1]!, false).map((c, i) => ({ ...c, from: results[0]![i]!.from }));
        }
        if (setop !== "UNION" && setop !== "UNION_BY_NAME" && setop !== "INTERSECT") return unsupported();
        return results.reduce((acc, next) => combine(acc, next, setop === "UNION_BY_NAME"));
      }
      case "RECURSIVE_CTE_NODE": {
        const name = lower(stringField(node, "cte_name") ?? "");
        const anchor = renamed(this.query(objectField(node, "left") ?? unsupported(), scope), arrayField(node, "aliases"));
        let cols = anchor;
        // The step reads the CTE itself: repeat until its sources stop growing (bounded).
        for (let i = 0; i < 64; i++) {
          const step = this.query(objectField(node, "right") ?? unsupported(), { ...scope, ctes: new Map([...scope.ctes, [name, cols]]) });
          const next = combine(anchor, step, false);
          if (next.every((c, k) => c.from.size === cols[k]!.from.size)) return next;
          cols = next;
        }
        return unsupported();
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
      const cols = this.query(q, { ctes, from: null, outer: parent.outer, aliases: null });
      ctes.set(lower(name), renamed(cols, arrayField(value, "aliases")));
    }
    return { ...parent, ctes };
  }

  private select(node: JsonObject, scope: Scope): Col[] {
    const from: FromEnv = { bindings: [], using: new Map() };
    this.fromItem(node.from_table, scope, from);
    const here: Scope = { ctes: scope.ctes, from, outer: scope.outer, aliases: new Map() };
    const out: Col[] = [];
    for (const item of arrayField(node, "select_list")) {
      if (!isObject(item)) continue;
      const cols = this.selectItem(item, here);
      out.push(...cols);
      const alias = stringField(item, "alias");
      if (alias && cols.length === 1 && !here.aliases!.has(lower(alias))) here.aliases!.set(lower(alias), cols[0]!.from);
    }
    return out;
  }

  /** The columns one select item stands for (several for `*`, `COLUMNS(...)`, a STRUCT's unnest). */
  private selectItem(item: JsonObject, scope: Scope): Col[] {
    const alias = stringField(item, "alias") || undefined;
    if (stringField(item, "class") === "STAR") return expandStar(item, scope, this.hooks, undefined, alias);
    // `* LIKE 'a%'`, `* SIMILAR TO ...`: a star filtered by name.
    const args = arrayField(item, "children");
    if (stringField(item, "class") === "FUNCTION" && args.length === 2 && stringField(args[0], "class") === "STAR" && objectField(args[0], "expr") === undefined) {
      const pattern = stringConstant(args[1]);
      const test = pattern === undefined ? undefined : starPatternTest(stringField(item, "function_name") ?? "", pattern);
      return expandStar(test ? (args[0] as JsonObject) : unsupported(), scope, this.hooks, test, alias);
    }
    const stars = columnsStars(item);
    if (stars.length > 0) {
      // `max(COLUMNS(*))`, `COLUMNS('a') + 1`: the expression once per selected column.
      const key = JSON.stringify(stars[0], withoutLocation);
      if (stars.some((s) => JSON.stringify(s, withoutLocation) !== key)) return unsupported();
      const rest = this.expr(item, scope, NO_PARAMS, EMPTY);
      return expandStar(stars[0]!, scope, this.hooks).map((c) => ({ name: alias ?? c.name, from: union(rest, c.from) }));
    }
    const fn = lower(stringField(item, "function_name") ?? "");
    if (stringField(item, "class") === "FUNCTION" && fn === "unnest") {
      // A STRUCT is unnested into its fields (the alias is then dropped): as many columns as the schema says.
      return [{ name: alias ?? "", from: this.expr(item, scope, NO_PARAMS), flex: true }];
    }
    return [{ name: alias ?? defaultName(item), from: this.expr(item, scope, NO_PARAMS) }];
  }

  /** Adds a FROM item's bindings to `env`. Items after the first see the ones before (LATERAL). */
  private fromItem(value: Json | undefined, scope: Scope, env: FromEnv): void {
    if (!isObject(value)) return;
    const type = stringField(value, "type");
    const alias = stringField(value, "alias") ?? "";
    const aliases = arrayField(value, "column_name_alias");
    const lateral = (): Scope => ({ ctes: scope.ctes, from: { bindings: [...env.bindings], using: new Map(env.using) }, outer: scope.outer, aliases: null });
    const add = (cols: readonly Col[], name: string): void => void env.bindings.push({ alias: name, cols: renamed(cols, aliases), opaque: false, sources: EMPTY });
    switch (type) {
      case "EMPTY":
        return;
      case "BASE_TABLE": {
        const name = stringField(value, "table_name") ?? "";
        const cte = scope.ctes.get(lower(name));
        if (cte && !stringField(value, "schema_name") && !stringField(value, "catalog_name")) return add(cte, alias || name);
        const input = this.lookup(name) ?? unsupported();
        return add(
          input.columns.map((c) => ({ name: c, from: new Set([sourceKey(input.table, c)]) })),
          alias || name,
        );
      }
      case "SUBQUERY": {
        const q = objectField(objectField(value, "subquery"), "node") ?? unsupported();
        return add(this.query(q, { ctes: scope.ctes, from: null, outer: lateral(), aliases: null }), alias);
      }
      case "EXPRESSION_LIST": {
        // VALUES (...), (...): col0, col1, ... each from its expressions in every row.
        const rows = arrayField(value, "values").map((row) => (Array.isArray(row) ? row : unsupported()));
        const width = rows[0]?.length ?? 0;
        if (rows.some((r) => r.length !== width)) return unsupported();
        const inner = lateral();
        const cols = Array.from({ length: width }, (_, i) => ({ name: `col${i}`, from: union(...rows.map((r) => this.expr(r[i], inner, NO_PARAMS))) }));
        return add(cols, alias || "valueslist");
      }
      case "TABLE_FUNCTION": {
        const fn = objectField(value, "function") ?? unsupported();
        const name = lower(stringField(fn, "function_name") ?? "");
        const args = arrayField(fn, "children");
        const sources = this.expr(args, lateral(), NO_PARAMS);
        const named = args.some((a) => stringField(a, "alias"));
        const ordinality = stringField(value, "with_ordinality") === "WITH_ORDINALITY";
        if (ONE_COLUMN_FUNCTIONS.has(name) && !named && !stringField(fn, "schema") && (name !== "unnest" || args.length === 1)) {
          const cols: Col[] = [{ name, from: sources }];
          if (ordinality) cols.push({ name: "ordinality", from: EMPTY });
          return add(cols, alias || name);
        }
        // read_parquet(...), a table macro...: columns unknown, any of them from the arguments.
        env.bindings.push({ alias: alias || name, cols: renamed([], aliases), opaque: true, sources });
        return;
      }
      case "PIVOT": {
        const inner: FromEnv = { bindings: [], using: new Map() };
        const base = lateral();
        this.fromItem(value.source, base, inner);
        const over: Scope = { ctes: scope.ctes, from: inner, outer: base, aliases: null };
        const source = expandStar({ class: "STAR", type: "STAR", columns: false }, over, this.hooks);
        const cols = pivotColumns(value, source, over, { expr: (v, s) => this.expr(v, s, NO_PARAMS), star: (star, s) => expandStar(star, s, this.hooks) });
        return add(cols, alias);
      }
      case "JOIN": {
        this.fromItem(value.left, scope, env);
        const split = env.bindings.length;
        this.fromItem(value.right, scope, env);
        const joinType = stringField(value, "join_type");
        // SEMI / ANTI: the right side only filters; its columns are not in the result.
        if (joinType === "SEMI" || joinType === "ANTI") return void env.bindings.splice(split);
        const left = env.bindings.slice(0, split);
        const right = env.bindings.slice(split);
        const usingCols = arrayField(value, "using_columns").map((c) => (typeof c === "string" ? c : unsupported()));
        const natural = stringField(value, "ref_type") === "NATURAL";
        const asof = stringField(value, "ref_type") === "ASOF";
        if (natural && [...left, ...right].some((b) => b.opaque || b.cols.some((c) => c.flex))) return unsupported();
        const names = natural ? right.flatMap((b) => b.cols.map((c) => c.name)).filter((n) => left.some((b) => b.cols.some((c) => lower(c.name) === lower(n)))) : usingCols;
        names.forEach((n, i) => {
          const key = lower(n);
          const side = (bs: readonly Binding[]) => {
            const merged = env.using.get(key);
            if (merged && bs.some((b) => merged.bindings.has(b))) return { sources: merged.sources, bindings: [...merged.bindings] };
            const owners = bs.filter((b) => b.cols.some((c) => lower(c.name) === key));
            if (owners.length !== 1) return unsupported();
            return { sources: union(...owners[0]!.cols.filter((c) => lower(c.name) === key).map((c) => c.from)), bindings: owners };
          };
          const l = side(left);
          const r = side(right);
          // The merged value: a LEFT join's is the left one, a RIGHT join's the right one, an inner
          // join's both (equal), a FULL join's either; ASOF ... USING (k, ts): the last column
          // is the inequality, its value the left one.
          const sources =
            joinType === "LEFT" || (asof && i === names.length - 1) ? l.sources : joinType === "RIGHT" ? r.sources : union(l.sources, r.sources);
          env.using.set(key, { sources, bindings: new Set([...l.bindings, ...r.bindings]) });
        });
        return;
      }
      default:
        // SHOW / SUMMARIZE / DESCRIBE in FROM, anything new: not followed.
        return unsupported();
    }
  }

  /**
   * Sources of an expression's value. `params`: lambda parameters in scope; `columnsStar`: the
   * sources a `COLUMNS(...)` inside stands for (set by `selectItem`, which expands it).
   */
  private expr(value: Json | undefined, scope: Scope, params: ReadonlySet<string>, columnsStar?: Sources): Sources {
    if (Array.isArray(value)) return union(...value.map((v) => this.expr(v, scope, params, columnsStar)));
    if (!isObject(value)) return EMPTY;
    const recurse = (v: Json | undefined) => this.expr(v, scope, params, columnsStar);
    switch (stringField(value, "class")) {
      case "COLUMN_REF":
        return this.column(
          arrayField(value, "column_names").map((n) => (typeof n === "string" ? n : unsupported())),
          scope,
          params,
        );
      case "POSITIONAL_REFERENCE":
        return this.positional(Number(value.index), scope);
      case "LAMBDA": {
        const lhs = objectField(value, "lhs");
        const names = stringField(lhs, "class") === "COLUMN_REF" ? [lhs!] : arrayField(lhs, "children");
        const inner = new Set(params);
        for (const n of names) {
          const parts = arrayField(n, "column_names");
          if (parts.length !== 1 || typeof parts[0] !== "string") return unsupported();
          inner.add(lower(parts[0]));
        }
        return this.expr(value.expr, scope, inner, columnsStar);
      }
      case "WINDOW":
        // Value sources only: the function's arguments (and FILTER), not PARTITION BY / ORDER BY / frame.
        return union(recurse(value.children), recurse(value.filter_expr), recurse(value.default_expr), recurse(value.offset_expr));
      case "FUNCTION":
        // Not `order_bys` (an aggregate's ORDER BY orders the values, as a window's does).
        return union(recurse(value.children), recurse(value.filter));
      case "SUBQUERY": {
        const kind = stringField(value, "subquery_type");
        if (kind === "EXISTS" || kind === "NOT_EXISTS") return EMPTY;
        const q = objectField(objectField(value, "subquery"), "node") ?? unsupported();
        const cols = this.query(q, { ctes: scope.ctes, from: null, outer: scope, aliases: null });
        return union(...cols.map((c) => c.from), recurse(value.child));
      }
      case "STAR":
        if (value.columns === true && columnsStar !== undefined) return columnsStar;
        return unsupported();
      case "OPERATOR":
        if (stringField(value, "type") === "OPERATOR_UNPACK") {
          // f(*COLUMNS('x')): the function gets every selected column.
          const star = arrayField(value, "children")[0];
          if (stringField(star, "class") !== "STAR") return unsupported();
          return union(...expandStar(star as JsonObject, scope, this.hooks).map((c) => c.from));
        }
        return this.children(value, scope, params, columnsStar);
      case "CONSTANT":
      case "PARAMETER":
        return EMPTY;
      default:
        return this.children(value, scope, params, columnsStar);
    }
  }

  /** Sources of every sub-expression of a node (CASE, CAST, COMPARISON, BETWEEN, operators...). */
  private children(value: JsonObject, scope: Scope, params: ReadonlySet<string>, columnsStar: Sources | undefined): Sources {
    const parts: Sources[] = [];
    for (const [key, child] of Object.entries(value)) {
      if (key === "query_location" || key === "alias" || key === "type" || key === "class") continue;
      if (typeof child === "object" && child !== null) parts.push(this.expr(child, scope, params, columnsStar));
    }
    return union(...parts);
  }

  /** `#n`: the n-th column of this SELECT's FROM clause (every binding's columns, in order). */
  private positional(index: number, scope: Scope): Sources {
    let n = index;
    for (const b of scope.from?.bindings ?? []) {
      for (const c of b.cols) {
        if (--n === 0) return c.from; // a flex column's first column comes from it too
        if (c.flex) return unsupported();
      }
      if (b.opaque) return unsupported();
    }
    return unsupported();
  }

  /**
   * Sources of a column reference (`c`, `t.c`, `c.field`, `t.c.field`, `t` for a whole row),
   * searching outward: at each level the FROM bindings, then the select-list aliases.
   * A name that may be a column of an opaque binding (a table function's, a STRUCT's unnest) is
   * taken from it only when every other place further out that may have the name gives the same sources.
   */
  private column(names: readonly string[], scope: Scope, params: ReadonlySet<string>): Sources {
    if (names.length === 0) return unsupported();
    if (params.has(lower(names[0]!))) return EMPTY; // a lambda parameter (or a field of one)
    // Candidates, innermost first, up to the first certain one: they must agree.
    const candidates: Sources[] = [];
    for (let s: Scope | null = scope; s !== null; s = s.outer) {
      const found = this.atLevel(names, s);
      if (found) candidates.push(found.sources);
      if (found?.kind === "found") break;
    }
    if (candidates.length > 0) return candidates.every((c) => sameSources(c, candidates[0]!)) ? candidates[0]! : unsupported();
    if (names.length === 1 && VALUE_FUNCTIONS.has(lower(names[0]!))) return EMPTY;
    if (lower(names.at(-1)!) === "rowid" && names.length <= 2) return EMPTY; // a table's row id
    return unsupported();
  }

  private atLevel(names: readonly string[], s: Scope): Found {
    const from = s.from;
    if (from) {
      if (names.length >= 2) {
        const bs = from.bindings.filter((x) => lower(x.alias) === lower(names[0]!));
        if (bs.length > 1) return unsupported();
        const b = bs[0];
        if (b) {
          const c = b.cols.find((x) => lower(x.name) === lower(names[1]!));
          if (c) return { kind: "found", sources: c.from };
          if (b.opaque) return { kind: "found", sources: b.sources };
          if (b.cols.some((x) => x.flex)) return { kind: "maybe", sources: union(...b.cols.filter((x) => x.flex).map((x) => x.from)) };
          if (lower(names[1]!) === "rowid") return { kind: "found", sources: EMPTY };
        }
      }
      const key = lower(names[0]!);
      // `schema.table.column`, `catalog.schema.table.column` (when the first name is no column).
      if (names.length >= 3 && !from.bindings.some((b) => lower(b.alias) === key || b.cols.some((c) => lower(c.name) === key))) {
        for (const at of [1, 2]) {
          const b = names.length > at + 1 ? from.bindings.find((x) => lower(x.alias) === lower(names[at]!)) : undefined;
          const c = b?.cols.find((x) => lower(x.name) === lower(names[at + 1]!));
          if (c) return { kind: "found", sources: c.from };
        }
      }
      const using = from.using.get(key);
      if (using) return { kind: "found", sources: using.sources };
      const found = from.bindings.flatMap((b) => b.cols.filter((c) => lower(c.name) === key));
      if (found.length > 0) return { kind: "found", sources: union(...found.map((c) => c.from)) };
      // A name DuckDB may find among columns the walk does not know.
      const unknown = from.bindings.filter((b) => b.opaque || b.cols.some((c) => c.flex));
      if (unknown.length > 0) {
        const sources = unknown.map((b) => (b.opaque ? b.sources : union(...b.cols.filter((c) => c.flex).map((c) => c.from))));
        if (sources.filter((x) => x.size > 0).length > 1 || (names.length === 1 && s.aliases?.has(key))) return unsupported();
        return { kind: "maybe", sources: union(...sources) };
      }
      // `SELECT t FROM t`: the whole row, as a STRUCT.
      const whole = from.bindings.find((b) => lower(b.alias) === key);
      if (whole && names.length === 1) return { kind: "found", sources: union(...whole.cols.map((c) => c.from)) };
    }
    if (names.length === 1) {
      const alias = s.aliases?.get(lower(names[0]!));
      if (alias) return { kind: "found", sources: alias };
    }
    return undefined;
  }
}

const NO_PARAMS: ReadonlySet<string> = new Set();

function sameSources(a: Sources, b: Sources): boolean {
  return a.size === b.size && [...a].every((k) => b.has(k));
}

function withoutLocation(key: string, value: unknown): unknown {
  return key === "query_location" ? undefined : value;
}

/** The `COLUMNS(...)` nodes of a select expression (not inside a subquery or a `*COLUMNS` unpack). */
function columnsStars(value: Json): JsonObject[] {
  const out: JsonObject[] = [];
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObject(v)) return;
    const cls = stringField(v, "class");
    if (cls === "SUBQUERY" || stringField(v, "type") === "OPERATOR_UNPACK") return;
    if (cls === "STAR") {
      if (v.columns === true) out.push(v);
      return;
    }
    for (const [key, child] of Object.entries(v)) if (key !== "query_location" && typeof child === "object" && child !== null) visit(child);
  };
  visit(value);
  return out;
}

/** The name DuckDB gives an unaliased select item, where the walk knows it: a column's name. */
function defaultName(item: JsonObject): string {
  if (stringField(item, "class") === "COLUMN_REF") {
    const names = arrayField(item, "column_names");
    const last = names[names.length - 1];
    return typeof last === "string" ? last : "";
  }
  return "";
}

/** Two branches of a set operation merged column by column (or by name for BY NAME). */
function combine(left: readonly Col[], right: readonly Col[], byName: boolean): Col[] {
  if ([...left, ...right].some((c) => c.flex)) return unsupported();
  if (!byName) {
    if (left.length !== right.length) return unsupported();
    return left.map((c, i) => ({ name: c.name, from: union(c.from, right[i]!.from) }));
  }
  if ([...left, ...right].some((c) => c.name === "")) return unsupported();
  const out = left.map((c) => ({ name: c.name, from: union(c.from, right.find((r) => lower(r.name) === lower(c.name))?.from ?? EMPTY) }));
  for (const r of right) if (!left.some((c) => lower(c.name) === lower(r.name))) out.push(r);
  return out;
}
