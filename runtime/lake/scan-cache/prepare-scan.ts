/**
 * Before DuckDB reads a lake table: on a remote backend, fetch the column chunks the scan needs
 * (projection plus the columns the filter mentions) into the scan cache. Local lakes: nothing to do.
 */
import type { Lake } from "../lake.js";
import type { ScanFetchReport } from "../storage.js";
import type { ColumnSchema, TableEntry } from "../types.js";

const IDENT_RE = /"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)/g;

/**
 * Columns of `schema` a filter may read: every identifier in it that names a column
 * (case-insensitive; string literals that happen to match only fetch a little more). null = all
 * columns (the filter uses `*` or `COLUMNS(...)`).
 */
export function filterColumns(schema: readonly ColumnSchema[], filter: string): string[] | null {
  if (/\*|\bcolumns\s*\(/i.test(filter)) return null;
  const byLower = new Map(schema.map((c) => [c.name.toLowerCase(), c.name]));
  const out = new Set<string>();
  for (const m of filter.matchAll(IDENT_RE)) {
    const name = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!;
    const found = byLower.get(name.toLowerCase());
    if (found !== undefined) out.add(found);
  }
  return [...out];
}

/**
 * Makes the table's data files readable for a scan of `columns` (undefined: all) with `filter`.
 * Returns what it cost, or null on a backend that reads in place (local disk).
 */
export async function prepareLakeScan(
  lake: Lake,
  entry: TableEntry,
  columns?: readonly string[] | null,
  filter?: string | null,
): Promise<ScanFetchReport | null> {
  const storage = lake.storage;
  if (storage.prepareScan === undefined) return null;
  let needed: string[] | null = columns === undefined || columns === null ? null : [...columns];
  if (needed !== null && filter !== undefined && filter !== null && filter.trim() !== "") {
    const fromFilter = filterColumns(entry.schema, filter);
    needed = fromFilter === null ? null : [...new Set([...needed, ...fromFilter])];
  }
  return storage.prepareScan(entry.files.map((f) => f.path), needed);
}
