/**
 * Star expansion for column lineage: `*`, `t.*`, `COLUMNS(...)`, with EXCLUDE / REPLACE / RENAME,
 * `* LIKE 'p'`, over the FROM bindings of one SELECT, in DuckDB's order (bindings left to right,
 * each binding's columns in order, a USING/NATURAL column once, at its first binding).
 * A combination whose outcome DuckDB decides in ways the walk does not mirror (REPLACE or RENAME of
 * a name two bindings share, a qualified EXCLUDE of a USING column, a selector over columns whose
 * names are unknown) is unsupported.
 */
import { type Json, type JsonObject, arrayField, isObject, objectField, stringField } from "./sql-json.js";
import { type Binding, type Col, type FromEnv, type Scope, type Sources, lower, unsupported } from "./sql-lineage-model.js";
import { type NameTest, columnsSelector } from "./sql-lineage-names.js";

export interface StarHooks {
  /** Sources of an expression in the select's scope (REPLACE values). */
  readonly expr: (value: Json, scope: Scope) => Sources;
  /** Sources of a column reference (the STRUCT column of `s.*`). */
  readonly column: (names: readonly string[], scope: Scope) => Sources;
}

interface Entry {
  col: Col;
  readonly binding: Binding;
  /** A merged USING column (shown once). */
  readonly merged: boolean;
}

/**
 * The columns a STAR node (`columns: false` for `*`, true for `COLUMNS(...)`) stands for.
 * `test`: an extra name filter (`* LIKE 'p'`); `alias`: the select item's alias, if any.
 */
export function expandStar(star: JsonObject, scope: Scope, hooks: StarHooks, test?: NameTest, alias?: string): Col[] {
  const from = scope.from ?? unsupported();
  const relation = stringField(star, "relation_name");
  const selector = isObject(star.expr) ? columnsSelector(star.expr) : undefined;
  const tests = [test, selector].filter((t): t is NameTest => t !== undefined);
  const excludes = arrayField(star, "exclude_list");
  const qualifiedExcludes = arrayField(star, "qualified_exclude_list");
  const replaces = arrayField(star, "replace_list");
  const renames = arrayField(star, "rename_list");

  const bindings = relation ? from.bindings.filter((b) => lower(b.alias) === lower(relation)) : from.bindings;
  if (relation && bindings.length === 0) {
    // `s.*` over a STRUCT column: its fields, all from `s` (how many, the bound schema says).
    if (tests.length > 0 || excludes.length + qualifiedExcludes.length + replaces.length + renames.length > 0) return unsupported();
    return [{ name: "", from: hooks.column([relation], scope), flex: true }];
  }

  let entries: Entry[] = [];
  const shown = new Set<string>();
  for (const b of bindings) {
    if (b.opaque) return unsupported();
    for (const c of b.cols) {
      const key = lower(c.name);
      const merged = relation ? undefined : from.using.get(key);
      if (merged?.bindings.has(b)) {
        if (shown.has(key)) continue;
        shown.add(key);
        entries.push({ col: { ...c, from: merged.sources }, binding: b, merged: true });
      } else entries.push({ col: c, binding: b, merged: false });
    }
  }

  // EXCLUDE (name) drops every column of that name; EXCLUDE (t.name) only t's.
  const excluded = new Set(excludes.map((e) => lower(typeof e === "string" ? e : ((arrayField(e, "column_names").at(-1) as string | undefined) ?? unsupported()))));
  entries = entries.filter((e) => !excluded.has(lower(e.col.name)));
  for (const q of qualifiedExcludes) {
    const hit = matching(entries, stringField(q, "table"), stringField(q, "column"));
    if (hit.some((e) => e.merged)) return unsupported();
    entries = entries.filter((e) => !hit.includes(e));
  }

  if (tests.length > 0 && (replaces.length > 0 || renames.length > 0)) return unsupported();
  for (const r of replaces) {
    const hit = matching(entries, undefined, stringField(r, "key"));
    if (hit.length !== 1) return unsupported();
    hit[0]!.col = { name: hit[0]!.col.name, from: hooks.expr(objectField(r, "value") ?? unsupported(), scope) };
  }
  for (const r of renames) {
    const key = objectField(r, "key");
    const hit = matching(entries, stringField(key, "table"), stringField(key, "column"));
    const to = stringField(r, "value");
    if (hit.length !== 1 || to === undefined || (hit[0]!.merged && stringField(key, "table"))) return unsupported();
    hit[0]!.col = { ...hit[0]!.col, name: to };
  }

  let cols = entries.map((e) => e.col);
  if (tests.length > 0) {
    if (cols.some((c) => c.flex || c.name === "")) return unsupported();
    cols = cols.filter((c) => tests.every((t) => t(c.name)));
  }
  if (alias !== undefined) cols = cols.map((c) => ({ ...c, name: alias.includes("\\") ? "" : alias }));
  return cols;
}

function matching(entries: readonly Entry[], table: string | undefined, column: string | undefined): Entry[] {
  if (!column) return unsupported();
  return entries.filter((e) => lower(e.col.name) === lower(column) && (!table || lower(e.binding.alias) === lower(table)));
}
