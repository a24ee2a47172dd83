/**
 * The lake: immutable Parquet data files plus a catalog of write-once commits and mutable branch
 * heads. Layout, guarantees and the crash analysis are in runtime/lake/CONTEXT.md.
 */
import { randomUUID } from "node:crypto";
import { defaultAuthor } from "./author.js";
import { commitId } from "./commit-id.js";
import { parseCommit, serializeCommit, tableEntryProblem } from "./commit-format.js";
import {
  BranchMovedError,
  CommitNotFoundError,
  CorruptLakeError,
  InvalidTableEntryError,
  UnknownRefError,
  UnknownTableError,
} from "./errors.js";
import { LocalLakeStorage, type LocalLakeStorageOptions } from "./local-storage.js";
import { DEFAULT_BRANCH, assertBranchName, assertDataFilePath, assertTableName, isCommitId } from "./names.js";
import type { LakeStorage } from "./storage.js";
import type { Commit, CommitBody, TableEntry } from "./types.js";

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

const refKey = (branch: string): string => `refs/branches/${branch}`;
const commitKey = (id: string): string => `commits/${id}.json`;

/** A copy with exactly the known fields (extra properties of the caller's objects are not stored). */
function copyEntry(e: TableEntry): TableEntry {
  const copy: TableEntry = {
    schema: e.schema.map((c) => ({ name: c.name, type: c.type })),
    rows: e.rows,
    bytes: e.bytes,
    files: e.files.map((f) => ({ path: f.path, rows: f.rows, bytes: f.bytes })),
  };
  if (e.producedBy !== undefined) copy.producedBy = e.producedBy;
  return copy;
}

export class Lake {
  readonly root: string;
  private readonly commits = new Map<string, Commit>();

  constructor(readonly storage: LakeStorage) {
    this.root = storage.root;
  }

  /** A lake in a local folder. Creates nothing until the first write. */
  static open(root: string, options: LocalLakeStorageOptions = {}): Lake {
    return new Lake(new LocalLakeStorage(root, options));
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
   * A branch name or a full commit id. The default branch of an empty lake resolves to null;
   * any other branch that does not exist is an UnknownRefError.
   */
  async resolve(ref: string): Promise<Commit | null> {
    if (isCommitId(ref)) return this.readCommit(ref);
    if (ref === DEFAULT_BRANCH) return this.head(ref);
    try {
      assertBranchName(ref);
    } catch {
      throw new UnknownRefError(ref);
    }
    if ((await this.readRef(ref)) === null) throw new UnknownRefError(ref);
    return this.head(ref);
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

    // 2. the commit object, write-once
    const body: CommitBody = {
      parents: args.expectedHead === null ? [] : [args.expectedHead],
      time: new Date().toISOString(),
      message: args.message,
      author,
      tables,
    };
    const commit: Commit = { id: commitId(body), ...body };
    const bytes = serializeCommit(commit);
    if (!(await this.storage.putIfAbsent(commitKey(commit.id), bytes))) {
      const existing = await this.storage.read(commitKey(commit.id));
      if (existing === null || !existing.data.equals(bytes)) {
        throw new CorruptLakeError(`commit object ${commit.id} exists with different content`);
      }
    }

    // 3. move the branch head: compare-and-swap from the head we built on
    const moved = await this.storage.putIfVersion(
      refKey(branch),
      Buffer.from(`${commit.id}\n`, "utf8"),
      ref?.version ?? null,
    );
    if (!moved) {
      const now = await this.readRef(branch);
      throw new BranchMovedError(branch, args.expectedHead, now?.id ?? null);
    }
    this.commits.set(commit.id, commit);
    return structuredClone(commit);
  }
}
