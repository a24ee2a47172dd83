/**
 * Materialized model outputs the lake already holds, found by run key: the target's head and its
 * recent first-parent history. A table written with the same key earlier (e.g. before a var was
 * changed and changed back) is put back in place by pointing the new commit at its files (they are
 * immutable), instead of computing and writing it again.
 */
import type { Lake } from "../lake/lake.js";
import type { Commit, TableEntry } from "../lake/types.js";

/** Commits of history searched for an output (each is one small object to read). */
export const HISTORY_DEPTH = 50;

export interface LakeOutputs {
  /** The target's tables at the run's start. */
  readonly head: Readonly<Record<string, TableEntry>>;
  /** The latest version of `table` written with run key `key`, at the head or in recent history. */
  find(table: string, key: string): TableEntry | null;
}

/** How a table's output with a run key is named in `wanted`. */
export function outputId(table: string, key: string): string {
  return `${table}\0${key}`;
}

/**
 * `wanted`: the outputs (outputId) worth looking for in history; the walk stops when all are found
 * and reads nothing when there are none (a build whose materialized tables are unchanged, or new).
 */
export async function lakeOutputs(lake: Lake, base: Commit | null, wanted: ReadonlySet<string>, depth: number = HISTORY_DEPTH): Promise<LakeOutputs> {
  const found = new Map<string, TableEntry>();
  let commit = wanted.size === 0 ? null : base;
  for (let i = 0; commit !== null && i < depth && found.size < wanted.size; i++) {
    for (const [table, entry] of Object.entries(commit.tables)) {
      if (entry.cacheKey === undefined) continue;
      const id = outputId(table, entry.cacheKey);
      if (wanted.has(id) && !found.has(id)) found.set(id, entry);
    }
    const parent = commit.parents[0];
    commit = parent === undefined ? null : await lake.readCommit(parent).catch(() => null);
  }
  return { head: base?.tables ?? {}, find: (table, key) => found.get(outputId(table, key)) ?? null };
}
