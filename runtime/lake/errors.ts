/**
 * Typed errors of the lake. Every one carries a stable `code` so the CLI can map it to a message
 * and an exit status without matching on text.
 */

export type LakeErrorCode =
  | "branch-moved"
  | "lake-locked"
  | "commit-not-found"
  | "unknown-ref"
  | "ambiguous-ref"
  | "ref-exists"
  | "refused"
  | "merge-conflict"
  | "invalid-name"
  | "invalid-table-entry"
  | "unknown-table"
  | "unknown-column"
  | "corrupt-lake"
  | "import-failed"
  | "write-failed";

export class LakeError extends Error {
  readonly code: LakeErrorCode;
  constructor(code: LakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

const show = (id: string | null): string => id ?? "(empty)";

/** The branch head is not the one the caller expected (someone else committed meanwhile). */
export class BranchMovedError extends LakeError {
  constructor(
    readonly branch: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super("branch-moved", `branch ${branch} moved from ${show(expected)} to ${show(actual)}; re-run`);
  }
}

/** Another process holds the branch lock for longer than the lock timeout. */
export class LakeLockedError extends LakeError {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super(
      "lake-locked",
      `lake lock ${lockPath} is held by ${holder}; retry, or delete the lock file if no bp process is running`,
    );
  }
}

export class CommitNotFoundError extends LakeError {
  constructor(readonly commitId: string) {
    super("commit-not-found", `commit ${commitId} not found in the lake`);
  }
}

export class UnknownRefError extends LakeError {
  constructor(
    readonly ref: string,
    detail = "not a branch, a tag, nor a commit id (or a unique prefix of at least 4 hex digits) of the lake",
  ) {
    super("unknown-ref", `unknown ref "${ref}": ${detail}`);
  }
}

/** A commit-id prefix that matches several commits. */
export class AmbiguousRefError extends LakeError {
  constructor(
    readonly ref: string,
    readonly candidates: readonly string[],
  ) {
    super(
      "ambiguous-ref",
      `ambiguous ref "${ref}": it is the prefix of ${candidates.length} commits (${candidates.slice(0, 10).join(", ")}${candidates.length > 10 ? ", ..." : ""}); give more digits`,
    );
  }
}

/** A branch or tag that already exists (tags never move; a name is a branch or a tag, not both). */
export class RefExistsError extends LakeError {
  constructor(
    readonly kind: "branch" | "tag",
    readonly name: string,
    existing: "branch" | "tag" = kind,
  ) {
    super("ref-exists", existing === kind ? `${kind} ${name} already exists` : `cannot create ${kind} ${name}: a ${existing} of that name exists`);
  }
}

/** An operation the catalog refuses (deleting the default branch, branching from an empty ref...). */
export class RefusedError extends LakeError {
  constructor(message: string) {
    super("refused", message);
  }
}

/** A three-way merge where both sides changed the same tables. Nothing was committed. */
export class MergeConflictError extends LakeError {
  constructor(
    readonly from: string,
    readonly into: string,
    readonly tables: readonly string[],
  ) {
    super(
      "merge-conflict",
      `cannot merge ${from} into ${into}: both sides changed ${tables.length === 1 ? "table" : "tables"} ${tables.join(", ")} since their merge base; nothing was committed`,
    );
  }
}

export class InvalidNameError extends LakeError {
  constructor(
    readonly kind: "table" | "branch" | "tag" | "path",
    readonly value: string,
    rule: string,
  ) {
    super("invalid-name", `invalid ${kind} name ${JSON.stringify(value)}: ${rule}`);
  }
}

export class InvalidTableEntryError extends LakeError {
  constructor(
    readonly table: string,
    problem: string,
  ) {
    super("invalid-table-entry", `table ${table}: ${problem}`);
  }
}

export class UnknownTableError extends LakeError {
  constructor(readonly table: string) {
    super("unknown-table", `table ${table} does not exist in the lake`);
  }
}

export class UnknownColumnError extends LakeError {
  constructor(
    readonly column: string,
    readonly available: readonly string[],
  ) {
    super("unknown-column", `unknown column ${JSON.stringify(column)}; the table has: ${available.join(", ")}`);
  }
}

/** The catalog contradicts itself (bad JSON, a commit whose id is not its hash, a head with no commit). */
export class CorruptLakeError extends LakeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("corrupt-lake", message, options);
  }
}

export type ImportFailure =
  | "bad-table-name"
  | "file-not-found"
  | "unsupported-format"
  | "empty-input"
  | "unreadable-input";

/** `importFile` failed; nothing was committed and no data file was left behind. */
export class ImportError extends LakeError {
  constructor(
    readonly reason: ImportFailure,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("import-failed", message, options);
  }
}

/** `writeTableToLake` failed; no data file was left behind. */
export class WriteTableError extends LakeError {
  constructor(
    readonly table: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("write-failed", message, options);
  }
}

/** First line of an error's message (DuckDB messages run over many lines). */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").find((l) => l.trim() !== "")?.trim() ?? text;
}
