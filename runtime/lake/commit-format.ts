/** Reading and writing commit objects (`commits/<id>.json`), with validation. */
import { z } from "zod";
import { canonicalJson, commitId } from "./commit-id.js";
import { CorruptLakeError } from "./errors.js";
import type { Commit, TableEntry } from "./types.js";

const count = z.number().int().nonnegative();

export const dataFileSchema = z
  .object({ path: z.string().min(1), rows: count, bytes: count })
  .strict();

export const tableEntrySchema = z
  .object({
    schema: z.array(z.object({ name: z.string().min(1), type: z.string().min(1) }).strict()),
    rows: count,
    bytes: count,
    files: z.array(dataFileSchema),
    producedBy: z.string().min(1).optional(),
    cacheKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();

export const commitSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    parents: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
    time: z.string().min(1),
    message: z.string(),
    author: z.string(),
    tables: z.record(tableEntrySchema),
  })
  .strict();

/** The bytes of a commit object: canonical JSON (sorted keys) with the id, plus a newline. */
export function serializeCommit(commit: Commit): Buffer {
  return Buffer.from(`${canonicalJson(commit)}\n`, "utf8");
}

/** Parses and verifies a commit object: shape, id equal to the expected one and to its content hash. */
export function parseCommit(data: Buffer, expectedId: string): Commit {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString("utf8"));
  } catch (e) {
    throw new CorruptLakeError(`commit ${expectedId}: not valid JSON`, { cause: e });
  }
  const parsed = commitSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptLakeError(`commit ${expectedId}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`);
  }
  const commit = parsed.data as Commit;
  if (commit.id !== expectedId) {
    throw new CorruptLakeError(`commit object ${expectedId} claims id ${commit.id}`);
  }
  const actual = commitId(commit);
  if (actual !== expectedId) {
    throw new CorruptLakeError(`commit ${expectedId} does not match its content (hash ${actual}); it was modified`);
  }
  return commit;
}

export function tableEntryProblem(entry: TableEntry): string | null {
  const parsed = tableEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`.trim();
  }
  if (entry.schema.length === 0) return "schema has no columns";
  const names = new Set<string>();
  for (const c of entry.schema) {
    const k = c.name.toLowerCase();
    if (names.has(k)) return `duplicate column ${c.name}`;
    names.add(k);
  }
  const rows = entry.files.reduce((n, f) => n + f.rows, 0);
  const bytes = entry.files.reduce((n, f) => n + f.bytes, 0);
  if (rows !== entry.rows) return `rows is ${entry.rows} but its files hold ${rows}`;
  if (bytes !== entry.bytes) return `bytes is ${entry.bytes} but its files total ${bytes}`;
  const paths = new Set<string>();
  for (const f of entry.files) {
    if (paths.has(f.path)) return `file ${f.path} listed twice`;
    paths.add(f.path);
  }
  return null;
}
