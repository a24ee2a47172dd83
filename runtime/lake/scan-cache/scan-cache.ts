/**
 * Columnar, differential scan cache (Bauplan paper §4.2). Lake data files are immutable, so what
 * is cached for (data file, column chunk) never goes stale.
 *
 * For each remote Parquet object the cache keeps a local SPARSE file of the object's size: the
 * magic, the footer and the column chunks fetched so far, at their own offsets, holes elsewhere.
 * DuckDB reads that file with projection pushdown, so it only touches the footer and the chunks of
 * the columns the scan asked for, which are exactly the ones `ensure` made present.
 *
 *   <dir>/<h>.parquet   the sparse copy (h = sha256 of the source id)
 *   <dir>/<h>.json      index: source, size, footer offset, every column chunk's byte ranges,
 *                       whether each is present and when it was last used
 *   <dir>/.lock         taken (briefly) to write into a copy, update an index, evict
 *
 * Size bound: the footers plus present chunks of all objects. Over the bound, the least recently
 * used chunks are dropped (the copy is rewritten without them) — but never chunks used within
 * `protectMs` (default 10 min), which a scan prepared by another process may still be about to
 * read; so the bound is exceeded while everything in it was used recently.
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireLock } from "../file-lock.js";
import { chunkLayout, footerLength, type ChunkLayout } from "./parquet-footer.js";

/** A remote object read by byte ranges (`end` exclusive). */
export interface RangeSource {
  /** Identity of the object (endpoint, bucket, key): the cache key. */
  readonly id: string;
  size(): Promise<number>;
  fetch(start: number, end: number): Promise<Buffer>;
}

export interface ScanCacheOptions {
  /** Default `defaultScanCacheDir()`. */
  readonly dir?: string;
  /** Default 10 GiB (`BP_SCAN_CACHE_MAX_BYTES` overrides the default). */
  readonly maxBytes?: number;
  /** Chunks used this recently are never evicted. Default 10 minutes. */
  readonly protectMs?: number;
  /** Ranged GETs in flight at once. Default 8. */
  readonly concurrency?: number;
  /** First read of an object: this many bytes from its end (footer usually inside). Default 64 KiB. */
  readonly tailBytes?: number;
}

export interface EnsureReport {
  bytesFetched: number;
  bytesFromCache: number;
  requests: number;
}

interface ChunkEntry {
  readonly column: string;
  readonly ranges: readonly (readonly [number, number])[];
  present: boolean;
  lastUsed: number;
}

interface ObjectIndex {
  readonly version: 1;
  readonly source: string;
  readonly size: number;
  /** Offset of the footer (the Thrift metadata, then 4-byte length and "PAR1" up to `size`). */
  readonly footerStart: number;
  lastUsed: number;
  readonly chunks: Record<string, ChunkEntry>;
}

export interface CachedObjectInfo {
  readonly source: string;
  readonly file: string;
  readonly size: number;
  /** Footer + present chunks. */
  readonly cachedBytes: number;
  /** Columns whose every chunk is present. */
  readonly columns: readonly string[];
  readonly lastUsed: Date;
}

const MAGIC = Buffer.from("PAR1", "ascii");

export function defaultScanCacheDir(): string {
  const fromEnv = process.env["BP_SCAN_CACHE_DIR"];
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  const xdg = process.env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "bp", "scan-cache");
}

function defaultMaxBytes(): number {
  const v = Number(process.env["BP_SCAN_CACHE_MAX_BYTES"]);
  return Number.isFinite(v) && v > 0 ? v : 10 * 1024 ** 3;
}

const rangeBytes = (c: ChunkEntry): number => c.ranges.reduce((n, [s, e]) => n + (e - s), 0);

