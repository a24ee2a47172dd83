/**
 * The whole CLI on an S3 lake: a real s3rver process, a project whose bp_project.yml says
 * `lake: s3://bucket/prefix` (endpoint, path-style), credentials from AWS_* env vars. Import a Parquet
 * and a CSV file, build SQL and TS models, query the outputs (checked against DuckDB on the local
 * files), build on a branch (main unchanged), see a second build fetch only the one new column's
 * bytes, and stop the server in the middle of a build (clear error, branch head unchanged).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BP, bp, duckdbRows, runResultOf, writeProject } from "../helpers/temp-project.js";
import { BUCKET, CREDENTIALS, startS3rver, type S3rver } from "../runtime-lake-s3/s3rver.js";

const ENV = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };

const temps: string[] = [];
let serverDir: string;
let server: S3rver;
let dir: string; // the project
let data: string; // the local input files

beforeAll(async () => {
  serverDir = mkdtempSync(path.join(os.tmpdir(), "bp-e2e-s3rver-"));
  data = mkdtempSync(path.join(os.tmpdir(), "bp-e2e-s3-data-"));
  temps.push(serverDir, data);
  server = await startS3rver({ dir: serverDir });
  dir = writeProject(
    {
      "bp_project.yml": [
        "name: s3e2e",
        `lake: s3://${BUCKET}/e2e-${Date.now().toString(36)}/lake`,
        "s3:",
        `  endpoint: ${server.endpoint}`,
        "  region: us-east-1",
        "  force_path_style: true",
        "  cache_dir: .bp/scan-cache",
        "",
      ].join("\n"),
      "models/by_country.sql": [
        "-- bp: materialize = true",
        "SELECT t.country, c.region, round(sum(t.usd), 2) AS usd, count(*)::INTEGER AS n",
        "FROM transactions t JOIN countries c ON c.code = t.country",
        "GROUP BY ALL",
        "",
      ].join("\n"),
      "models/big_spenders.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("transactions", { columns: ["id", "usd"], filter: "usd > 290000" }) },
  materialize: true,
  run({ t }) {
    console.log(\`\${t.numRows} big transactions\`);
    return t;
  },
});
`,
    },
    "s3e2e",
  );
  temps.push(dir);
  const db = await duckdbRows(
    `COPY (SELECT range AS id, ['IT','FR','DE','ES','US'][range % 5 + 1] AS country, (range % 100000) * 3.25 AS usd, range % 977 AS client_id, 'note ' || range AS note
       FROM range(300000)) TO '${path.join(data, "tx.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 100000)`,
  );
  expect(db).toBeDefined();
  writeFileSync(path.join(data, "countries.csv"), "code,region\nIT,EU\nFR,EU\nDE,EU\nES,EU\nUS,NA\n");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function run(args: string[]): Promise<string> {
  const r = await bp([...args, "-p", dir], { env: ENV });
  expect(r.code, `bp ${args.join(" ")}\n${r.stderr}${r.stdout}`).toBe(0);
  return r.stdout;
}

const json = async <T>(args: string[]): Promise<T> => JSON.parse(await run([...args, "--json"])) as T;
const query = (sql: string, ref?: string) => json<Record<string, unknown>[]>(["query", sql, ...(ref ? ["--ref", ref] : [])]);
const heads = async () => Object.fromEntries((await json<{ branches: { name: string; commit: string }[] }>(["branch", "list"])).branches.map((b) => [b.name, b.commit]));

interface Fetch {
  files: number;
  bytesFetched: number;
  bytesFromCache: number;
  requests: number;
}
interface Run {
  ok: boolean;
  commit: string | null;
  nodes: { id: string; status: string; fetch?: Fetch }[];
}
const fetchOf = (r: Run, table: string): Fetch => r.nodes.find((n) => n.id === `scan:${table}`)!.fetch!;

interface CachedObject {
  source: string;
  file: string;
  size: number;
  cachedBytes: number;
  columns: string[];
}
const cachedTransactions = async (): Promise<CachedObject> =>
  (await json<{ scans: { objects: CachedObject[] } }>(["cache", "ls", "--scans"])).scans.objects.find((o) => o.source.includes("/data/transactions/"))!;

describe("a project on an S3 lake (s3rver)", () => {
  it("imports Parquet and CSV, builds SQL and TS models, and bp query matches DuckDB on the local files", async () => {
    await run(["import", path.join(data, "tx.parquet"), "--table", "transactions"]);
    await run(["import", path.join(data, "countries.csv"), "--table", "countries"]);
    expect(existsSync(path.join(dir, ".bp/lake"))).toBe(false); // nothing of the lake is local

    const build = await bp(["build", "-p", dir], { env: ENV });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/\[big_spenders\] \d+ big transactions/);
    expect(build.stdout).toMatch(/scan transactions: fetched [\d.]+ [KM]?B, 0 B from cache/);

    const tx = path.join(data, "tx.parquet");
    const csv = path.join(data, "countries.csv");
    expect(await query("SELECT * FROM by_country ORDER BY country")).toEqual(
      await duckdbRows(
        `SELECT t.country, c.region, round(sum(t.usd), 2) AS usd, count(*)::INTEGER AS n FROM '${tx}' t JOIN read_csv('${csv}') c ON c.code = t.country GROUP BY ALL ORDER BY country`,
      ),
    );
    expect(await query("SELECT count(*)::INTEGER AS n, round(sum(usd), 2) AS usd, min(id)::INTEGER AS lo FROM big_spenders")).toEqual(
      await duckdbRows(`SELECT count(*)::INTEGER AS n, round(sum(usd), 2) AS usd, min(id)::INTEGER AS lo FROM '${tx}' WHERE usd > 290000`),
    );
    // the plan carries the lake's settings (a saved plan opens the same lake), never the credentials
    const compiled = await run(["compile", "--json"]);
    expect((JSON.parse(compiled) as { plan: { project: { s3: unknown } } }).plan.project.s3).toEqual({
      cache_dir: ".bp/scan-cache",
      endpoint: server.endpoint,
      force_path_style: true,
      region: "us-east-1",
    });
    expect(compiled).not.toContain(CREDENTIALS.secretAccessKey);
    const tables = await json<{ tables: { name: string; producedBy: string | null }[] }>(["tables"]);
    expect(tables.tables.map((t) => [t.name, t.producedBy])).toEqual([
      ["big_spenders", "big_spenders"],
      ["by_country", "by_country"],
      ["countries", null],
      ["transactions", null],
    ]);
  });

  it("builds on a branch (main unchanged); scanning one more column fetches only that column's bytes", async () => {
    await run(["branch", "create", "dev"]);
    const before = await heads();
    const cached = await cachedTransactions();
    // the cache's index of the data file before the build: its column chunks and which are present
    const index = JSON.parse(readFileSync(cached.file.replace(/\.parquet$/, ".json"), "utf8")) as {
      chunks: Record<string, { column: string; ranges: [number, number][]; present: boolean }>;
    };
    expect(cached.columns).not.toContain("client_id");
    writeFileSync(
      path.join(dir, "models/clients.sql"),
      "-- bp: materialize = true\nSELECT country, count(DISTINCT client_id)::INTEGER AS clients FROM transactions GROUP BY country\n",
    );

    const build = runResultOf<Run>(await run(["build", "--ref", "dev", "--json"]));
    expect(build.ok).toBe(true);
    const after = await heads();
    expect(after["main"]).toBe(before["main"]);
    expect(after["dev"]).toBe(build.commit);
    expect(after["dev"]).not.toBe(before["dev"]);

    // the new column's chunks: every one the footer lists, minus those the cache already held
    // (a chunk lying inside the footer read of the first scan comes with it)
    const [footer] = await duckdbRows(
      `SELECT sum(total_compressed_size)::BIGINT + coalesce(sum(bloom_filter_length), 0)::BIGINT AS bytes
       FROM parquet_metadata('${cached.file}') WHERE path_in_schema = 'client_id'`,
    );
    const clientChunks = Object.values(index.chunks).filter((c) => c.column === "client_id");
    const length = (c: { ranges: [number, number][] }) => c.ranges.reduce((n, [a, b]) => n + b - a, 0);
    expect(clientChunks.reduce((n, c) => n + length(c), 0)).toBe(Number(footer!["bytes"]));
    const missing = clientChunks.filter((c) => !c.present).reduce((n, c) => n + length(c), 0);
    expect(missing).toBeGreaterThan(0);
    const scan = fetchOf(build, "transactions");
    expect(scan.bytesFetched).toBe(missing);
    expect(scan.bytesFromCache).toBeGreaterThan(0);
    expect(fetchOf(build, "countries")).toMatchObject({ bytesFetched: 0, requests: 0 });
    const now = await cachedTransactions();
    expect(now.cachedBytes - cached.cachedBytes).toBe(scan.bytesFetched);
    expect(now.columns.sort()).toEqual([...cached.columns, "client_id"].sort());
    expect(now.columns).not.toContain("note"); // never scanned, never fetched

    const tx = path.join(data, "tx.parquet");
    expect(await query("SELECT * FROM clients ORDER BY country", "dev")).toEqual(
      await duckdbRows(`SELECT country, count(DISTINCT client_id)::INTEGER AS clients FROM '${tx}' GROUP BY country ORDER BY country`),
    );
    const onMain = await bp(["query", "SELECT * FROM clients", "-p", dir], { env: ENV });
    expect(onMain.code).toBe(1);
    expect(onMain.stderr).toMatch(/clients/);
  });

  it("the server stops in the middle of a build: a clear error, a non-zero exit, the branch head unchanged", async () => {
    writeFileSync(
      path.join(dir, "models/slow.ts"),
      `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("countries") },
  materialize: true,
  async run({ t }) {
    console.log("ready");
    await new Promise((r) => setTimeout(r, 1500));
    return t;
  },
});
`,
    );
    const before = await heads();
    const child = spawn(process.execPath, [BP, "build", "--ref", "dev", "-p", dir], { env: { ...process.env, NO_COLOR: "1", ...ENV }, stdio: ["ignore", "pipe", "pipe"] });
    const guard = setTimeout(() => child.kill("SIGKILL"), 90_000);
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the model never started: ${out}${err}`)), 60_000);
      child.stdout.on("data", (d) => {
        out += d;
        if (/\[slow\] ready/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await server.stop();
    const started = performance.now();
    const code = await closed;
    clearTimeout(guard);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(code, out + err).toBe(1);
    expect(err).toMatch(new RegExp(`S3 endpoint ${server.endpoint.replace(/[.]/g, "\\.")} did not answer`));
    expect(err).not.toMatch(/internal error|\n\s+at /);
    expect(out + err).toMatch(/nothing (was )?committed to dev/);

    server = await startS3rver({ port: server.port, dir: serverDir });
    const after = await heads();
    expect(after["dev"]).toBe(before["dev"]);
    expect(after["main"]).toBe(before["main"]);
    // the lake still works after the outage
    expect(await query("SELECT count(*)::INTEGER AS n FROM clients", "dev")).toEqual([{ n: 5 }]);
    const saved = await bp(["build", "--plan", path.join(dir, "target/plan.json"), "-p", dir], { env: ENV });
    expect(saved.code, saved.stderr).toBe(0);

    const cleaned = (await json<{ scans: { objects: number; bytes: number } }>(["cache", "clean", "--scans"])).scans;
    expect(cleaned.objects).toBeGreaterThan(0);
    expect((await json<{ scans: { objects: unknown[]; bytes: number } }>(["cache", "ls", "--scans"])).scans.bytes).toBe(0);
  });
});
