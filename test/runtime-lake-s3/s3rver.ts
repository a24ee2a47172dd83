/**
 * A real s3rver process on 127.0.0.1 (random port, temp folder, path-style), for the S3 tests.
 * Credentials are s3rver's built-in account (S3RVER / S3RVER).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ScanCache } from "../../runtime/lake/scan-cache/scan-cache.js";
import { S3LakeStorage, type S3LakeStorageOptions } from "../../runtime/lake/s3-storage.js";

export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const BUCKET = "bp-test";

export interface S3rver {
  readonly endpoint: string;
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Starts s3rver with bucket `bp-test`; resolves once it listens. `port` 0 = a free one. */
export async function startS3rver(options: { port?: number; dir?: string } = {}): Promise<S3rver> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "bp-s3rver-"));
  const bin = path.join(path.dirname(require.resolve("s3rver/package.json")), "bin/s3rver.js");
  const child: ChildProcess = spawn(
    process.execPath,
    // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has in its legacy provider.
    ["--openssl-legacy-provider", bin, "-d", dir, "-a", "127.0.0.1", "-p", String(options.port ?? 0), "--silent", "--no-vhost-buckets", "--configure-bucket", BUCKET],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    child.on("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening: ${out}`)));
    setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${out}`)), 20_000).unref();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An S3LakeStorage on the test server under a fresh prefix, with its own cache and staging folders. */
export function s3Storage(server: { endpoint: string }, extra: Partial<S3LakeStorageOptions> & { cacheDir?: string } = {}): S3LakeStorage {
  const work = mkdtempSync(path.join(os.tmpdir(), "bp-s3-work-"));
  const { cacheDir, ...rest } = extra;
  return new S3LakeStorage({
    url: `s3://${BUCKET}/lake-${Math.random().toString(36).slice(2, 10)}`,
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: CREDENTIALS,
    stagingDir: path.join(work, "staging"),
    lockDir: path.join(work, "locks"),
    scanCache: new ScanCache({ dir: cacheDir ?? path.join(work, "cache"), protectMs: 0 }),
    maxAttempts: 2,
    connectionTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
    ...rest,
  });
}
