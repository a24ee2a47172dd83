/** The lake's public surface. */
export {
  Lake,
  defaultAuthor,
  type CommitArgs,
  type DiffResult,
  type LakeOptions,
  type LogOptions,
  type MergeArgs,
  type MergeResult,
  type RefInfo,
  type ResolvedRef,
  type TableDiff,
} from "./lake.js";
export { parseRefTime, REF_TIME_HELP } from "./ref-time.js";
export { diffTables, mergeTables, changedTables, sameEntry } from "./table-diff.js";
export type { Commit, CommitBody, DataFile, TableEntry, ColumnSchema } from "./types.js";
export type { LakeStorage, StoredObject } from "./storage.js";
export { LocalLakeStorage, type LocalLakeStorageOptions } from "./local-storage.js";
export { canonicalJson, commitId, sha256Hex } from "./commit-id.js";
export * from "./errors.js";
export { TABLE_NAME_RE, DEFAULT_BRANCH, isValidTableName, isCommitId, isValidRefName } from "./names.js";
export { importFile, detectFormat, type ImportFormat, type ImportOptions } from "./import-table.js";
export { writeTableToLake, copySelectToLake, describeDataFile } from "./write-table.js";
export { scanSql, createLakeViews } from "./lake-views.js";
export { quoteIdent, quoteString } from "./sql-quote.js";
