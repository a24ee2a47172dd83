/** Naming rules for tables, branches and data-file paths. */
import { InvalidNameError } from "./errors.js";

export const TABLE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Branch names: one path segment, so a ref is one object (`refs/branches/<name>`). */
export const BRANCH_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const COMMIT_ID_RE = /^[0-9a-f]{64}$/;
export const DEFAULT_BRANCH = "main";

export function isValidTableName(name: string): boolean {
  return TABLE_NAME_RE.test(name);
}

export function assertTableName(name: string): void {
  if (!TABLE_NAME_RE.test(name)) {
    throw new InvalidNameError("table", name, "use letters, digits and _, not starting with a digit");
  }
}

export function isCommitId(value: string): boolean {
  return COMMIT_ID_RE.test(value);
}

export function isValidRefName(name: string): boolean {
  return (
    BRANCH_NAME_RE.test(name) &&
    name.length <= 200 &&
    !name.includes("..") &&
    !name.endsWith(".lock") &&
    !name.endsWith(".tmp") &&
    !isCommitId(name)
  );
}

/** Tags follow the branch rules (one path segment, `refs/tags/<name>`). */
export function assertTagName(name: string): void {
  if (!isValidRefName(name)) {
    throw new InvalidNameError("tag", name, "use letters, digits, _, . and -, not ending in .lock/.tmp and not a 64-hex commit id");
  }
}

export function assertBranchName(name: string): void {
  const ok =
    BRANCH_NAME_RE.test(name) &&
    name.length <= 200 &&
    !name.includes("..") &&
    !name.endsWith(".lock") &&
    !name.endsWith(".tmp") &&
    !isCommitId(name);
  if (!ok) {
    throw new InvalidNameError(
      "branch",
      name,
      "use letters, digits, _, . and -, not ending in .lock/.tmp and not a 64-hex commit id",
    );
  }
}

/** A data file path as stored in a commit: relative, `/`-separated, under `data/`, no `.`/`..` segments. */
export function assertDataFilePath(p: string): void {
  const segments = p.split("/");
  const ok =
    p.startsWith("data/") &&
    !p.includes("\\") &&
    !p.includes("\0") &&
    segments.every((s) => s !== "" && s !== "." && s !== "..");
  if (!ok) throw new InvalidNameError("path", p, "a data file path is relative to the lake root and under data/");
}
