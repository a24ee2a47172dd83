import { copyFileSync, mkdtempSync, openSync, closeSync, writeSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filterColumns } from "../../runtime/lake/scan-cache/prepare-scan.js";
import { ScanCache } from "../../runtime/lake/scan-cache/scan-cache.js";
import type { S3LakeStorage } from "../../runtime/lake/s3-storage.js";
import { s3Storage, startS3rver, type S3rver } from "./s3rver.js";

let server: S3rver;
let db: DuckDBInstance;
let conn: DuckDBConnection;
const work = mkdtempSync(path.join(os.tmpdir(), "bp-scan-cache-test-"));
const original = path.join(work, "original.parquet");

const COLUMNS = ["id", "usd", "country", "client_id", "note"];

beforeAll(async () => {
  server = await startS3rver();
  db = await DuckDBInstance.create(":memory:");
  conn = await db.connect();
  // 300k rows in 3 row groups; a dictionary-encoded string column and a plain one.
  await conn.run(
    `COPY (SELECT i AS id, i * 1.5 AS usd, 'c' || (i % 7) AS country, i % 1000 AS client_id, 'note ' || i AS note
           FROM range(300000) t(i)) TO '${original}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`,
  );
});

afterAll(async () => {
  conn?.closeSync();
  await server?.stop();
});

/** Uploads the original file as a lake data file through prepareWrite + sync (as a build does). */
async function upload(storage: S3LakeStorage, key: string): Promise<void> {
  copyFileSync(original, storage.prepareWrite(key));
  await storage.sync(key);
}

/**
 * Bytes of the chunks (pages + bloom filter) of `columns` as DuckDB's own parquet_metadata()
 * reports them; with `outsideFrom`, only chunks not wholly at or after that offset.
 */
async function chunkBytes(columns: string[], outsideFrom = Number.MAX_SAFE_INTEGER): Promise<number> {
  const r = await conn.runAndReadAll(
    `SELECT coalesce(sum(total_compressed_size + coalesce(bloom_filter_length, 0)), 0)::BIGINT AS n FROM parquet_metadata('${original}')
     WHERE path_in_schema IN (${columns.map((c) => `'${c}'`).join(", ")})
       AND NOT (coalesce(dictionary_page_offset, data_page_offset) >= ${outsideFrom} AND coalesce(bloom_filter_offset, ${outsideFrom}) >= ${outsideFrom})`,
  );
  return Number(r.getRowObjectsJS()[0]!["n"]);
}

async function rows(file: string, columns: string[]): Promise<unknown[]> {
  const r = await conn.runAndReadAll(`SELECT ${columns.join(", ")} FROM read_parquet('${file}') ORDER BY id`);
  return r.getRowsJS();
}

