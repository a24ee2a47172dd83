// s3-scan-cache: a transactions source (the largest --rows size, 10M by default) stored on a real
// s3rver process, scanned through bp's columnar scan cache with 3 columns (cold cache), then with
// 4 (only the 4th column's chunks are fetched), against the baseline of downloading the whole file
// and scanning it locally. Times (s) and bytes fetched (MiB) for both scans.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { sqlString, transactionsSelect, withDuckDB, writeParquet } from "../lib/data.mjs";
import { ROOT } from "../lib/proc.mjs";
import { measureRounds, timed } from "../lib/timing.mjs";

export const sizes = (opts) => [Math.max(...opts.rows)];

const MiB = 1024 * 1024;
const BUCKET = "bench";
const THREE = ["id", "usd", "country"];
const FOUR = [...THREE, "client_id"];

/** s3rver on 127.0.0.1, a free port; resolves with its endpoint and a stop function. */
async function startS3rver(dir) {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve("s3rver/package.json")), "bin/s3rver.js");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", bin, "-d", dir, "-a", "127.0.0.1", "-p", "0", "--silent", "--no-vhost-buckets", "--configure-bucket", BUCKET], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const port = await new Promise((resolve, reject) => {
    child.stdout.on("data", (b) => {
      out += b;
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr.on("data", (b) => (out += b));
    child.on("exit", (code) => reject(new Error(`s3rver exited (${code}): ${out}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.exitCode === null && child.kill("SIGTERM") };
}

export async function run({ opts, size, tmp, log, onCleanup }) {
  const dist = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
  const { S3LakeStorage } = await dist("runtime/lake/s3-storage.js");
  const { ScanCache } = await dist("runtime/lake/scan-cache/scan-cache.js");
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");

  const server = await startS3rver(path.join(tmp, "s3rver"));
  onCleanup(server.stop);
  const source = path.join(tmp, "transactions.parquet");
  await writeParquet(transactionsSelect(size), source);
  const fileBytes = statSync(source).size;
  const cacheDir = path.join(tmp, "cache");
  const storage = new S3LakeStorage({
    url: `s3://${BUCKET}/lake`,
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    stagingDir: path.join(tmp, "staging"),
    scanCache: new ScanCache({ dir: cacheDir, protectMs: 0 }),
  });
  onCleanup(() => storage.destroy());
  const key = "data/transactions/bench.parquet";
  copyFileSync(source, storage.prepareWrite(key));
  await storage.sync(key);
  log(`  ${size.toLocaleString("en-US")} rows, ${(fileBytes / MiB).toFixed(1)} MiB on s3rver`);

  return withDuckDB(async (conn) => {
    const query = (file, cols) => conn.runAndReadAll(`SELECT count(*), ${cols.map((c) => `max(${c})`).join(", ")} FROM read_parquet(${sqlString(file)})`);
    const fetched = { three: [], four: [] };
    const newColumnBytes = Number(
      (await conn.runAndReadAll(`SELECT sum(total_compressed_size + coalesce(bloom_filter_length, 0))::BIGINT FROM parquet_metadata(${sqlString(source)}) WHERE path_in_schema = 'client_id'`)).getRows()[0][0],
    );
    const m = await measureRounds({
      label: "s3-scan-cache",
      repeat: opts.repeat,
      warmup: opts.warmup,
      log,
      sides: {
        "3 columns (cold cache)": async () => {
          rmSync(cacheDir, { recursive: true, force: true });
          const { seconds, result } = await timed(async () => {
            const r = await storage.prepareScan([key], THREE);
            await query(storage.location(key), THREE);
            return r;
          });
          fetched.three.push(result.bytesFetched);
          return seconds;
        },
        "+1 column (client_id)": async () => {
          const { seconds, result } = await timed(async () => {
            const t0 = performance.now();
            const r = await storage.prepareScan([key], FOUR);
            const t1 = performance.now();
            await query(storage.location(key), FOUR);
            log(`    (4 columns: fetch ${((t1 - t0) / 1000).toFixed(2)} s, scan ${((performance.now() - t1) / 1000).toFixed(2)} s)`);
            return r;
          });
          // exactly the new column's chunks (fewer when the first read of the file's tail held some)
          if (result.bytesFetched > newColumnBytes || (fileBytes > 4 * MiB && result.bytesFetched !== newColumnBytes)) {
            throw new Error(`the 4-column scan fetched ${result.bytesFetched} bytes, the new column has ${newColumnBytes}`);
          }
          fetched.four.push(result.bytesFetched);
          return seconds;
        },
        "full download": async () => {
          const local = path.join(tmp, "download.parquet");
          const { seconds } = await timed(async () => {
            const res = await storage.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: storage.objectKey(key) }));
            mkdirSync(tmp, { recursive: true });
            const { writeFile } = await import("node:fs/promises");
            await writeFile(local, res.Body);
            await query(local, FOUR);
          });
          rmSync(local, { force: true });
          return seconds;
        },
      },
    });
    const rows = `${size.toLocaleString("en-US")} rows`;
    const full = m["full download"].median;
    const last = (xs) => xs[xs.length - 1];
    return [
      { case: "s3-scan-cache/3-columns", size: rows, median: m["3 columns (cold cache)"].median, baselineName: "full download + scan", baselineMedian: full, unit: "s", samples: m["3 columns (cold cache)"].samples, baselineSamples: m["full download"].samples },
      { case: "s3-scan-cache/4-columns", size: rows, median: m["+1 column (client_id)"].median, baselineName: "full download + scan", baselineMedian: full, unit: "s", samples: m["+1 column (client_id)"].samples, baselineSamples: m["full download"].samples },
      { case: "s3-scan-cache/3-columns-bytes", size: rows, median: last(fetched.three) / MiB, baselineName: "whole file", baselineMedian: fileBytes / MiB, unit: "MiB" },
      { case: "s3-scan-cache/4-columns-bytes", size: rows, median: last(fetched.four) / MiB, baselineName: "whole file", baselineMedian: fileBytes / MiB, unit: "MiB" },
    ];
  });
}
