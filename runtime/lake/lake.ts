/**
 * The lake: immutable Parquet data files plus a catalog of write-once commits and mutable branch
 * heads. Layout, guarantees and the crash analysis are in runtime/lake/CONTEXT.md.
 */
import { randomUUID } from "node:crypto";
import { defaultAuthor } from "./author.js";
import { commitId } from "./commit-id.js";
import { parseCommit, serializeCommit, tableEntryProblem } from "./commit-format.js";
import {
  AmbiguousRefError,
  BranchMovedError,
  CommitNotFoundError,
  CorruptLakeError,
  InvalidTableEntryError,
  MergeConflictError,
  RefExistsError,
  RefusedError,
  UnknownRefError,
  UnknownTableError,
} from "./errors.js";
import { LocalLakeStorage, type LocalLakeStorageOptions } from "./local-storage.js";
import {
  DEFAULT_BRANCH,
  assertBranchName,
  assertDataFilePath,
  assertTableName,
  assertTagName,
  isCommitId,
  isValidRefName,
} from "./names.js";
import { REF_TIME_HELP, parseRefTime } from "./ref-time.js";
import type { LakeStorage } from "./storage.js";
import { diffTables, mergeTables, sameEntry, type TableDiff } from "./table-diff.js";
import type { Commit, CommitBody, TableEntry } from "./types.js";

export type { TableDiff } from "./table-diff.js";

export { defaultAuthor } from "./author.js";
export type { Commit, TableEntry, DataFile } from "./types.js";

export interface CommitArgs {
  /** Default "main". */
  readonly branch?: string;
  /** The head the caller built on; the commit fails with BranchMovedError if the branch is elsewhere. */
  readonly expectedHead: string | null;
  readonly message: string;
  /** Default `defaultAuthor()`. */
  readonly author?: string;
  /** Tables to create or replace. */
  readonly put?: Readonly<Record<string, TableEntry>>;
  /** Tables to remove (each must exist). */
  readonly drop?: readonly string[];
}

/** The branch head as stored: the commit id and the storage version of the ref (for CAS). */
interface RefState {
  readonly id: string;
  readonly version: string;
}

export interface LakeOptions {
  /** The clock of commit times (tests inject one); default `new Date()`. */
  readonly now?: () => Date;
}

/** What a ref named: how it was read and the commit (null: the default branch of an empty lake). */
export interface ResolvedRef {
  readonly ref: string;
  readonly kind: "branch" | "tag" | "commit" | "time";
  /** The branch or tag name (for `time`: the ref before `@`), or the full commit id. */
  readonly name: string;
  readonly commit: Commit | null;
}

export interface RefInfo {
  readonly name: string;
  readonly commit: string;
}

export interface LogOptions {
  /** Only commits where this table's entry changed (added, replaced or removed) against their first parent. */
  readonly table?: string;
  readonly limit?: number;
}

export interface MergeArgs {
  /** Any ref: branch, tag, commit (prefix) or branch@time. */
  readonly from: string;
  /** The branch that moves. */
  readonly into: string;
  readonly message?: string;
  readonly author?: string;
}

export interface MergeResult {
  /** `up-to-date`: nothing to do; `fast-forward`: the head moved to `from`; `merge`: a two-parent commit. */
  readonly kind: "up-to-date" | "fast-forward" | "merge";
  readonly into: string;
  /** The head of `into` after the merge. */
  readonly commit: Commit;
  readonly previousHead: string;
  readonly mergeBase: string | null;
}

export interface DiffResult extends TableDiff {
  readonly from: string | null;
  readonly to: string | null;
}

const refKey = (branch: string): string => `refs/branches/${branch}`;
const tagKey = (tag: string): string => `refs/tags/${tag}`;
const commitKey = (id: string): string => `commits/${id}.json`;
const reflogPrefix = (branch: string): string => `reflog/branches/${branch}/`;
/** Branches bp makes for itself (`_bp_run_<id>`): no head history is kept for them. */
const INTERNAL_BRANCH_PREFIX = "_bp_";
/** A head-history entry that marks a deleted branch. */
const DELETED = "deleted";
const PREFIX_RE = /^[0-9a-f]{4,63}$/;