/** Merges sorted, touching or overlapping ranges (never bridges a gap: only needed bytes are fetched). */
function coalesce(ranges: (readonly [number, number])[]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class ScanCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly protectMs: number;
  private readonly concurrency: number;
  private readonly tailBytes: number;

  constructor(options: ScanCacheOptions = {}) {
    this.dir = path.resolve(options.dir ?? defaultScanCacheDir());
    this.maxBytes = options.maxBytes ?? defaultMaxBytes();
    this.protectMs = options.protectMs ?? 10 * 60_000;
    this.concurrency = options.concurrency ?? 8;
    this.tailBytes = options.tailBytes ?? 64 * 1024;
  }

  private hash(id: string): string {
    return createHash("sha256").update(id).digest("hex").slice(0, 32);
  }

  /** The local file DuckDB reads for a source (readable once `ensure` returned). */
  localPath(id: string): string {
    return path.join(this.dir, `${this.hash(id)}.parquet`);
  }

  private indexPath(id: string): string {
    return path.join(this.dir, `${this.hash(id)}.json`);
  }

  private async withLock<T>(run: () => Promise<T>): Promise<T> {
    await fs.mkdir(this.dir, { recursive: true });
    const held = await acquireLock(path.join(this.dir, ".lock"), { timeoutMs: 60_000 });
    try {
      return await run();
    } finally {
      await held.release().catch(() => undefined);
    }
  }

  private async readIndexFile(file: string): Promise<ObjectIndex | null> {
    try {
      const v = JSON.parse(await fs.readFile(file, "utf8")) as ObjectIndex;
      return v.version === 1 ? v : null;
    } catch {
      return null; // missing or torn (never: written by rename) -> treated as not cached
    }
  }

  private async writeIndex(id: string, index: ObjectIndex): Promise<void> {
    const file = this.indexPath(id);
    const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
    await fs.writeFile(tmp, JSON.stringify(index));
    await fs.rename(tmp, file);
  }

  /**
   * Makes `localPath(source.id)` hold the footer and every chunk of `columns` (null: all columns;
   * names match case-insensitively), fetching only the chunks not cached yet.
   */
  async ensure(source: RangeSource, columns: readonly string[] | null): Promise<EnsureReport> {
    const report: EnsureReport = { bytesFetched: 0, bytesFromCache: 0, requests: 0 };
    let index = await this.readIndexFile(this.indexPath(source.id));
    const firstSight = index === null; // then chunks already present came in the tail read, counted as fetched
    if (index === null) {
      index = await this.fetchFooter(source, report);
    } else {
      report.bytesFromCache += index.size - index.footerStart + MAGIC.length;
    }
    const wanted = columns === null ? null : new Set(columns.map((c) => c.toLowerCase()));
    const needed = Object.entries(index.chunks).filter(([, c]) => wanted === null || wanted.has(c.column.toLowerCase()));
    const neededKeys = new Set(needed.map(([k]) => k));
    const missing = needed.filter(([, c]) => !c.present);
    if (!firstSight) for (const [, c] of needed) if (c.present) report.bytesFromCache += rangeBytes(c);

    // Fetch the missing chunks in batches of about 64 MiB; each batch is written under the lock.
    const batchLimit = 64 * 1024 * 1024;
    let batch: [string, ChunkEntry][] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const ranges = coalesce(batch.flatMap(([, c]) => c.ranges));
      const buffers = await mapLimit(ranges, this.concurrency, async ([s, e]) => {
        const data = await source.fetch(s, e);
        report.requests += 1;
        report.bytesFetched += data.length;
        return { start: s, data };
      });
      const keys = batch.map(([k]) => k);
      await this.withLock(async () => {
        const current = await this.readIndexFile(this.indexPath(source.id));
        if (current === null) throw new Error(`scan cache entry of ${source.id} vanished while fetching; re-run`);
        const h = await fs.open(this.localPath(source.id), "r+");
        try {
          for (const b of buffers) await h.write(b.data, 0, b.data.length, b.start);
        } finally {
          await h.close();
        }
        for (const k of keys) {
          const c = current.chunks[k];
          if (c !== undefined) c.present = true;
        }
        await this.writeIndex(source.id, current);
      });
      batch = [];
      batchBytes = 0;
    };
    for (const entry of missing) {
      batch.push(entry);
      batchBytes += rangeBytes(entry[1]);
      if (batchBytes >= batchLimit) await flush();
    }
    await flush();

    // Mark use, then keep the bound.
    await this.withLock(async () => {
      const current = await this.readIndexFile(this.indexPath(source.id));
      if (current === null) return;
      const now = Date.now();
      current.lastUsed = now;
      for (const k of neededKeys) {
        const c = current.chunks[k];
        if (c !== undefined) c.lastUsed = now;
      }
      await this.writeIndex(source.id, current);
      if (report.bytesFetched > 0) await this.evictLocked(now);
    });
    return report;
  }

  /** First sight of an object: HEAD, one read of its tail, the footer parsed, the sparse copy created. */
  private async fetchFooter(source: RangeSource, report: EnsureReport): Promise<ObjectIndex> {
    const size = await source.size();
    report.requests += 1;
    if (size < 12) throw new Error(`${source.id} is not a Parquet file (${size} bytes)`);
    const tailLen = Math.min(size, this.tailBytes);
    let tail = await source.fetch(size - tailLen, size);
    report.requests += 1;
    report.bytesFetched += tail.length;
    const metaLen = footerLength(tail, source.id);
    const footerLen = metaLen + 8;
    if (footerLen > size - MAGIC.length) throw new Error(`${source.id}: footer length ${metaLen} exceeds the file`);
    if (footerLen > tail.length) {
      const rest = await source.fetch(size - footerLen, size - tail.length);
      report.requests += 1;
      report.bytesFetched += rest.length;
      tail = Buffer.concat([rest, tail]);
    }
    const footer = tail.subarray(tail.length - footerLen);
    const layout: ChunkLayout[] = chunkLayout(footer, source.id);
    const footerStart = size - footerLen;
    const now = Date.now();
    const chunks: Record<string, ChunkEntry> = {};
    // Chunks that lie wholly inside the tail already read are kept (a small file is read in one GET).
    const tailStart = size - tail.length;
    const inTail = (c: ChunkLayout): boolean => c.ranges.every(([s, e]) => s >= Math.max(tailStart, MAGIC.length) && e <= footerStart);
    for (const c of layout) chunks[`${c.rowGroup}.${c.leaf}`] = { column: c.column, ranges: c.ranges, present: inTail(c), lastUsed: now };
    const index: ObjectIndex = { version: 1, source: source.id, size, footerStart, lastUsed: now, chunks };
    return this.withLock(async () => {
      const existing = await this.readIndexFile(this.indexPath(source.id));
      if (existing !== null) return existing; // another process got there first
      const file = this.localPath(source.id);
      const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
      const h = await fs.open(tmp, "w");
      try {
        await h.truncate(size); // a hole of the object's size
        await h.write(MAGIC, 0, MAGIC.length, 0);
        await h.write(footer, 0, footer.length, footerStart);
        for (const c of Object.values(chunks)) {
          if (!c.present) continue;
          for (const [s, e] of c.ranges) await h.write(tail, s - tailStart, e - s, s);
        }
      } finally {
        await h.close();
      }
      await fs.rename(tmp, file);
      await this.writeIndex(source.id, index);
      return index;
    });
  }

  private async allIndexes(): Promise<{ file: string; index: ObjectIndex }[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: { file: string; index: ObjectIndex }[] = [];
    for (const n of names.filter((n) => n.endsWith(".json")).sort()) {
      const file = path.join(this.dir, n);
      const index = await this.readIndexFile(file);
      if (index !== null) out.push({ file, index });
    }
    return out;
  }

  private static cachedBytes(index: ObjectIndex): number {
    let n = index.size - index.footerStart + MAGIC.length;
    for (const c of Object.values(index.chunks)) if (c.present) n += rangeBytes(c);
    return n;
  }

  /** Drops least recently used chunks (then whole objects with none left) until under the bound. */
  private async evictLocked(now: number): Promise<void> {
    const all = await this.allIndexes();
    let total = all.reduce((n, { index }) => n + ScanCache.cachedBytes(index), 0);
    if (total <= this.maxBytes) return;
    const candidates = all
      .flatMap(({ index }) =>
        Object.entries(index.chunks)
          .filter(([, c]) => c.present && now - c.lastUsed >= this.protectMs)
          .map(([key, c]) => ({ index, key, c })),
      )
      .sort((a, b) => a.c.lastUsed - b.c.lastUsed);
    const touched = new Set<ObjectIndex>();
    for (const { index, c } of candidates) {
      if (total <= this.maxBytes) break;
      c.present = false;
      total -= rangeBytes(c);
      touched.add(index);
    }
    for (const index of touched) {
      const file = this.localPath(index.source);
      if (!Object.values(index.chunks).some((c) => c.present) && now - index.lastUsed >= this.protectMs) {
        await fs.rm(this.indexPath(index.source), { force: true });
        await fs.rm(file, { force: true });
        continue;
      }
      // Rewrite the copy with only what stays (a reader holding the old file keeps its bytes).
      const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
      const src = await fs.open(file, "r");
      const dst = await fs.open(tmp, "w");
      try {
        await dst.truncate(index.size);
        const keep: [number, number][] = [[0, MAGIC.length], [index.footerStart, index.size]];
        for (const c of Object.values(index.chunks)) if (c.present) keep.push(...c.ranges.map(([s, e]) => [s, e] as [number, number]));
        for (const [s, e] of coalesce(keep)) {
          const buf = Buffer.alloc(e - s);
          await src.read(buf, 0, buf.length, s);
          await dst.write(buf, 0, buf.length, s);
        }
      } finally {
        await src.close();
        await dst.close();
      }
      await fs.rename(tmp, file);
      await this.writeIndex(index.source, index);
    }
  }

  /** Every cached object, most recently used first. */
  async ls(): Promise<CachedObjectInfo[]> {
    const all = await this.allIndexes();
    return all
      .map(({ index }) => {
        const byColumn = new Map<string, boolean>();
        for (const c of Object.values(index.chunks)) byColumn.set(c.column, (byColumn.get(c.column) ?? true) && c.present);
        return {
          source: index.source,
          file: this.localPath(index.source),
          size: index.size,
          cachedBytes: ScanCache.cachedBytes(index),
          columns: [...byColumn].filter(([, all]) => all).map(([c]) => c),
          lastUsed: new Date(index.lastUsed),
        };
      })
      .sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /** Removes every cached object. Returns the bytes freed (footers + chunks). */
  async clean(): Promise<{ objects: number; bytes: number }> {
    return this.withLock(async () => {
      const all = await this.allIndexes();
      let bytes = 0;
      for (const { file, index } of all) {
        bytes += ScanCache.cachedBytes(index);
        await fs.rm(file, { force: true });
        await fs.rm(this.localPath(index.source), { force: true });
      }
      for (const n of await fs.readdir(this.dir).catch(() => [] as string[])) {
        if (n.includes(".tmp-")) await fs.rm(path.join(this.dir, n), { force: true });
      }
      return { objects: all.length, bytes };
    });
  }
}
