/**
 * The values the column-lineage walk (sql-lineage.ts) passes around: sources of a value, columns,
 * FROM bindings, scopes; plus the one way out when the walk cannot follow (`unsupported()`).
 */

/** Sources of one value, as `table\u0000column` keys. */
export type Sources = ReadonlySet<string>;

/** One column of a relation the walk knows. */
export interface Col {
  /** Its name ("" when the walk does not know DuckDB's name for it, e.g. an unaliased `a + 1`). */
  readonly name: string;
  readonly from: Sources;
  /**
   * It may stand for one or more columns, all computed from `from`: a select-list `unnest(x)` (a
   * STRUCT is unnested into its fields) or `s.*` over a STRUCT column. The parse tree does not say
   * how many; the model's bound schema does, for its own output.
   */
  readonly flex?: boolean;
}

/** One FROM item. */
export interface Binding {
  readonly alias: string;
  /** Its columns, in order (the first ones only when `opaque`). */
  readonly cols: readonly Col[];
  /** Columns not known (a table function such as `read_parquet`): any of them comes from `sources`. */
  readonly opaque: boolean;
  /** For an opaque binding: what its columns may be computed from (its arguments). */
  readonly sources: Sources;
}

/** A FROM clause: its bindings, and the USING/NATURAL columns merged across a join. */
export interface FromEnv {
  readonly bindings: Binding[];
  /** Lower-cased USING column -> merged sources and the bindings it merges (shown once by `*`). */
  readonly using: Map<string, MergedColumn>;
}

export interface MergedColumn {
  readonly sources: Sources;
  readonly bindings: ReadonlySet<Binding>;
}

export interface Scope {
  readonly ctes: ReadonlyMap<string, readonly Col[]>;
  readonly from: FromEnv | null;
  readonly outer: Scope | null;
  /** Lower-cased select-list alias -> sources: DuckDB lets a later item (or a subquery in it) use an earlier alias. */
  readonly aliases: Map<string, Sources> | null;
}

/** Thrown where the walk cannot follow the query exactly; the lineage is then null. */
export class Unsupported extends Error {}

export function unsupported(): never {
  throw new Unsupported();
}

export const EMPTY: Sources = new Set();

export function union(...sets: Sources[]): Sources {
  const nonEmpty = sets.filter((s) => s.size > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const out = new Set<string>();
  for (const s of nonEmpty) for (const k of s) out.add(k);
  return out;
}

export const lower = (s: string): string => s.toLowerCase();

export function sourceKey(table: string, column: string): string {
  return `${table}\u0000${column}`;
}

/** Columns renamed by a column alias list (`t AS x(a, b)`, `WITH c(a, b) AS`), the rest unchanged. */
export function renamed(cols: readonly Col[], aliases: readonly unknown[]): readonly Col[] {
  if (aliases.length === 0) return cols;
  // A flex column may be several: an alias after it would name a column the walk cannot place.
  const flexAt = cols.findIndex((c) => c.flex);
  if (flexAt >= 0 && flexAt < aliases.length - 1) return unsupported();
  return cols.map((c, i) => (typeof aliases[i] === "string" ? { ...c, name: aliases[i] as string } : c));
}