describe("columnar differential scan cache over s3rver", () => {
  it("fetches only the chunks of new columns, counted exactly, and reads like the whole file", async () => {
    const storage = s3Storage(server);
    await upload(storage, "data/t/a.parquet");
    const size = readFileSync(original).length;
    const tail = Math.min(size, 64 * 1024);
    const three = ["id", "usd", "country"];

    const first = await storage.prepareScan(["data/t/a.parquet"], three);
    // the tail read (footer and whatever precedes it) + the chunks not wholly inside that tail
    expect(first.bytesFetched).toBe(tail + (await chunkBytes(three, size - tail)));
    expect(first.bytesFromCache).toBe(0);
    const local = storage.location("data/t/a.parquet");
    expect(await rows(local, three)).toEqual(await rows(original, three));

    const four = [...three, "client_id"];
    const second = await storage.prepareScan(["data/t/a.parquet"], four);
    expect(second.bytesFetched).toBe(await chunkBytes(["client_id"], size - tail));
    expect(second.bytesFetched).toBeGreaterThan(0);
    const footer = size - (await footerStart(local));
    // footer + the three columns + chunks of client_id the tail read already held
    expect(second.bytesFromCache).toBe(footer + 4 + (await chunkBytes(three)) + (await chunkBytes(["client_id"])) - second.bytesFetched);
    // at most one ranged GET per chunk of client_id (one per row group) and one per bloom filter
    const r = await conn.runAndReadAll(
      `SELECT (count(*) + count(bloom_filter_offset))::INTEGER AS n FROM parquet_metadata('${original}') WHERE path_in_schema = 'client_id'`,
    );
    expect(second.requests).toBeGreaterThan(0);
    expect(second.requests).toBeLessThanOrEqual(r.getRowObjectsJS()[0]!["n"] as number);
    // same connection as the first read: DuckDB's file cache must not serve the old holes
    expect(await rows(local, four)).toEqual(await rows(original, four));

    const again = await storage.prepareScan(["data/t/a.parquet"], four);
    expect(again.bytesFetched).toBe(0);
    expect(again.requests).toBe(0);

    // The sparse copy occupies about what was fetched, not the object's size.
    const ls = await storage.scanCache.ls();
    expect(ls).toHaveLength(1);
    expect(ls[0]!.columns.sort()).toEqual([...four].sort());
    const noteInTail = (await chunkBytes(["note"])) - (await chunkBytes(["note"], size - tail));
    expect(ls[0]!.cachedBytes).toBe(footer + 4 + (await chunkBytes(four)) + noteInTail);
    storage.destroy();
  });

  it("DuckDB touches only the fetched byte ranges: garbage in every hole changes nothing", async () => {
    const storage = s3Storage(server);
    await upload(storage, "data/t/b.parquet");
    const four = ["id", "usd", "country", "client_id"];
    await storage.prepareScan(["data/t/b.parquet"], four);
    const sparse = storage.location("data/t/b.parquet");
    const index = JSON.parse(readFileSync(sparse.replace(/\.parquet$/, ".json"), "utf8")) as {
      size: number;
      footerStart: number;
      chunks: Record<string, { present: boolean; ranges: [number, number][] }>;
    };
    const keep: [number, number][] = [[0, 4], [index.footerStart, index.size]];
    for (const c of Object.values(index.chunks)) if (c.present) keep.push(...c.ranges);
    keep.sort((a, b) => a[0] - b[0]);
    const garbage = path.join(work, "garbage.parquet");
    copyFileSync(sparse, garbage);
    const fd = openSync(garbage, "r+");
    let at = 0;
    for (const [s, e] of [...keep, [index.size, index.size] as [number, number]]) {
      if (s > at) writeSync(fd, Buffer.alloc(s - at, 0xab), 0, s - at, at);
      at = Math.max(at, e);
    }
    closeSync(fd);
    expect(await rows(garbage, four)).toEqual(await rows(original, four));
    // control: a column that was not fetched is garbage there
    await expect(rows(garbage, ["id", "note"])).rejects.toThrow();
    storage.destroy();
  });

  it("a scan with no columns needs only the footer", async () => {
    const storage = s3Storage(server);
    await upload(storage, "data/t/c.parquet");
    const r = await storage.prepareScan(["data/t/c.parquet"], []);
    expect(r.bytesFetched).toBe(Math.min(readFileSync(original).length, 64 * 1024));
    const count = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${storage.location("data/t/c.parquet")}')`);
    expect(count.getRowObjectsJS()[0]!["n"]).toBe(300000);
    storage.destroy();
  });

  it("evicts least recently used chunks over the size bound, then re-fetches them", async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), "bp-scan-cache-lru-"));
    const storage = s3Storage(server, { cacheDir });
    const all = await chunkBytes(COLUMNS);
    // room for one whole object, not two
    const small = new ScanCache({ dir: cacheDir, maxBytes: all + 64 * 1024, protectMs: 0 });
    Object.assign(storage, { scanCache: small });
    await upload(storage, "data/t/d.parquet");
    await upload(storage, "data/t/e.parquet");
    await storage.prepareScan(["data/t/d.parquet"], null);
    await storage.prepareScan(["data/t/e.parquet"], null);
    const ls = await small.ls();
    expect(ls.reduce((n, o) => n + o.cachedBytes, 0)).toBeLessThanOrEqual(small.maxBytes);
    expect(ls[0]!.source.endsWith("e.parquet")).toBe(true);
    expect(ls[0]!.columns.sort()).toEqual([...COLUMNS].sort());
    // d lost chunks; reading it again re-fetches exactly those and the result is right
    const again = await storage.prepareScan(["data/t/d.parquet"], null);
    expect(again.bytesFetched).toBeGreaterThan(0);
    expect(await rows(storage.location("data/t/d.parquet"), COLUMNS)).toEqual(await rows(original, COLUMNS));
    const cleaned = await small.clean();
    expect(cleaned.objects).toBe(2);
    expect(await small.ls()).toEqual([]);
    storage.destroy();
  });

  it("filterColumns finds the columns a filter reads", () => {
    const schema = COLUMNS.map((name) => ({ name, type: "VARCHAR" }));
    expect(filterColumns(schema, `"Note" LIKE 'x%' AND usd > 3`)).toEqual(["note", "usd"]);
    expect(filterColumns(schema, "COLUMNS('u.*') > 1")).toBeNull();
  });
});

async function footerStart(local: string): Promise<number> {
  const index = JSON.parse(readFileSync(local.replace(/\.parquet$/, ".json"), "utf8")) as { footerStart: number };
  return index.footerStart;
}
