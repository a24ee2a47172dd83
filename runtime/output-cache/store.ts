/**
 * The output cache on local disk: one folder per cache key under `<project>/.bp/cache/outputs/v1/`,
 *
 *   <key>/meta.json      what the entry holds (OutputEntryMeta); its mtime is the entry's last use
 *   <key>/data.parquet   a SQL model's table (written by DuckDB), or
 *   <key>/data.arrow     a TS model's Arrow IPC output file (mapped by the TS models reading it)
 *
 * An entry without data (format "none") only records that the key was computed, with its row count:
 * enough for a model nothing downstream reads. Entries appear atomically (built in a temporary folder,
 * then renamed), so a killed run leaves no half entry; damaged entries read as misses. The size is
 * bounded by evicting the least recently used entries after a run (never those the run used, nor
 * entries used in the last minute, which another bp process may be reading).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ColumnSchema } from "../../compiler/plan-types.js";
import { parseSize } from "../lake/open-lake.js";

export const OUTPUT_CACHE_LAYOUT = "v1";
/** Default bound of the cache's size; BP_OUTPUT_CACHE_MAX_SIZE or RunOptions.cache.maxBytes change it. */
export const DEFAULT_OUTPUT_CACHE_BYTES = 4 * 2 ** 30;
/** Entries used this recently are never evicted: another bp process may be reading them. */
const IN_USE_MS = 60_000;

export type OutputFormat = "parquet" | "arrow" | "none";

export interface OutputEntryMeta {
  readonly key: string;
  /** The node that computed it (for `bp cache ls`). */
  readonly node: string;
  readonly format: OutputFormat;
  readonly rows: number | null;
  /** Size of the data file (0 for "none"). */
  readonly bytes: number;
  /** The table's columns as DuckDB typed them (a Parquet entry is read back with these types). */
  readonly schema: readonly ColumnSchema[] | null;
  readonly created: string;
}

export interface OutputEntry {
  readonly meta: OutputEntryMeta;
  /** The data file, or null for "none". */
  readonly dataPath: string | null;
  /** Last use. */
  readonly used: Date;
}

const KEY = /^[0-9a-f]{64}$/;
/** What an entry costs beyond its data (folder and meta.json), so that records without data are bounded too. */
const ENTRY_OVERHEAD = 4096;

export class OutputCache {
  readonly dir: string;
  readonly maxBytes: number;

  /** `root`: the cache folder (`<project>/.bp/cache/outputs`); entries live in its layout subfolder. */
  constructor(root: string, maxBytes: number = DEFAULT_OUTPUT_CACHE_BYTES) {
    this.dir = path.join(root, OUTPUT_CACHE_LAYOUT);
    this.maxBytes = maxBytes;
  }

  /** The entry for `key`, or null (absent or damaged). */
  get(key: string): OutputEntry | null {
    if (!KEY.test(key)) return null;
    const folder = path.join(this.dir, key);
    try {
      const metaPath = path.join(folder, "meta.json");
      const meta = JSON.parse(readFileSync(metaPath, "utf8")) as OutputEntryMeta;
      if (meta.key !== key) return null;
      const dataPath = meta.format === "none" ? null : path.join(folder, dataFileName(meta.format));
      if (dataPath !== null && statSync(dataPath).size !== meta.bytes) return null;
      return { meta, dataPath, used: statSync(metaPath).mtime };
    } catch {
      return null;
    }
  }

  /** Marks an entry as just used (for LRU eviction). */
  touch(key: string): void {
    const now = new Date();
    try {
      utimesSync(path.join(this.dir, key, "meta.json"), now, now);
    } catch {
      // evicted meanwhile: nothing to mark
    }
  }

