/**
 * A build as a transaction on its target branch: the run writes into a temporary branch made from
 * the target's head (`_bp_run_<run id>`) and the target moves only when every node succeeded, by
 * compare-and-swap. When the target moved meanwhile, the run is rebased onto the new head if no table
 * it read (unpinned scans) or wrote was changed there; otherwise it fails with "branch moved, re-run"
 * and its tables stay on the temporary branch.
 */
import { BranchMovedError, LakeError } from "./lake/errors.js";
import type { Lake } from "./lake/lake.js";
import { changedTables } from "./lake/table-diff.js";
import type { Commit, TableEntry } from "./lake/types.js";

/** How often a rebase is retried when the target keeps moving. */
const REBASE_ATTEMPTS = 5;

export const RUN_BRANCH_PREFIX = "_bp_run_";

export function runBranchName(runId: string): string {
  return `${RUN_BRANCH_PREFIX}${runId}`;
}

export interface Transaction {
  readonly target: string;
  /** The temporary branch (it exists once `begin` made it, or once a commit created it). */
  readonly branch: string;
  /** The target's head when the run started (null: an empty lake). */
  readonly base: Commit | null;
}

/** The run's branch at the target's head (none yet for an empty target: the first commit creates it). */
export async function beginTransaction(lake: Lake, target: string, runId: string): Promise<Transaction> {
  const base = await lake.head(target);
  const branch = runBranchName(runId);
  if (base !== null) await lake.createBranch(branch, base.id);
  return { target, branch, base };
}

/** Commits `put` on the run's branch (its first and only commit). */
export async function commitToRunBranch(lake: Lake, tx: Transaction, put: Record<string, TableEntry>, message: string, author: string | undefined): Promise<Commit> {
  return lake.commit({ branch: tx.branch, expectedHead: tx.base?.id ?? null, message, put, ...(author ? { author } : {}) });
}

/** The target moved (since compile, or during the run) and changed tables this run depends on: nothing was merged. */
export class TargetMovedError extends LakeError {
  constructor(
    readonly target: string,
    readonly head: string | null,
    readonly tables: readonly string[],
    readonly runBranch: string,
  ) {
    super(
      "branch-moved",
      `branch ${target} moved to ${head?.slice(0, 12) ?? "(empty)"} after this build's plan was made, changing ${tables.join(", ")}, which the build read or wrote; re-run`,
    );
  }
}

export interface Promoted {
  /** The target's new head. */
  readonly commit: Commit;
  /** The head the run was rebased onto, or null for a fast-forward. */
  readonly rebasedOnto: string | null;
}

/** A table the run read at the target branch (an unpinned scan): the data files it read. */
export interface ReadTable {
  readonly table: string;
  readonly files: readonly string[];
}

/** The read tables whose data files at `head` are not the ones the run read (stale reads). */
function staleReads(head: Commit | null, read: readonly ReadTable[]): string[] {
  const sameFiles = (now: readonly string[], wasRead: readonly string[]): boolean => {
    const readSet = new Set(wasRead);
    return now.length === readSet.size && now.every((f) => readSet.has(f));
  };
  return read.filter((r) => !sameFiles(head?.tables[r.table]?.files.map((f) => f.path) ?? [], r.files)).map((r) => r.table);
}

/**
 * Moves the target to the run's commit: a fast-forward from `base`, or a rebase (a new commit on the
 * moved head with the run's tables) when none of the written tables changed there. Either way the
 * tables the run read must still hold, at the head it lands on, exactly the files it read: a plan
 * compiled (or saved) before a source changed never commits results of the old data.
 */
export async function promote(
  lake: Lake,
  tx: Transaction,
  runCommit: Commit,
  put: Record<string, TableEntry>,
  read: readonly ReadTable[],
  author: string | undefined,
): Promise<Promoted> {
  const staleAtBase = staleReads(tx.base, read);
  if (staleAtBase.length > 0) throw new TargetMovedError(tx.target, tx.base?.id ?? null, staleAtBase, tx.branch);
  try {
    await lake.moveBranch(tx.target, tx.base?.id ?? null, runCommit.id);
    return { commit: runCommit, rebasedOnto: null };
  } catch (err) {
    if (!(err instanceof BranchMovedError)) throw err;
  }
  const written = new Set(Object.keys(put));
  for (let attempt = 0; ; attempt++) {
    const head = await lake.head(tx.target);
    const changedWritten = changedTables(tx.base?.tables ?? {}, head?.tables ?? {}).filter((t) => written.has(t));
    const conflicts = [...new Set([...staleReads(head, read), ...changedWritten])].sort();
    if (conflicts.length > 0) throw new TargetMovedError(tx.target, head?.id ?? null, conflicts, tx.branch);
    try {
      const commit = await lake.commit({ branch: tx.target, expectedHead: head?.id ?? null, message: runCommit.message, put, ...(author ? { author } : {}) });
      return { commit, rebasedOnto: head?.id ?? null };
    } catch (err) {
      if (!(err instanceof BranchMovedError) || attempt + 1 >= REBASE_ATTEMPTS) throw err;
    }
  }
}

/** Removes the run's branch (after a merge, or a failure that keeps nothing). */
export async function dropRunBranch(lake: Lake, tx: Transaction): Promise<void> {
  if ((await lake.headId(tx.branch)) !== null) await lake.deleteBranch(tx.branch, []);
}