/** A copy with exactly the known fields (extra properties of the caller's objects are not stored). */
function copyEntry(e: TableEntry): TableEntry {
  const copy: TableEntry = {
    schema: e.schema.map((c) => ({ name: c.name, type: c.type })),
    rows: e.rows,
    bytes: e.bytes,
    files: e.files.map((f) => ({ path: f.path, rows: f.rows, bytes: f.bytes })),
  };
  if (e.producedBy !== undefined) copy.producedBy = e.producedBy;
  if (e.cacheKey !== undefined) copy.cacheKey = e.cacheKey;
  return copy;
}

export class Lake {
  readonly root: string;
  private readonly commits = new Map<string, Commit>();
  private readonly now: () => Date;

  constructor(
    readonly storage: LakeStorage,
    options: LakeOptions = {},
  ) {
    this.root = storage.root;
    this.now = options.now ?? (() => new Date());
  }

  /** A lake in a local folder. Creates nothing until the first write. */
  static open(root: string, options: LocalLakeStorageOptions & LakeOptions = {}): Lake {
    return new Lake(new LocalLakeStorage(root, options), options);
  }

  /** Releases the storage's network resources (S3 sockets) so the process can exit; a no-op locally. */
  close(): void {
    this.storage.destroy?.();
  }

  /** The id the branch points to and its storage version, or null when the branch does not exist. */
  private async readRef(branch: string): Promise<RefState | null> {
    assertBranchName(branch);
    const obj = await this.storage.read(refKey(branch));
    if (obj === null) return null;
    const id = obj.data.toString("utf8").trim();
    if (!isCommitId(id)) throw new CorruptLakeError(`ref ${refKey(branch)} does not hold a commit id`);
    return { id, version: obj.version };
  }

  /** The id of the branch head, or null for a branch with no commit (an empty lake). */
  async headId(branch: string = DEFAULT_BRANCH): Promise<string | null> {
    return (await this.readRef(branch))?.id ?? null;
  }

  async head(branch: string = DEFAULT_BRANCH): Promise<Commit | null> {
    const id = await this.headId(branch);
    if (id === null) return null;
    try {
      return await this.readCommit(id);
    } catch (e) {
      if (e instanceof CommitNotFoundError) {
        throw new CorruptLakeError(`branch ${branch} points to missing commit ${id}`, { cause: e });
      }
      throw e;
    }
  }

  async readCommit(id: string): Promise<Commit> {
    if (!isCommitId(id)) throw new UnknownRefError(id);
    let commit = this.commits.get(id);
    if (commit === undefined) {
      const obj = await this.storage.read(commitKey(id));
      if (obj === null) throw new CommitNotFoundError(id);
      commit = parseCommit(obj.data, id);
      this.commits.set(id, commit);
    }
    return structuredClone(commit);
  }

  /**
   * A ref: a branch, a tag, a full commit id or a unique prefix of one (>= 4 hex digits), or
   * `REF@TIME` (the commit that was the head of REF at TIME, walking first parents by commit time;
   * a time without a zone is UTC). The default branch of an empty lake resolves to null; anything
   * else unknown is an UnknownRefError, a prefix of several commits an AmbiguousRefError.
   */
  async resolve(ref: string): Promise<Commit | null> {
    return (await this.resolveRef(ref)).commit;
  }

