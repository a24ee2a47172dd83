/**
 * Table-granularity comparisons of commits: equality of entries, diff of two snapshots and the
 * three-way merge of two snapshots against their merge base. Pure functions over plain data.
 */
import { canonicalJson } from "./commit-id.js";
import type { TableEntry } from "./types.js";

type Tables = Readonly<Record<string, TableEntry>>;

/** Same schema, same files (and producer): the same table contents. Both absent counts as equal. */
export function sameEntry(a: TableEntry | undefined, b: TableEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

export interface TableDiff {
  readonly added: { table: string; rows: number }[];
  readonly removed: { table: string; rows: number }[];
  readonly changed: { table: string; rowsBefore: number; rowsAfter: number; schemaChanged: boolean }[];
}

const sortedUnion = (a: Tables, b: Tables): string[] => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();

/** What changed from `before` to `after`, each list sorted by table name. */
export function diffTables(before: Tables, after: Tables): TableDiff {
  const diff: TableDiff = { added: [], removed: [], changed: [] };
  for (const t of sortedUnion(before, after)) {
    const b = before[t];
    const a = after[t];
    if (sameEntry(b, a)) continue;
    if (b === undefined) diff.added.push({ table: t, rows: a!.rows });
    else if (a === undefined) diff.removed.push({ table: t, rows: b.rows });
    else diff.changed.push({ table: t, rowsBefore: b.rows, rowsAfter: a.rows, schemaChanged: canonicalJson(a.schema) !== canonicalJson(b.schema) });
  }
  return diff;
}

/** Names of the tables that differ between two snapshots (added, removed or changed). */
export function changedTables(before: Tables, after: Tables): string[] {
  return sortedUnion(before, after).filter((t) => !sameEntry(before[t], after[t]));
}

/**
 * Three-way merge at table granularity: a table changed on one side only takes that side; changed
 * identically on both is kept; changed differently on both is a conflict.
 */
export function mergeTables(base: Tables, ours: Tables, theirs: Tables): { tables: Record<string, TableEntry>; conflicts: string[] } {
  const tables: Record<string, TableEntry> = {};
  const conflicts: string[] = [];
  for (const t of [...new Set([...Object.keys(base), ...Object.keys(ours), ...Object.keys(theirs)])].sort()) {
    const b = base[t];
    const o = ours[t];
    const th = theirs[t];
    let pick: TableEntry | undefined;
    if (sameEntry(o, th)) pick = o;
    else if (sameEntry(b, o)) pick = th;
    else if (sameEntry(b, th)) pick = o;
    else {
      conflicts.push(t);
      continue;
    }
    if (pick !== undefined) tables[t] = pick;
  }
  return { tables, conflicts };
}
