/**
 * The project's cache folder (`.bp/cache/`): what a compile can reuse from an earlier one (TS
 * models' static reads, the V8 code cache of the TypeScript compiler, which column types can cross
 * to a TS model). Every entry is keyed by what it was computed from, written atomically (temp file,
 * then rename) and ignored when it cannot be read, does not parse or does not match its key: the
 * cache only ever makes a compile faster, never different.
 */
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { requireCjs } from "./require-cjs.js";

/** Relative to the project folder. */
export const CACHE_DIR = path.join(".bp", "cache");

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Writes `file` so that readers see the old content or the new, never a part; false if it could not. */
export function writeFileAtomic(file: string, data: string | Uint8Array): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/** The file's bytes, or undefined when it cannot be read. */
export function readOptional(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The version of an installed package, as found from bp's own folder; "unknown" if not found. */
export function packageVersion(name: string): string {
  let dir: string;
  try {
    dir = path.dirname(requireCjs.resolve(name));
  } catch {
    return "unknown";
  }
  for (;;) {
    const manifest = readOptional(path.join(dir, "package.json"));
    if (manifest !== undefined) {
      try {
        const parsed = JSON.parse(manifest.toString("utf8")) as { name?: unknown; version?: unknown };
        if (parsed.name === name) return typeof parsed.version === "string" ? parsed.version : "unknown";
      } catch {
        // not this one: go up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/**
 * sha256 over labelled parts: versions, and the content of source files (a missing file counts as
 * empty). Two fingerprints are equal only if every part is.
 */
export function fingerprint(parts: readonly (string | { readonly file: string })[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    if (typeof part === "string") hash.update(`${part}\0`);
    else hash.update(`${path.basename(part.file)}\0`).update(readOptional(part.file) ?? "").update("\0");
  }
  return hash.digest("hex");
}

/**
 * A cache entry: `{"key", "sha256", "value"}`, value being the JSON text of the cached value and
 * sha256 its hash. Returns the value, or undefined when the file is missing, does not parse, is for
 * another key, fails its hash or `valid`.
 */
export function readEntry<T>(file: string, key: string, valid: (value: unknown) => value is T): T | undefined {
  const bytes = readOptional(file);
  if (bytes === undefined) return undefined;
  try {
    const entry = JSON.parse(bytes.toString("utf8")) as { key?: unknown; sha256?: unknown; value?: unknown } | null;
    if (entry?.key !== key || typeof entry.value !== "string" || sha256(entry.value) !== entry.sha256) return undefined;
    const value = JSON.parse(entry.value) as unknown;
    return valid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Writes an entry for readEntry, unless the value would not come back from JSON exactly equal. */
export function writeEntry(file: string, key: string, value: unknown): boolean {
  const json = JSON.stringify(value);
  if (json === undefined || !isDeepStrictEqual(JSON.parse(json), value)) return false;
  return writeFileAtomic(file, JSON.stringify({ key, sha256: sha256(json), value: json }));
}