  async resolveRef(ref: string): Promise<ResolvedRef> {
    const at = ref.indexOf("@");
    if (at >= 0) return this.resolveAtTime(ref, ref.slice(0, at), ref.slice(at + 1));
    if (isCommitId(ref)) return { ref, kind: "commit", name: ref, commit: await this.readCommit(ref) };
    if (isValidRefName(ref)) {
      const branch = await this.readRef(ref);
      if (branch !== null) return { ref, kind: "branch", name: ref, commit: await this.head(ref) };
      const tag = await this.readTag(ref);
      if (tag !== null) return { ref, kind: "tag", name: ref, commit: await this.readCommit(tag) };
    }
    if (PREFIX_RE.test(ref)) {
      const keys = await this.storage.list(commitKey(ref).replace(/\.json$/, ""));
      const ids = keys.map((k) => k.slice("commits/".length).replace(/\.json$/, "")).filter(isCommitId);
      if (ids.length > 1) throw new AmbiguousRefError(ref, ids);
      if (ids.length === 1) return { ref, kind: "commit", name: ids[0]!, commit: await this.readCommit(ids[0]!) };
    }
    if (ref === DEFAULT_BRANCH) return { ref, kind: "branch", name: ref, commit: null };
    throw new UnknownRefError(ref);
  }

  private async resolveAtTime(ref: string, base: string, timeText: string): Promise<ResolvedRef> {
    if (base === "" || base.includes("@")) throw new UnknownRefError(ref, REF_TIME_HELP);
    const when = parseRefTime(timeText);
    if (when === null) throw new UnknownRefError(ref, `"${timeText}" is not a time; ${REF_TIME_HELP}`);
    // A branch: where its head pointed at that time, from its head history (when it has one then).
    if (isValidRefName(base) && !isCommitId(base)) {
      const entries = (await this.headHistory(base)).filter(([t]) => t <= when);
      const last = entries[entries.length - 1];
      if (last !== undefined) {
        if (last[1] === DELETED) throw new UnknownRefError(ref, `branch ${base} did not exist at ${new Date(when).toISOString()} (deleted before)`);
        return { ref, kind: "time", name: base, commit: await this.readCommit(last[1]) };
      }
    }
    // Else (a tag, a commit, or a time before the history starts): first-parent history by commit time.
    let commit = await this.resolve(base);
    if (commit === null) throw new UnknownRefError(ref, `${base} has no commits`);
    while (Date.parse(commit.time) > when) {
      const parent = commit.parents[0];
      if (parent === undefined) {
        throw new UnknownRefError(ref, `${base} has no commit at or before ${new Date(when).toISOString()} (its first commit is at ${commit.time})`);
      }
      commit = await this.readCommit(parent);
    }
    return { ref, kind: "time", name: base, commit };
  }

  private async readTag(tag: string): Promise<string | null> {
    const obj = await this.storage.read(tagKey(tag));
    if (obj === null) return null;
    const id = obj.data.toString("utf8").trim();
    if (!isCommitId(id)) throw new CorruptLakeError(`ref ${tagKey(tag)} does not hold a commit id`);
    return id;
  }

  private async listRefs(prefix: string): Promise<RefInfo[]> {
    const keys = await this.storage.list(prefix);
    const out: RefInfo[] = [];
    for (const key of keys) {
      const name = key.slice(prefix.length);
      if (name.includes("/") || !isValidRefName(name)) continue;
      const obj = await this.storage.read(key);
      if (obj === null) continue; // deleted meanwhile
      const id = obj.data.toString("utf8").trim();
      if (!isCommitId(id)) throw new CorruptLakeError(`ref ${key} does not hold a commit id`);
      out.push({ name, commit: id });
    }
    return out;
  }

  /** Every branch with its head, sorted by name. */
  async branches(): Promise<RefInfo[]> {
    return this.listRefs("refs/branches/");
  }

  /** Every tag with its commit, sorted by name. */
  async tags(): Promise<RefInfo[]> {
    return this.listRefs("refs/tags/");
  }

  /** A new branch at the commit `from` resolves to (default: the default branch's head). */
  async createBranch(name: string, from: string = DEFAULT_BRANCH): Promise<Commit> {
    assertBranchName(name);
    if ((await this.readTag(name)) !== null) throw new RefExistsError("branch", name, "tag");
    const commit = await this.resolve(from);
    if (commit === null) throw new RefusedError(`cannot create branch ${name} from ${from}: ${from} has no commits yet (import a table first)`);
    if (!(await this.storage.putIfAbsent(refKey(name), Buffer.from(`${commit.id}\n`, "utf8")))) {
      throw new RefExistsError("branch", name);
    }
    await this.recordHead(name, commit.id);
    return commit;
  }

