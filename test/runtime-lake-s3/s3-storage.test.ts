import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchMovedError } from "../../runtime/lake/errors.js";
import { Lake } from "../../runtime/lake/lake.js";
import { S3UnavailableError } from "../../runtime/lake/s3-errors.js";
import { parseS3Url } from "../../runtime/lake/s3-storage.js";
import { startProxy, type Proxy } from "./proxy.js";
import { s3Storage, startS3rver, type S3rver } from "./s3rver.js";

let server: S3rver;
let conditional: Proxy;
const work = mkdtempSync(path.join(os.tmpdir(), "bp-s3-storage-test-"));

beforeAll(async () => {
  server = await startS3rver();
  conditional = await startProxy(server.endpoint, { conditional: true });
});

afterAll(async () => {
  await conditional?.close();
  await server?.stop();
});

describe("S3LakeStorage on s3rver", () => {
  it("parses lake URLs", () => {
    expect(parseS3Url("s3://my-bucket/a/b/")).toEqual({ bucket: "my-bucket", prefix: "a/b" });
    expect(parseS3Url("s3://my-bucket")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(() => parseS3Url("s3://My_Bucket/x")).toThrow(/expected s3:\/\/bucket\/prefix/);
    expect(() => parseS3Url("s3://bucket/a/../b")).toThrow(/"\.\."/);
  });

  it("puts, gets (version = ETag), sizes, deletes; a missing object is null", async () => {
    const s = s3Storage(server);
    expect(await s.read("commits/x.json")).toBeNull();
    expect(await s.size("commits/x.json")).toBeNull();
    expect(await s.putIfAbsent("commits/x.json", Buffer.from("hello"))).toBe(true);
    const got = await s.read("commits/x.json");
    expect(got!.data.toString()).toBe("hello");
    expect(got!.version).toBe("5d41402abc4b2a76b9719d911017c592"); // md5("hello")
    expect(await s.size("commits/x.json")).toBe(5);
    await s.delete("commits/x.json");
    await s.delete("commits/x.json"); // missing: not an error
    expect(await s.read("commits/x.json")).toBeNull();
    s.destroy();
  });

  it("reads byte ranges", async () => {
    const s = s3Storage(server);
    await s.putIfAbsent("data/t/r.bin", Buffer.from("0123456789"));
    const src = s.rangeSource("data/t/r.bin");
    expect(await src.size()).toBe(10);
    expect((await src.fetch(2, 5)).toString()).toBe("234");
    expect((await src.fetch(9, 10)).toString()).toBe("9");
    s.destroy();
  });

  it("uploads a large staged data file in parts (> 5 MiB each) and reads it back whole", async () => {
    const proxy = await startProxy(server.endpoint);
    const s = s3Storage(proxy, { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const key = "data/big/file.parquet";
    writeFileSync(s.prepareWrite(key), data);
    expect(s.location(key)).toContain("staging"); // DuckDB reads the staged file until it is uploaded
    expect(await s.size(key)).toBe(data.length);
    await s.sync(key);
    expect(await s.size(key)).toBe(data.length);
    const parts = proxy.seen.filter((r) => r.startsWith("PUT ") && /[?&]partNumber=/.test(r));
    expect(parts).toHaveLength(3); // 5 + 5 + 2 MiB
    expect(proxy.seen.filter((r) => r.startsWith("POST ") && /[?&]uploads/.test(r))).toHaveLength(1);
    const res = await s.client.send(new GetObjectCommand({ Bucket: s.bucket, Key: s.objectKey(key) }));
    expect(Buffer.from(await res.Body!.transformToByteArray()).equals(data)).toBe(true);
    s.destroy();
    await proxy.close();
  });

  it("lists with pagination (more than one page), sorted, relative to the prefix", async () => {
    const s = s3Storage(server, { listPageSize: 3 });
    const keys = Array.from({ length: 10 }, (_, i) => `commits/${String(i).padStart(2, "0")}.json`);
    for (const k of [...keys].reverse()) await s.putIfAbsent(k, Buffer.from(k));
    await s.putIfAbsent("refs/branches/main", Buffer.from("x"));
    expect(await s.list("commits/")).toEqual(keys);
    expect(await s.list("")).toEqual([...keys, "refs/branches/main"]);
    expect(await s.list("nothing/")).toEqual([]);
    s.destroy();
  });

  it("a server that is down: a clear error naming the endpoint, after retries", async () => {
    const s = s3Storage({ endpoint: "http://127.0.0.1:9" }, { maxAttempts: 3 });
    const err = await s.read("refs/branches/main").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3UnavailableError);
    expect((err as Error).message).toMatch(/^S3 endpoint http:\/\/127\.0\.0\.1:9 did not answer GET s3:\/\/bp-test\/lake-[a-z0-9]+\/refs\/branches\/main after 3 attempts: .*ECONNREFUSED/);
    s.destroy();
  });

  it("a slow server: the request times out and is retried with backoff", async () => {
    const proxy = await startProxy(server.endpoint);
    try {
      const s = s3Storage(proxy, { maxAttempts: 3, requestTimeoutMs: 500 });
      await s.putIfAbsent("commits/slow.json", Buffer.from("slow")); // probe + put go through
      proxy.hang(2, (m) => m === "GET");
      const before = proxy.seen.length;
      const t0 = Date.now();
      expect((await s.read("commits/slow.json"))!.data.toString()).toBe("slow");
      expect(proxy.seen.length - before).toBe(3); // two stalled attempts, the third answered
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      // always stalled: a timeout error naming the endpoint
      proxy.hang(10);
      const err = await s.read("commits/slow.json").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3UnavailableError);
      expect((err as Error).message).toContain(`S3 endpoint ${proxy.endpoint} did not answer GET`);
      expect((err as Error).message).toMatch(/after 3 attempts/);
      s.destroy();
    } finally {
      await proxy.close();
    }
  });
});

describe("compare-and-swap", () => {
  it("s3rver ignores conditional writes: detected, and CAS falls back to the host lock", async () => {
    const s = s3Storage(server);
    expect(await s.conditionalWritesSupported()).toBe(false);
    expect(await s.casMode()).toBe("host-lock");
    const strict = s3Storage(server, { conditionalWrites: "required" });
    await expect(strict.putIfAbsent("commits/a.json", Buffer.from("a"))).rejects.toThrow(/ignores conditional writes/);
    s.destroy();
    strict.destroy();
  });

  it("a server that enforces If-None-Match but ignores If-Match is not trusted with CAS", async () => {
    const partial = await startProxy(server.endpoint, { conditional: "if-none-match-only" });
    const s = s3Storage({ endpoint: partial.endpoint });
    try {
      expect(await s.conditionalWritesSupported()).toBe(false);
      expect(await s.casMode()).toBe("host-lock");
    } finally {
      s.destroy();
      await partial.close();
    }
  });

  for (const mode of ["host-lock", "conditional"] as const) {
    it(`${mode}: putIfAbsent never overwrites, putIfVersion compares the ETag`, async () => {
      const s = mode === "conditional" ? s3Storage(conditional) : s3Storage(server);
      expect(await s.casMode()).toBe(mode);
      expect(await s.putIfAbsent("commits/c.json", Buffer.from("one"))).toBe(true);
      expect(await s.putIfAbsent("commits/c.json", Buffer.from("two"))).toBe(false);
      expect((await s.read("commits/c.json"))!.data.toString()).toBe("one");
      expect(await s.putIfVersion("refs/branches/main", Buffer.from("h1"), null)).toBe(true);
      expect(await s.putIfVersion("refs/branches/main", Buffer.from("h2"), null)).toBe(false);
      const v1 = (await s.read("refs/branches/main"))!.version;
      expect(await s.putIfVersion("refs/branches/main", Buffer.from("h2"), v1)).toBe(true);
      expect(await s.putIfVersion("refs/branches/main", Buffer.from("h3"), v1)).toBe(false);
      expect((await s.read("refs/branches/main"))!.data.toString()).toBe("h2");
      s.destroy();
    });

    it(`${mode}: two writers commit on the same head, exactly one wins, every round`, async () => {
      const lockDir = path.join(work, `locks-${mode}`);
      const endpoint = mode === "conditional" ? conditional : server;
      const a = s3Storage(endpoint, { lockDir });
      const b = s3Storage(endpoint, { lockDir, url: a.root });
      const lakeA = new Lake(a);
      const lakeB = new Lake(b);
      let head: string | null = null;
      for (let round = 0; round < 8; round++) {
        const results = await Promise.allSettled([
          lakeA.commit({ expectedHead: head, message: `a${round}`, author: "a" }),
          lakeB.commit({ expectedHead: head, message: `b${round}`, author: "b" }),
        ]);
        const won = results.filter((r) => r.status === "fulfilled");
        const lost = results.filter((r) => r.status === "rejected");
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(BranchMovedError);
        const winner = (won[0] as PromiseFulfilledResult<{ id: string; parents: string[] }>).value;
        expect(winner.parents).toEqual(head === null ? [] : [head]);
        head = winner.id;
        expect(await lakeA.headId()).toBe(head);
      }
      a.destroy();
      b.destroy();
    });
  }

  it("nothing half-committed: a head write that never lands leaves the branch where it was", async () => {
    const proxy = await startProxy(server.endpoint);
    try {
      const s = s3Storage(proxy, { maxAttempts: 2, requestTimeoutMs: 500 });
      const lake = new Lake(s);
      const first = await lake.commit({ expectedHead: null, message: "first", author: "t" });
      proxy.hang(10, (m, url) => m === "PUT" && url.includes("/refs/branches/"));
      await expect(lake.commit({ expectedHead: first.id, message: "second", author: "t" })).rejects.toBeInstanceOf(S3UnavailableError);
      const fresh = new Lake(s3Storage(server, { url: s.root }));
      expect(await fresh.headId()).toBe(first.id);
      expect((await fresh.head())!.message).toBe("first");
      s.destroy();
    } finally {
      await proxy.close();
    }
  });
});