  /**
   * Adds an entry: `writeData(file)` writes the data file (not called for "none") and may say how
   * many rows it holds; the entry appears only once it is complete. An entry already there for the
   * key is kept as it is (and returned).
   */
  async put(
    meta: Omit<OutputEntryMeta, "bytes" | "created" | "rows"> & { readonly rows?: number | null },
    writeData?: (file: string) => Promise<{ rows?: number | null } | void>,
  ): Promise<OutputEntry> {
    const folder = path.join(this.dir, meta.key);
    const existing = this.get(meta.key);
    if (existing) return existing;
    const tmp = path.join(this.dir, `.tmp-${meta.key.slice(0, 12)}-${randomBytes(4).toString("hex")}`);
    mkdirSync(tmp, { recursive: true });
    try {
      let bytes = 0;
      let rows = meta.rows ?? null;
      if (meta.format !== "none") {
        const file = path.join(tmp, dataFileName(meta.format));
        const written = await writeData!(file);
        if (written && written.rows !== undefined) rows = written.rows;
        bytes = statSync(file).size;
      }
      const full: OutputEntryMeta = { ...meta, rows, bytes, created: new Date().toISOString() };
      writeFileSync(path.join(tmp, "meta.json"), `${JSON.stringify(full, null, 2)}\n`);
      try {
        renameSync(tmp, folder);
      } catch (err) {
        // Another run added the same key meanwhile: theirs is as good as ours. A damaged one is replaced.
        if (this.get(meta.key) !== null) return this.get(meta.key)!;
        rmSync(folder, { recursive: true, force: true });
        try {
          renameSync(tmp, folder);
        } catch {
          throw err;
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return this.get(meta.key)!;
  }

  /** Every entry, most recently used first. */
  list(): OutputEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => KEY.test(n))
      .flatMap((n) => {
        const e = this.get(n);
        return e ? [e] : [];
      })
      .sort((a, b) => b.used.getTime() - a.used.getTime());
  }

  /** Total size of the entries' data files. */
  size(): number {
    return this.list().reduce((n, e) => n + e.meta.bytes, 0);
  }

  /**
   * Removes the least recently used entries until the data fits `maxBytes`; `keep` (the keys a run
   * used or wrote) and entries used in the last minute stay. Also removes leftovers of killed runs.
   * Returns the bytes freed.
   */
  evict(keep: ReadonlySet<string> = new Set()): number {
    this.removeLeftovers();
    const entries = this.list();
    const cost = (e: OutputEntry) => e.meta.bytes + ENTRY_OVERHEAD;
    let total = entries.reduce((n, e) => n + cost(e), 0);
    let freed = 0;
    const now = Date.now();
    for (const e of [...entries].reverse()) {
      if (total <= this.maxBytes) break;
      if (keep.has(e.meta.key) || now - e.used.getTime() < IN_USE_MS) continue;
      rmSync(path.join(this.dir, e.meta.key), { recursive: true, force: true });
      total -= cost(e);
      freed += cost(e);
    }
    return freed;
  }

  /** Removes every entry; returns the entries and bytes removed. */
  clean(): { entries: number; bytes: number } {
    const entries = this.list();
    rmSync(this.dir, { recursive: true, force: true });
    return { entries: entries.length, bytes: entries.reduce((n, e) => n + e.meta.bytes, 0) };
  }

  /** Temporary folders of runs killed while writing (older than an hour) and damaged entries. */
  private removeLeftovers(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const damaged = KEY.test(n) && this.get(n) === null;
      if (!damaged && !n.startsWith(".tmp-")) continue;
      try {
        const age = Date.now() - statSync(path.join(this.dir, n)).mtimeMs;
        if (age > (damaged ? IN_USE_MS : 3_600_000)) rmSync(path.join(this.dir, n), { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
}

function dataFileName(format: Exclude<OutputFormat, "none">): string {
  return format === "parquet" ? "data.parquet" : "data.arrow";
}

/**
 * The output cache of a project: `<project>/.bp/cache/outputs` unless `dir` is given, bounded by
 * `maxBytes`, else BP_OUTPUT_CACHE_MAX_SIZE (e.g. 10GB), else the default. A bad
 * BP_OUTPUT_CACHE_MAX_SIZE throws.
 */
export function projectOutputCache(projectDir: string, settings: { readonly dir?: string; readonly maxBytes?: number } = {}): OutputCache {
  const fromEnv = process.env.BP_OUTPUT_CACHE_MAX_SIZE;
  let maxBytes = settings.maxBytes;
  if (maxBytes === undefined && fromEnv !== undefined && fromEnv !== "") {
    try {
      maxBytes = parseSize(fromEnv);
    } catch (err) {
      throw new Error(`BP_OUTPUT_CACHE_MAX_SIZE: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return new OutputCache(settings.dir ?? path.join(projectDir, ".bp", "cache", "outputs"), maxBytes);
}