  /**
   * Removes a branch (its commits stay; the returned head id can recreate it). Refuses the
   * `protect`ed branches (default: "main") and unknown branches.
   */
  async deleteBranch(name: string, protect: readonly string[] = [DEFAULT_BRANCH]): Promise<string> {
    assertBranchName(name);
    if (protect.includes(name)) throw new RefusedError(`cannot delete ${name}: it is the project's default branch`);
    const ref = await this.readRef(name);
    if (ref === null) throw new UnknownRefError(name, "no branch of that name");
    await this.storage.delete(refKey(name));
    await this.recordHead(name, DELETED);
    return ref.id;
  }

  /** A tag: an immutable name for the commit `ref` resolves to (created once, never moved). */
  async createTag(name: string, ref: string = DEFAULT_BRANCH): Promise<Commit> {
    assertTagName(name);
    if ((await this.readRef(name)) !== null) throw new RefExistsError("tag", name, "branch");
    const commit = await this.resolve(ref);
    if (commit === null) throw new RefusedError(`cannot tag ${ref}: it has no commits yet`);
    if (!(await this.storage.putIfAbsent(tagKey(name), Buffer.from(`${commit.id}\n`, "utf8")))) {
      throw new RefExistsError("tag", name);
    }
    return commit;
  }

  /**
   * History of `ref` along first parents, newest first. With `table`: only the commits where that
   * table's entry differs from the first parent's (a root commit counts when it has the table).
   */
  async log(ref: string = DEFAULT_BRANCH, options: LogOptions = {}): Promise<Commit[]> {
    const out: Commit[] = [];
    const limit = options.limit ?? Infinity;
    let commit = await this.resolve(ref);
    while (commit !== null && out.length < limit) {
      const parent = commit.parents[0] === undefined ? null : await this.readCommit(commit.parents[0]);
      if (options.table === undefined || !sameEntry(commit.tables[options.table], parent?.tables[options.table])) out.push(commit);
      commit = parent;
    }
    return out;
  }

  /** Tables added, removed and changed (with row counts) from `from` to `to`. */
  async diff(from: string, to: string): Promise<DiffResult> {
    const a = await this.resolve(from);
    const b = await this.resolve(to);
    return { from: a?.id ?? null, to: b?.id ?? null, ...diffTables(a?.tables ?? {}, b?.tables ?? {}) };
  }

