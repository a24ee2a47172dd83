/**
 * `LakeStorage` over an S3 bucket (AWS S3 or an S3-compatible server), through @aws-sdk/client-s3.
 *
 * - read: GET; the version is the ETag.
 * - putIfAbsent / putIfVersion: PUT with `If-None-Match: *` / `If-Match: <etag>`, where the server
 *   enforces them (AWS S3 does since 2024). A server that ignores them (s3rver) is detected by a probe
 *   before the first conditional write; then, with `conditionalWrites: "auto"` or `"host-lock"`, the
 *   read-compare-write runs under a lock file on this host (correct only when all writers share
 *   this machine), and with `"required"` writing fails.
 * - Data files: DuckDB writes a local staging file (`prepareWrite`), `sync` uploads it (multipart
 *   above `multipartThreshold`) before the commit object is written; reads go through the scan
 *   cache (`prepareScan` fetches the needed column chunks, `location` is the cache's local file).
 * - Errors: timeouts and retries with backoff come from the SDK (`maxAttempts`, standard retry
 *   mode, connection/request timeouts); what is left is wrapped into errors naming the endpoint.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, promises as fs, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as S3Sdk from "@aws-sdk/client-s3";
import type * as S3LibStorage from "@aws-sdk/lib-storage";
import { requireCjs } from "../../compiler/require-cjs.js";
import { acquireLock } from "./file-lock.js";
import { S3ConditionalWritesUnsupportedError, S3RequestError, S3UnavailableError } from "./s3-errors.js";
import { ScanCache, type RangeSource } from "./scan-cache/scan-cache.js";
import type { LakeStorage, ScanFetchReport, StoredObject } from "./storage.js";

// The AWS SDK is loaded when an S3 lake is first used (require: see compiler/require-cjs.ts), so a
// local lake never pays for it.
let s3Sdk: typeof S3Sdk | undefined;
let s3LibStorage: typeof S3LibStorage | undefined;
const sdk = (): typeof S3Sdk => (s3Sdk ??= requireCjs("@aws-sdk/client-s3") as typeof S3Sdk);
const libStorage = (): typeof S3LibStorage => (s3LibStorage ??= requireCjs("@aws-sdk/lib-storage") as typeof S3LibStorage);

export type ConditionalWritesMode = "auto" | "required" | "host-lock";

export interface S3LakeStorageOptions {
  /** `s3://bucket/prefix` (prefix optional). */
  readonly url: string;
  /** e.g. `http://127.0.0.1:4568`; omitted: AWS's endpoint for `region`. */
  readonly endpoint?: string;
  /** Default `AWS_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible servers. */
  readonly forcePathStyle?: boolean;
  /** Explicit credentials; omitted: the SDK's usual chain (env, profile, instance role...). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per request including the first (SDK standard retry mode, backoff with jitter). Default 4. */
  readonly maxAttempts?: number;
  /** TCP connect timeout per attempt. Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /** Socket idle timeout per attempt. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Default "auto". */
  readonly conditionalWrites?: ConditionalWritesMode;
  /** Where data files are staged before upload. Default `<tmp>/bp-s3-staging`. */
  readonly stagingDir?: string;
  /** Scan cache for reads; omitted: a cache in `defaultScanCacheDir()` with the default bound. */
  readonly scanCache?: ScanCache;
  /** Files at least this large are uploaded in parts. Default 16 MiB. */
  readonly multipartThreshold?: number;
  /** Part size of multipart uploads (S3 minimum 5 MiB). Default 8 MiB. */
  readonly partSize?: number;
  /** Keys per ListObjectsV2 page (S3 maximum 1000). */
  readonly listPageSize?: number;
  /** How long a host-lock compare-and-swap waits for the lock. Default 10 s. */
  readonly lockTimeoutMs?: number;
  /** Where host locks live. Default `<tmp>/bp-s3-locks`. */
  readonly lockDir?: string;
}

