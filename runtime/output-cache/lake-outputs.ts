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

export async function lakeOutputs(lake: Lake, base: Commit | null, depth: number = HISTORY_DEPTH): Promise<LakeOutputs> {
  const found = new Map<string, TableEntry>();
  let commit = base;
  for (let i = 0; commit !== null && i < depth; i++) {
    for (const [table, entry] of Object.entries(commit.tables)) {
      if (entry.cacheKey === undefined) continue;
      const id = `${table}\0${entry.cacheKey}`;
      if (!found.has(id)) found.set(id, entry);
    }
    const parent = commit.parents[0];
    commit = parent === undefined ? null : await lake.readCommit(parent).catch(() => null);
  }
  return { head: base?.tables ?? {}, find: (table, key) => found.get(`${table}\0${key}`) ?? null };
}