  /** Every ancestor of `id` (itself included), through all parents. */
  private async ancestors(id: string): Promise<Map<string, Commit>> {
    const seen = new Map<string, Commit>();
    const queue = [id];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      const c = await this.readCommit(next);
      seen.set(next, c);
      queue.push(...c.parents);
    }
    return seen;
  }

  /** Whether `ancestor` is reachable from `descendant` through parents (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const queue = [descendant];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (next === ancestor) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(await this.readCommit(next)).parents);
    }
    return false;
  }

  /** The best common ancestor of two commits (the newest of those not behind another), or null. */
  async mergeBase(a: string, b: string): Promise<Commit | null> {
    const ofA = await this.ancestors(a);
    const common: Commit[] = [];
    const queue = [b];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      const hit = ofA.get(next);
      if (hit !== undefined) {
        common.push(hit);
        continue;
      }
      queue.push(...(await this.readCommit(next)).parents);
    }
    const best: Commit[] = [];
    for (const c of common) {
      let behind = false;
      for (const other of common) if (other.id !== c.id && (await this.isAncestor(c.id, other.id))) behind = true;
      if (!behind) best.push(c);
    }
    best.sort((x, y) => (x.time === y.time ? (x.id < y.id ? -1 : 1) : x.time > y.time ? -1 : 1));
    return best[0] ?? null;
  }

  /**
   * Merges `from` into the branch `into`: nothing when `from` is already in its history, a
   * fast-forward when the branch head is an ancestor of `from`, otherwise a two-parent commit whose
   * tables are the three-way merge against the merge base. Both sides changing the same table is a
   * MergeConflictError naming the tables (nothing written). The head moves by compare-and-swap.
   */
  async merge(args: MergeArgs): Promise<MergeResult> {
    assertBranchName(args.into);
    const source = await this.resolve(args.from);
    if (source === null) throw new UnknownRefError(args.from, "it has no commits");
    const target = await this.readRef(args.into);
    if (target === null) throw new UnknownRefError(args.into, "no branch of that name");
    const head = await this.readCommit(target.id);
    if (await this.isAncestor(source.id, target.id)) {
      return { kind: "up-to-date", into: args.into, commit: head, previousHead: target.id, mergeBase: source.id };
    }
    if (await this.isAncestor(target.id, source.id)) {
      await this.moveRef(args.into, target, source.id);
      return { kind: "fast-forward", into: args.into, commit: source, previousHead: target.id, mergeBase: target.id };
    }
    const base = await this.mergeBase(target.id, source.id);
    const { tables, conflicts } = mergeTables(base?.tables ?? {}, head.tables, source.tables);
    if (conflicts.length > 0) throw new MergeConflictError(args.from, args.into, conflicts);
    const commit = await this.writeCommit(args.into, target, {
      parents: [target.id, source.id],
      time: this.now().toISOString(),
      message: args.message ?? `merge ${args.from} into ${args.into}`,
      author: args.author ?? defaultAuthor(),
      tables,
    });
    return { kind: "merge", into: args.into, commit, previousHead: target.id, mergeBase: base?.id ?? null };
  }

  /**
   * Moves `branch` from `expectedHead` to the existing commit `to` (compare-and-swap), e.g. to
   * promote a run's branch. `expectedHead` null: the branch must not exist yet.
   */
  async moveBranch(branch: string, expectedHead: string | null, to: string): Promise<void> {
    assertBranchName(branch);
    await this.readCommit(to);
    const ref = await this.readRef(branch);
    if ((ref?.id ?? null) !== expectedHead) throw new BranchMovedError(branch, expectedHead, ref?.id ?? null);
    await this.moveRef(branch, ref, to);
  }

  private async moveRef(branch: string, from: RefState | null, to: string): Promise<void> {
    const moved = await this.storage.putIfVersion(refKey(branch), Buffer.from(`${to}\n`, "utf8"), from?.version ?? null);
    if (!moved) {
      const now = await this.readRef(branch);
      throw new BranchMovedError(branch, from?.id ?? null, now?.id ?? null);
    }
    await this.recordHead(branch, to);
  }

  /**
   * Appends to the branch's head history (`reflog/branches/<branch>/<ms>-<id>`, write-once
   * objects), which `branch@time` reads: the commit the branch pointed to at that time, also after
   * fast-forwards. Written after the head moved; a crash in between only loses that entry (time
   * travel then falls back to first-parent history for that moment).
   */
  private async recordHead(branch: string, id: string | typeof DELETED): Promise<void> {
    if (branch.startsWith(INTERNAL_BRANCH_PREFIX)) return; // bp's own short-lived branches (a build's run branch)
    const key = `${reflogPrefix(branch)}${String(this.now().getTime()).padStart(15, "0")}-${id}`;
    await this.storage.putIfAbsent(key, Buffer.alloc(0)).catch(() => false);
  }

  /** The head history of `branch`, oldest first: [time ms, commit id or DELETED]. */
  private async headHistory(branch: string): Promise<[number, string][]> {
    const keys = await this.storage.list(reflogPrefix(branch));
    return keys
      .map((k) => /(\d{15})-([0-9a-f]{64}|deleted)$/.exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m): [number, string] => [Number(m[1]), m[2]!])
      .sort((a, b) => a[0] - b[0]);
  }

  /** Every table at `ref` (default "main"); `{}` for an empty lake. */
  async tables(ref: string = DEFAULT_BRANCH): Promise<Record<string, TableEntry>> {
    return (await this.resolve(ref))?.tables ?? {};
  }

  /** A fresh data file for `table` (never used before); its folders are created. */
  newDataFile(table: string): { path: string; absolute: string } {
    assertTableName(table);
    const p = `data/${table}/${randomUUID()}.parquet`;
    return { path: p, absolute: this.storage.prepareWrite(p) };
  }

  /** What DuckDB should read for a data file path of a commit. */
  dataFileLocation(p: string): string {
    assertDataFilePath(p);
    return this.storage.location(p);
  }

  /** Deletes a data file that no commit references (a failed import or write). */
  async discardDataFile(p: string): Promise<void> {
    assertDataFilePath(p);
    await this.storage.delete(p);
    await this.storage.pruneEmptyParents?.(p);
  }

  /**
   * Commits a new snapshot of `branch`: the tables of `expectedHead` with `put` replaced and
   * `drop` removed. Data files must already be written. Atomic: either the branch moves to the new
   * commit or the catalog reads exactly as before.
   */
  async commit(args: CommitArgs): Promise<Commit> {
    const branch = args.branch ?? DEFAULT_BRANCH;
    assertBranchName(branch);
    const put = args.put ?? {};
    const drop = args.drop ?? [];
    for (const t of [...Object.keys(put), ...drop]) assertTableName(t);
    for (const t of drop) {
      if (Object.hasOwn(put, t)) throw new InvalidTableEntryError(t, "both put and dropped in one commit");
    }
    if (args.expectedHead !== null && !isCommitId(args.expectedHead)) throw new UnknownRefError(args.expectedHead);
    const author = args.author ?? defaultAuthor();

    const ref = await this.readRef(branch);
    if ((ref?.id ?? null) !== args.expectedHead) {
      throw new BranchMovedError(branch, args.expectedHead, ref?.id ?? null);
    }
    const base = ref === null ? null : await this.readCommit(ref.id);
    const tables: Record<string, TableEntry> = { ...(base?.tables ?? {}) };

    for (const t of drop) {
      if (!Object.hasOwn(tables, t)) throw new UnknownTableError(t);
      delete tables[t];
    }

    const known = new Set<string>();
    for (const e of Object.values(base?.tables ?? {})) for (const f of e.files) known.add(f.path);
    const fresh: string[] = [];
    for (const [t, entry] of Object.entries(put)) {
      const problem = tableEntryProblem(entry);
      if (problem !== null) throw new InvalidTableEntryError(t, problem);
      for (const f of entry.files) {
        try {
          assertDataFilePath(f.path);
        } catch (e) {
          throw new InvalidTableEntryError(t, (e as Error).message);
        }
        if (known.has(f.path)) continue;
        const size = await this.storage.size(f.path);
        if (size === null) throw new InvalidTableEntryError(t, `data file ${f.path} does not exist`);
        if (size !== f.bytes) throw new InvalidTableEntryError(t, `data file ${f.path} has ${size} bytes, entry says ${f.bytes}`);
        fresh.push(f.path);
      }
      tables[t] = copyEntry(entry);
    }

    // 1. data files durable
    await Promise.all(fresh.map((p) => this.storage.sync(p)));

    return this.writeCommit(branch, ref, {
      parents: args.expectedHead === null ? [] : [args.expectedHead],
      time: this.now().toISOString(),
      message: args.message,
      author,
      tables,
    });
  }

  /** Writes the commit object (write-once) and moves `branch` from `ref` to it by compare-and-swap. */
  private async writeCommit(branch: string, ref: RefState | null, body: CommitBody): Promise<Commit> {
    const commit: Commit = { id: commitId(body), ...body };
    const bytes = serializeCommit(commit);
    if (!(await this.storage.putIfAbsent(commitKey(commit.id), bytes))) {
      const existing = await this.storage.read(commitKey(commit.id));
      if (existing === null || !existing.data.equals(bytes)) {
        throw new CorruptLakeError(`commit object ${commit.id} exists with different content`);
      }
    }
    await this.moveRef(branch, ref, commit.id);
    this.commits.set(commit.id, commit);
    return structuredClone(commit);
  }
}
