/**
 * readTs: readTsModel through a per-file cache, so that a compile loads the TypeScript compiler only
 * when a TS model changed (like dbt's partial parsing). Entries live in the project's
 * `.bp/cache/ts-read/` (see project-cache.ts), one file per (reader, model path, model text):
 * - key: sha256 of the reader's fingerprint (bp's version, the source of the reader itself, i.e. the
 *   files of this folder and ../diagnostics, TypeScript's and zod's versions), the path and the text;
 * - entry: `{"key", "sha256", "value"}` (project-cache.ts) where sha256 is the hash of the result's
 *   JSON text; an entry that does not parse or whose key or hash does not match is ignored, and replaced;
 * - only results that come back from JSON exactly equal (util.isDeepStrictEqual) are stored, so a
 *   hit gives exactly what a fresh read gives, diagnostics included.
 * prune() removes the entries a compile did not use (edited, renamed or deleted models).
 * This module does not load TypeScript: read-ts-model.js is imported on the first miss only.
 */
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ReadTsModelResult } from "./read-ts-model.js";
import { packageRoot } from "../package-root.js";
import { fingerprint, packageVersion, readEntry, readOptional, sha256, writeEntry } from "../project-cache.js";

/** The folder of the entries in the project's cache folder. */
export const TS_READ_CACHE_DIR = "ts-read";

export class TsReadCache {
  private readonly used = new Set<string>();

  /** `dir`: the folder of the entries (`<project>/.bp/cache/ts-read`). */
  constructor(readonly dir: string) {}

  /** The cached result of reading `file` with content `text`, or undefined. */
  get(file: string, text: string): ReadTsModelResult | undefined {
    const key = entryKey(file, text);
    this.used.add(key);
    return readEntry(this.entryFile(key), key, isResult);
  }

  set(file: string, text: string, result: ReadTsModelResult): void {
    const key = entryKey(file, text);
    this.used.add(key);
    writeEntry(this.entryFile(key), key, result);
  }

  /** Removes the entries this compile did not look up (temp files of other processes are left alone). */
  prune(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const key = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
      if (key === undefined || this.used.has(key)) continue;
      rmSync(path.join(this.dir, name), { force: true });
    }
  }

  private entryFile(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }
}

/** readTsModel(file, text), from the cache when it holds the result. */
export async function readTs(file: string, text: string, cache?: TsReadCache): Promise<ReadTsModelResult> {
  const hit = cache?.get(file, text);
  if (hit) return hit;
  const { readTsModel } = await import("./read-ts-model.js");
  const result = readTsModel(file, text);
  cache?.set(file, text, result);
  return result;
}

function isResult(value: unknown): value is ReadTsModelResult {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  const settingsLike = (v: unknown) => v === null || (typeof v === "object" && !Array.isArray(v));
  return Array.isArray(r.diagnostics) && settingsLike(r.settings) && settingsLike(r.partialSettings);
}

function entryKey(file: string, text: string): string {
  return sha256(`${readerFingerprint()}\0${file}\0${text}`);
}

let readerPrint: string | undefined;

/** What a read depends on besides the file: bp's version, the reader's source, TypeScript's and zod's versions. */
export function readerFingerprint(): string {
  if (readerPrint !== undefined) return readerPrint;
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here); // .js when built, .ts when run from sources
  const dir = path.dirname(here);
  const sources = readdirSync(dir)
    .filter((name) => name.endsWith(ext) && !name.endsWith(`.d${ext}`))
    .sort()
    .map((name) => ({ file: path.join(dir, name) }));
  readerPrint = fingerprint([
    `bp ${bpVersion()}`,
    ...sources,
    { file: path.join(dir, "..", `diagnostics${ext}`) },
    `typescript ${packageVersion("typescript")}`,
    `zod ${packageVersion("zod")}`,
  ]);
  return readerPrint;
}

function bpVersion(): string {
  try {
    const version = (JSON.parse(readOptional(path.join(packageRoot(), "package.json"))?.toString("utf8") ?? "{}") as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