/** `s3://bucket/prefix/` -> bucket and prefix (no leading or trailing slash). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (m === null) throw new Error(`invalid S3 lake URL ${JSON.stringify(url)}: expected s3://bucket/prefix`);
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((p) => p === "." || p === "..") || prefix.includes("//")) {
    throw new Error(`invalid S3 lake URL ${JSON.stringify(url)}: empty, "." or ".." path segment`);
  }
  return { bucket: m[1]!, prefix };
}

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: unknown;
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const err = e as SdkErrorShape;
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || statusOf(e) === 404;
}

/** 412 Precondition Failed, or 409 ConditionalRequestConflict (a concurrent conditional write). */
function isPreconditionFailed(e: unknown): boolean {
  const err = e as SdkErrorShape;
  return statusOf(e) === 412 || err?.name === "PreconditionFailed" || err?.name === "ConditionalRequestConflict" || (statusOf(e) === 409 && err?.name !== "BucketAlreadyExists");
}

/** Versions compare without quotes (some servers quote ETags in one answer and not the other). */
const normEtag = (etag: string | undefined): string => (etag ?? "").replace(/^W\//, "").replace(/"/g, "");

export class S3LakeStorage implements LakeStorage {
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string;
  readonly client: S3Sdk.S3Client;
  readonly scanCache: ScanCache;
  private readonly mode: ConditionalWritesMode;
  private readonly stagingDir: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly listPageSize: number | undefined;
  private readonly maxAttempts: number;
  private readonly lockTimeoutMs: number;
  private readonly lockDir: string;
  private probe: Promise<boolean> | null = null;

  constructor(options: S3LakeStorageOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.root = `s3://${bucket}${prefix === "" ? "" : `/${prefix}`}`;
    const region = options.region ?? process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1";
    this.endpoint = options.endpoint ?? `https://s3.${region}.amazonaws.com`;
    this.maxAttempts = options.maxAttempts ?? 4;
    const config: S3Sdk.S3ClientConfig = {
      region,
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: this.maxAttempts,
      retryMode: "standard",
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        // Without this the SDK only logs a warning and waits for a stalled server forever.
        throwOnRequestTimeout: true,
      },
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.credentials !== undefined) config.credentials = options.credentials;
    this.client = new (sdk().S3Client)(config);
    this.mode = options.conditionalWrites ?? "auto";
    this.stagingDir = path.join(options.stagingDir ?? path.join(os.tmpdir(), "bp-s3-staging"), sha(`${this.endpoint}\0${this.root}`).slice(0, 16));
    this.scanCache = options.scanCache ?? new ScanCache({});
    this.multipartThreshold = options.multipartThreshold ?? 16 * 1024 * 1024;
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    this.listPageSize = options.listPageSize;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.lockDir = options.lockDir ?? path.join(os.tmpdir(), "bp-s3-locks");
  }

  /** The object key in the bucket for a lake key; refuses keys that would escape the prefix. */
  objectKey(key: string): string {
    const parts = key.split("/");
    if (key === "" || key.startsWith("/") || key.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new Error(`invalid lake key ${JSON.stringify(key)}`);
    }
    return this.prefix === "" ? key : `${this.prefix}/${key}`;
  }

  /** Runs an SDK call; network failures and timeouts become S3UnavailableError, other errors S3RequestError. */
  private async call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw this.wrap(operation, key, e);
    }
  }

  private wrap(operation: string, key: string, e: unknown): unknown {
    const err = e as SdkErrorShape;
    const target = `s3://${this.bucket}/${key}`;
    const status = statusOf(e);
    if (status === undefined || status >= 500) {
      const attempts = err?.$metadata?.attempts ?? this.maxAttempts;
      const detail = [err?.name, err?.code, err?.message].filter((x) => x !== undefined && x !== "" && x !== "Error").join(": ");
      return new S3UnavailableError(this.endpoint, operation, target, attempts, detail || String(e), { cause: e });
    }
    return new S3RequestError(this.endpoint, operation, target, status, err?.name ?? "Error", err?.message ?? String(e), { cause: e });
  }

  // ---- catalog objects ------------------------------------------------------------------------

  async read(key: string): Promise<StoredObject | null> {
    const objectKey = this.objectKey(key);
    try {
      const res = await this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
      const data = Buffer.from(await res.Body!.transformToByteArray());
      return { data, version: normEtag(res.ETag) };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.wrap("GET", objectKey, e);
    }
  }

  /** Whether the server enforces If-None-Match and If-Match on PUT, probed once with a throw-away object. */
  conditionalWritesSupported(): Promise<boolean> {
    this.probe ??= (async () => {
      const key = this.objectKey(`_bp/cas-probe/${randomUUID()}`);
      const put = (body: string) =>
        this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: "*" }));
      await this.call("PUT", key, () => put("1"));
      try {
        try {
          await put("2");
          return false;
        } catch (e) {
          if (!isPreconditionFailed(e)) throw this.wrap("PUT", key, e);
        }
        // The head moves with If-Match: a server that enforces If-None-Match only is not enough.
        try {
          await this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: key, Body: "3", IfMatch: '"00000000000000000000000000000000"' }));
          return false;
        } catch (e) {
          if (isPreconditionFailed(e)) return true;
          throw this.wrap("PUT", key, e);
        }
      } finally {
        await this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: key })).catch(() => undefined);
      }
    })();
    this.probe.catch(() => {
      this.probe = null; // a failed probe (server down) is retried next time
    });
    return this.probe;
  }

  /** How compare-and-swap is enforced: by the server, or by a lock on this host. */
  async casMode(): Promise<"conditional" | "host-lock"> {
    if (this.mode === "host-lock") return "host-lock";
    if (await this.conditionalWritesSupported()) return "conditional";
    if (this.mode === "required") throw new S3ConditionalWritesUnsupportedError(this.endpoint);
    return "host-lock";
  }

  private async withHostLock<T>(objectKey: string, run: () => Promise<T>): Promise<T> {
    const lockFile = path.join(this.lockDir, `${sha(`${this.endpoint}\0${this.bucket}\0${objectKey}`).slice(0, 32)}.lock`);
    const held = await acquireLock(lockFile, { timeoutMs: this.lockTimeoutMs });
    try {
      return await run();
    } finally {
      await held.release().catch(() => undefined);
    }
  }

  /**
   * A conditional PUT. A 412/409 on the first attempt: someone else's write, false. On a retry
   * (the SDK resent after a lost answer or a timeout) the current content is compared with ours:
   * equal content means our own earlier attempt landed, so the write counts.
   */
  private async conditionalPut(objectKey: string, data: Buffer, condition: { IfNoneMatch?: string; IfMatch?: string }): Promise<boolean> {
    try {
      await this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: objectKey, Body: data, ...condition }));
      return true;
    } catch (e) {
      if (!isPreconditionFailed(e)) throw this.wrap("PUT", objectKey, e);
      if (((e as SdkErrorShape).$metadata?.attempts ?? 1) <= 1) return false;
    }
    const current = await this.readObjectKey(objectKey);
    return current !== null && current.data.equals(data);
  }

  private async readObjectKey(objectKey: string): Promise<StoredObject | null> {
    try {
      const res = await this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
      return { data: Buffer.from(await res.Body!.transformToByteArray()), version: normEtag(res.ETag) };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.wrap("GET", objectKey, e);
    }
  }

  private async headEtag(objectKey: string): Promise<string | null> {
    try {
      const res = await this.client.send(new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
      return normEtag(res.ETag);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.wrap("HEAD", objectKey, e);
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const objectKey = this.objectKey(key);
    if ((await this.casMode()) === "conditional") return this.conditionalPut(objectKey, data, { IfNoneMatch: "*" });
    return this.withHostLock(objectKey, async () => {
      if ((await this.headEtag(objectKey)) !== null) return false;
      await this.call("PUT", objectKey, () => this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: objectKey, Body: data })));
      return true;
    });
  }

  async putIfVersion(key: string, data: Buffer, expectedVersion: string | null): Promise<boolean> {
    const objectKey = this.objectKey(key);
    if ((await this.casMode()) === "conditional") {
      return this.conditionalPut(objectKey, data, expectedVersion === null ? { IfNoneMatch: "*" } : { IfMatch: `"${normEtag(expectedVersion)}"` });
    }
    return this.withHostLock(objectKey, async () => {
      const current = await this.headEtag(objectKey);
      if (current !== (expectedVersion === null ? null : normEtag(expectedVersion))) return false;
      await this.call("PUT", objectKey, () => this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: objectKey, Body: data })));
      return true;
    });
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.prefix === "" ? "" : `${this.prefix}/`;
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.call("LIST", `${base}${prefix}*`, () =>
        this.client.send(
          new (sdk().ListObjectsV2Command)({
            Bucket: this.bucket,
            Prefix: `${base}${prefix}`,
            ...(token === undefined ? {} : { ContinuationToken: token }),
            ...(this.listPageSize === undefined ? {} : { MaxKeys: this.listPageSize }),
          }),
        ),
      );
      for (const o of res.Contents ?? []) {
        if (o.Key !== undefined && o.Key.startsWith(base)) out.push(o.Key.slice(base.length));
      }
      token = res.IsTruncated === true ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.filter((k) => !k.startsWith("_bp/")).sort();
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    await fs.rm(this.stagedPath(key), { force: true });
    await this.call("DELETE", objectKey, () => this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey })));
  }

  async size(key: string): Promise<number | null> {
    const staged = this.stagedPath(key);
    try {
      return (await fs.stat(staged)).size;
    } catch {
      // not staged: ask the server
    }
    const objectKey = this.objectKey(key);
    try {
      const res = await this.client.send(new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
      return res.ContentLength ?? null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.wrap("HEAD", objectKey, e);
    }
  }

  // ---- data files -----------------------------------------------------------------------------

  private stagedPath(key: string): string {
    return path.join(this.stagingDir, ...this.objectKey(key).split("/"));
  }

  /** The staged file while it is not uploaded yet; else the scan cache's local copy (see prepareScan). */
  location(key: string): string {
    const staged = this.stagedPath(key);
    if (existsSync(staged)) return staged;
    return this.scanCache.localPath(this.rangeSourceId(key));
  }

  prepareWrite(key: string): string {
    const file = this.stagedPath(key);
    mkdirSync(path.dirname(file), { recursive: true });
    return file;
  }

  /** Uploads a staged data file (multipart when large), then removes the staged copy. */
  async sync(key: string): Promise<void> {
    const staged = this.stagedPath(key);
    if (!existsSync(staged)) return; // uploaded already (or never staged)
    const objectKey = this.objectKey(key);
    await this.uploadFile(objectKey, staged);
    await fs.rm(staged, { force: true });
  }

  /** Uploads a local file as `objectKey`: one PUT, or a multipart upload at or above the threshold. */
  async uploadFile(objectKey: string, file: string): Promise<void> {
    const size = statSync(file).size;
    if (size < this.multipartThreshold) {
      const body = await fs.readFile(file);
      await this.call("PUT", objectKey, () => this.client.send(new (sdk().PutObjectCommand)({ Bucket: this.bucket, Key: objectKey, Body: body })));
      return;
    }
    const upload = new (libStorage().Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: createReadStream(file) },
      partSize: this.partSize,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await this.call("multipart upload", objectKey, () => upload.done());
  }

  // ---- scans ----------------------------------------------------------------------------------

  private rangeSourceId(key: string): string {
    return `${this.endpoint}/${this.bucket}/${this.objectKey(key)}`;
  }

  /** A ranged reader of one object, for the scan cache. */
  rangeSource(key: string): RangeSource {
    const objectKey = this.objectKey(key);
    return {
      id: this.rangeSourceId(key),
      size: async () => {
        const res = await this.call("HEAD", objectKey, () => this.client.send(new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: objectKey })));
        if (res.ContentLength === undefined) throw new Error(`HEAD s3://${this.bucket}/${objectKey} returned no size`);
        return res.ContentLength;
      },
      fetch: async (start: number, end: number) => {
        const res = await this.call("GET", objectKey, () =>
          this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.bucket, Key: objectKey, Range: `bytes=${start}-${end - 1}` })),
        );
        const data = Buffer.from(await res.Body!.transformToByteArray());
        if (data.length !== end - start) {
          throw new Error(`GET s3://${this.bucket}/${objectKey} bytes ${start}-${end - 1} returned ${data.length} bytes`);
        }
        return data;
      },
    };
  }

  /**
   * Makes `location(key)` of every key readable for a scan of `columns` (null: all): staged files
   * are read as they are, the others through the scan cache (only missing column chunks are fetched).
   */
  async prepareScan(keys: readonly string[], columns: readonly string[] | null): Promise<ScanFetchReport> {
    const total: ScanFetchReport = { files: 0, bytesFetched: 0, bytesFromCache: 0, requests: 0 };
    for (const key of keys) {
      if (existsSync(this.stagedPath(key))) continue;
      const r = await this.scanCache.ensure(this.rangeSource(key), columns);
      total.files += 1;
      total.bytesFetched += r.bytesFetched;
      total.bytesFromCache += r.bytesFromCache;
      total.requests += r.requests;
    }
    return total;
  }

  /** Closes the SDK's sockets (a process otherwise waits for idle keep-alive connections). */
  destroy(): void {
    this.client.destroy();
  }
}
