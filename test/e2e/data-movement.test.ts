/**
 * Where tables cross between nodes, and the record of it: every plan edge gets an EdgeResult with
 * its transport, location, bytes and seconds (in `bp build --json`, summed up in one "data moved"
 * line, every edge with --verbose); tables that do not fit in shared memory (BP_SHM_LIMIT_BYTES, a
 * real ENOSPC) go to a disk folder with a log line, give the same results and leave no files; an
 * unwritable shared-memory folder falls back to disk with a warning.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../compiler/plan-types.js";
import { exportToShm, type RunContext } from "../../runtime/run-context.js";
import type { EdgeResult, RunEvent, RunResult } from "../../runtime/run-events.js";
import { createShmDir } from "../../runtime/shm-dir.js";
import { bp, duckdbRows, importSql, runResultOf, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(name: string, base = os.tmpdir()): string {
  const d = mkdtempSync(path.join(base, `bp-move-${name}-`));
  temps.push(d);
  return d;
}

const SHM_BASE = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();

const SALES = `SELECT range AS id, ((range % 997) * 1.5)::DOUBLE AS usd, ['DE', 'FR', 'IT', 'US', 'JP'][range % 5 + 1] AS country FROM range(20000)`;
const RATES = `SELECT country, rate::DOUBLE AS rate FROM (VALUES ('DE', 1.1), ('FR', 1.2), ('IT', 1.3)) AS t(country, rate)`;

/** Every kind of edge: scan->TS (two inputs), TS->SQL, TS->TS, TS->lake, scan->SQL, SQL->lake. */
const PROJECT: Record<string, string> = {
  "models/eu.ts": `import { model, input } from "bauplan-ts";
import { Table, Utf8, vectorFromArray } from "apache-arrow";
export default model({
  inputs: {
    data: input("sales", { columns: ["id", "usd", "country"], filter: "country IN ('DE', 'FR', 'IT')" }),
    rates: input("rates"),
  },
  columns: { id: "BIGINT", eur: "DOUBLE", country: "VARCHAR" },
  run({ data, rates }) {
    const rate = new Map<string, number>();
    for (const r of rates) rate.set(String(r.country), Number(r.rate));
    const id = data.getChild("id")!.toArray() as BigInt64Array;
    const usd = data.getChild("usd")!.toArray() as Float64Array;
    const country = [...data.getChild("country")!] as string[];
    const eur = usd.map((v, i) => v * rate.get(country[i]!)!);
    return new Table({ id: vectorFromArray(id), eur: vectorFromArray(eur), country: vectorFromArray(country, new Utf8()) });
  },
});
`,
  "models/eu_total.sql": "-- bp: materialize = true\nSELECT country, count(*) AS n, round(sum(eur), 4) AS eur FROM eu GROUP BY ALL\n",
  "models/eu_copy.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("eu") },
  materialize: true,
  run({ t }) {
    return t;
  },
});
`,
  "models/by_country.sql": "-- bp: materialize = true\nSELECT country, count(*) AS n FROM sales GROUP BY ALL\n",
};

const EXPECTED_TRANSPORTS: Record<string, string> = {
  "scan:sales -> model:eu": "duckdb-to-shm",
  "scan:rates -> model:eu": "duckdb-to-shm",
  "model:eu -> model:eu_total": "shm-to-duckdb",
  "model:eu -> model:eu_copy": "shm",
  "model:eu_copy -> materialize:eu_copy": "shm-to-duckdb",
  "model:eu_total -> materialize:eu_total": "duckdb-to-parquet",
  "scan:sales -> model:by_country": "duckdb",
  "model:by_country -> materialize:by_country": "duckdb-to-parquet",
};

async function makeProject(name: string): Promise<{ dir: string; data: string }> {
  const dir = writeProject(PROJECT, name);
  temps.push(dir);
  await importSql(dir, "sales", SALES);
  await importSql(dir, "rates", RATES);
  return { dir, data: path.join(dir, "data") };
}

/** The results computed directly in DuckDB from the imported Parquet files. */
async function expectedTotals(data: string): Promise<Record<string, unknown>[]> {
  return duckdbRows(
    `SELECT s.country, count(*)::INTEGER AS n, round(sum(s.usd * r.rate), 4) AS eur
     FROM '${data}/sales.parquet' s JOIN '${data}/rates.parquet' r USING (country) GROUP BY ALL ORDER BY country`,
  );
}

async function queryJson(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const r = await bp(["query", sql, "-p", dir, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

function edgeName(e: { from: string; to: string }): string {
  return `${e.from} -> ${e.to}`;
}

describe("per-edge records and the data-movement summary", () => {
  let dir: string;
  let data: string;
  let shm: string;
  let tmp: string;
  let result: Awaited<ReturnType<typeof bp>>;
  let run: RunResult;
  let plan: Plan;
  beforeAll(async () => {
    ({ dir, data } = await makeProject("edges"));
    const compiled = await bp(["compile", "-p", dir]);
    expect(compiled.code, compiled.stderr).toBe(0);
    plan = JSON.parse(readFileSync(path.join(dir, "target/plan.json"), "utf8")) as Plan;
    shm = tempDir("shm", SHM_BASE);
    tmp = tempDir("tmp");
    result = await bp(["build", "-p", dir, "--json", "--verbose"], { env: { BP_SHM_DIR: shm, TMPDIR: tmp } });
    expect(result.code, result.stderr).toBe(0);
    run = runResultOf(result.stdout);
  });

  it("has one record per plan edge, in plan order, with the plan's transport", () => {
    expect(plan.edges.map(edgeName).sort()).toEqual(Object.keys(EXPECTED_TRANSPORTS).sort());
    expect(run.edges.map(edgeName)).toEqual(plan.edges.map(edgeName));
    for (const e of run.edges) expect(e.transport, edgeName(e)).toBe(EXPECTED_TRANSPORTS[edgeName(e)]);
  });

  it("records where each edge's data crossed, its bytes and seconds", () => {
    const byName = new Map(run.edges.map((e) => [edgeName(e), e] as const));
    const edge = (name: string): EdgeResult => byName.get(name)!;
    // Inside DuckDB: nothing copied.
    expect(edge("scan:sales -> model:by_country")).toMatchObject({ location: "duckdb", bytes: null, seconds: 0 });
    // Arrow IPC files in shared memory, mapped by the child.
    for (const name of ["scan:sales -> model:eu", "scan:rates -> model:eu"]) {
      expect(edge(name)).toMatchObject({ location: "shm", readMode: "mmap" });
      expect(edge(name).bytes).toBeGreaterThan(0);
      expect(edge(name).shared).toBeUndefined();
    }
    expect(edge("scan:sales -> model:eu").bytes).toBeGreaterThan(edge("scan:rates -> model:eu").bytes!);
    // eu's output file: loaded into DuckDB once (that edge counts its bytes), mapped by eu_copy (shared).
    const load = edge("model:eu -> model:eu_total");
    expect(load).toMatchObject({ location: "shm" });
    expect(load.bytes).toBeGreaterThan(0);
    expect(load.seconds).toBeGreaterThan(0);
    expect(edge("model:eu -> model:eu_copy")).toMatchObject({ location: "shm", bytes: load.bytes, shared: true, readMode: "mmap" });
    // Written to the lake: Parquet bytes; from a TS model, the load into DuckDB plus the lake write.
    expect(edge("model:by_country -> materialize:by_country")).toMatchObject({ location: "lake" });
    expect(edge("model:by_country -> materialize:by_country").bytes).toBeGreaterThan(0);
    expect(edge("model:eu_copy -> materialize:eu_copy")).toMatchObject({ location: "shm" });
    expect(edge("model:eu_copy -> materialize:eu_copy").lakeBytes).toBeGreaterThan(0);
    for (const e of run.edges) expect(e.seconds).toBeGreaterThanOrEqual(0);
  });

  it("prints the data-movement summary line and, with --verbose, every edge", () => {
    expect(result.stderr).toMatch(
      /data moved: 5 edges, [\d.]+ (KB|MB) through shared memory in \d+\.\d\d s, 0 B on disk; 1 edge inside DuckDB; 3 tables written to the lake \([\d.]+ (B|KB) in \d+\.\d\d s\)/,
    );
    const table = result.stderr.slice(result.stderr.indexOf("\nedge "));
    for (const [name, transport] of Object.entries(EXPECTED_TRANSPORTS)) expect(table).toMatch(new RegExp(`${name}.*${transport}`));
    expect(result.stderr).toMatch(/debug: duckdb: memory_limit /);
    // The data-movement line comes after the node summary, before the verdict.
    expect(result.stderr.indexOf("data moved:")).toBeGreaterThan(result.stderr.search(/eu_total\s+sql\s+OK/));
    expect(result.stderr.indexOf("data moved:")).toBeLessThan(result.stderr.indexOf("build succeeded"));
  });

  it("computes what DuckDB computes and leaves no files in shared memory or the temp folder", async () => {
    expect(await queryJson(dir, "SELECT * FROM eu_total ORDER BY country")).toEqual(await expectedTotals(data));
    expect(readdirSync(shm)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("prints the summary without --verbose, but neither the edge table nor debug lines", async () => {
    const r = await bp(["build", "-p", dir, "--no-cache"], { env: { BP_SHM_DIR: shm, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/data moved: 5 edges, .* through shared memory .*; 1 edge inside DuckDB; 3 tables written to the lake/);
    expect(r.stdout).not.toMatch(/debug:/);
    expect(r.stdout).not.toMatch(/^edge\s+transport/m);
  });
});

describe("BP_SHM_LIMIT_BYTES: tables that do not fit go to a disk folder", () => {
  let dir: string;
  let data: string;
  let shm: string;
  let tmp: string;
  let result: Awaited<ReturnType<typeof bp>>;
  let run: RunResult;
  beforeAll(async () => {
    ({ dir, data } = await makeProject("limit"));
    shm = tempDir("shm", SHM_BASE);
    tmp = tempDir("tmp");
    // rates (a few KB) fits; sales (~300 KB as Arrow) and eu's output do not.
    result = await bp(["build", "-p", dir, "--json", "--threads", "1", "--no-cache"], { env: { BP_SHM_DIR: shm, TMPDIR: tmp, BP_SHM_LIMIT_BYTES: String(64 * 1024) } });
    expect(result.code, result.stderr).toBe(0);
    run = runResultOf(result.stdout);
  });

  it("says so in the log, naming the edge, the size, the room and the disk folder", () => {
    const disk = new RegExp(`using ${tmp.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/bp-\\d+-[^ ]+-disk-\\w+ on disk`);
    const line = result.stderr.split("\n").find((l) => l.startsWith("sales -> eu:"));
    expect(line, result.stderr).toMatch(/^sales -> eu: [\d.]+ KB does not fit in .* \([\d.]+ (B|KB) free under BP_SHM_LIMIT_BYTES=65536\): /);
    expect(line).toMatch(disk);
    expect(line).toContain(shm);
    expect(result.stderr).toMatch(/output of eu: [\d.]+ KB does not fit in/);
    expect(result.stderr).not.toMatch(/^rates -> eu:/m);
  });

  it("records the disk and shared-memory edges", () => {
    const edge = (name: string) => run.edges.find((e) => edgeName(e) === name)!;
    expect(edge("scan:sales -> model:eu")).toMatchObject({ location: "disk", readMode: "mmap" });
    expect(edge("scan:rates -> model:eu")).toMatchObject({ location: "shm", readMode: "mmap" });
    expect(edge("model:eu -> model:eu_total")).toMatchObject({ location: "disk" });
    expect(edge("model:eu -> model:eu_copy")).toMatchObject({ location: "disk", readMode: "mmap" });
    expect(result.stderr).toMatch(/data moved: 5 edges, [\d.]+ (B|KB) through shared memory in [\d.]+ s, [\d.]+ KB on disk in [\d.]+ s; 1 edge inside DuckDB/);
  });

  it("gives the same results and leaves no files in either folder", async () => {
    expect(await queryJson(dir, "SELECT * FROM eu_total ORDER BY country")).toEqual(await expectedTotals(data));
    expect(await queryJson(dir, "SELECT count(*) AS n, sum(id) AS ids FROM eu_copy")).toEqual(
      await duckdbRows(`SELECT count(*)::INTEGER AS n, sum(id)::DOUBLE AS ids FROM '${data}/sales.parquet' WHERE country IN ('DE', 'FR', 'IT')`),
    );
    expect(readdirSync(shm)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("with no room at all, every file goes to disk and the build still succeeds", async () => {
    const r = await bp(["build", "-p", dir, "--json", "--no-cache"], { env: { BP_SHM_DIR: shm, TMPDIR: tmp, BP_SHM_LIMIT_BYTES: "0" } });
    expect(r.code, r.stderr).toBe(0);
    const edges = runResultOf(r.stdout).edges;
    for (const e of edges.filter((x) => x.transport !== "duckdb" && x.transport !== "duckdb-to-parquet")) expect(e.location, edgeName(e)).toBe("disk");
    expect(r.stderr).toMatch(/rates -> eu: .* does not fit/);
    expect(await queryJson(dir, "SELECT * FROM eu_total ORDER BY country")).toEqual(await expectedTotals(data));
    expect(readdirSync(shm)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("rejects a BP_SHM_LIMIT_BYTES that is not a number, and a bad --duckdb-memory, with exit 2", async () => {
    const r = await bp(["build", "-p", dir], { env: { BP_SHM_DIR: shm, TMPDIR: tmp, BP_SHM_LIMIT_BYTES: "lots" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BP_SHM_LIMIT_BYTES must be a number of bytes, got "lots"/);
    const m = await bp(["build", "-p", dir, "--duckdb-memory", "plenty"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--duckdb-memory: .*got "plenty"/);
  });

  it("--duckdb-memory sets DuckDB's memory limit (shown with --verbose only)", async () => {
    const r = await bp(["build", "-p", dir, "--duckdb-memory", "256MiB", "-v", "--no-cache"], { env: { BP_SHM_DIR: shm, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/debug: duckdb: memory_limit 256\.0 MiB, threads \d+, spills to /);
  });
});

describe("an unwritable shared-memory folder", () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    ({ dir, data } = await makeProject("noshm"));
  });

  // Tests run as root (permissions do not stop root): a folder under a regular file cannot exist,
  // and a regular file is not a folder.
  it.each([
    ["a path under a regular file", (file: string) => path.join(file, "shm")],
    ["a regular file", (file: string) => file],
  ])("BP_SHM_DIR set to %s: falls back to the temp folder with a warning", async (_label, shmOf) => {
    const tmp = tempDir("tmp");
    const file = path.join(tempDir("file"), "not-a-folder");
    writeFileSync(file, "x");
    const wanted = shmOf(file);
    const r = await bp(["build", "-p", dir, "--json", "--no-cache"], { env: { BP_SHM_DIR: wanted, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${wanted} is not writable: exchanging tables through ${tmp}/bp-`);
    const run = runResultOf(r.stdout);
    for (const e of run.edges.filter((x) => x.location === "shm" || x.location === "disk")) expect(e.location, edgeName(e)).toBe("disk");
    expect(run.edges.filter((e) => e.location === "disk").length).toBe(5);
    expect(r.stderr).toMatch(/data moved: 5 edges, 0 B through shared memory in [\d.]+ s, [\d.]+ KB on disk/);
    expect(r.stderr).not.toMatch(/does not fit/);
    expect(await queryJson(dir, "SELECT * FROM eu_total ORDER BY country")).toEqual(await expectedTotals(data));
    expect(readdirSync(tmp)).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe("x");
  });
});

describe("ENOSPC while writing to shared memory", () => {
  it("an export that fails with ENOSPC is written again to the disk folder, with a log event (real DuckDB, /dev/full)", async () => {
    const shmBase = tempDir("shm", SHM_BASE);
    const tmp = tempDir("tmp");
    const saved = { shm: process.env.BP_SHM_DIR, tmp: process.env.TMPDIR };
    process.env.BP_SHM_DIR = shmBase;
    process.env.TMPDIR = tmp;
    const restoreEnv = () => {
      for (const [name, value] of [["BP_SHM_DIR", saved.shm], ["TMPDIR", saved.tmp]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
    const shm = createShmDir("20260101T000000-abcdef");

    const db = await DuckDBInstance.create(":memory:");
    const events: RunEvent[] = [];
    try {
      const setup = await db.connect();
      await setup.run(`CREATE TABLE words AS SELECT range AS id, 'word ' || range AS w FROM range(5000)`);
      setup.closeSync();
      // The export's temporary file is a symlink to /dev/full: every write fails with ENOSPC.
      symlinkSync("/dev/full", path.join(shm.path, "words.0.arrow.tmp"));
      const ctx = {
        shm,
        emit: (e: RunEvent) => events.push(e),
        exports: new Map(),
        async withConnection<T>(fn: (conn: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<T>): Promise<T> {
          const conn = await db.connect();
          try {
            return await fn(conn);
          } finally {
            conn.closeSync();
          }
        },
      } as unknown as RunContext;
      const file = await exportToShm(ctx, "words", ["id", "w"], "id % 2 = 0", "words -> reader");
      expect(file.location).toBe("disk");
      expect(path.dirname(file.path)).toBe(shm.diskDir());
      expect(path.dirname(file.path).startsWith(tmp)).toBe(true);
      expect(events).toEqual([expect.objectContaining({ type: "shm-fallback", what: "words -> reader", reason: "enospc", shmDir: shmBase, dir: shm.diskDir() })]);
      const table = tableFromIPC(readFileSync(file.path));
      expect(table.numRows).toBe(2500);
      expect(String(table.get(1)!.w)).toBe("word 2");
      expect(readdirSync(shm.path)).toEqual([]); // the symlink (the failed temp file) is gone
    } finally {
      db.closeSync();
      shm.remove();
      restoreEnv();
    }
    expect(readdirSync(shmBase)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  // A real full tmpfs, when this machine lets us mount one (root with CAP_SYS_ADMIN).
  const mountPoint = mkdtempSync(path.join(os.tmpdir(), "bp-move-tmpfs-"));
  temps.push(mountPoint);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint]).status === 0;
  afterAll(() => {
    if (mounted) spawnSync("umount", [mountPoint]);
  });

  it.skipIf(!mounted)("a full shared memory (512 KB tmpfs): under-estimated exports and TS outputs go to disk, results unchanged", async () => {
    const dir = writeProject(
      {
        // First 8,192 strings short, the rest long: the cheap estimate fits, the real file does not.
        "models/skewed_len.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";
export default model({
  inputs: { t: input("skewed") },
  materialize: true,
  run({ t }) {
    let total = 0;
    for (const s of t.getChild("s")!) total += String(s).length;
    return tableFromArrays({ rows: Float64Array.of(t.numRows), chars: Float64Array.of(total) });
  },
});
`,
        // A tiny input and a ~640 KB output: the child hits ENOSPC and runs again with its output on disk.
        "models/blowup.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";
export default model({
  inputs: { t: input("nums") },
  run({ t }) {
    console.log("blowing up", t.numRows, "rows");
    const id = new Float64Array(80_000);
    for (let i = 0; i < id.length; i++) id[i] = i;
    return tableFromArrays({ id });
  },
});
`,
        "models/blowup_total.sql": "-- bp: materialize = true\nSELECT count(*) AS n, sum(id) AS s FROM blowup\n",
      },
      "tmpfs",
    );
    temps.push(dir);
    await importSql(dir, "skewed", "SELECT range AS id, CASE WHEN range < 8192 THEN 'x' ELSE repeat('y', 60) END AS s FROM range(20000)");
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    const tmp = tempDir("tmp");
    const r = await bp(["build", "-p", dir, "--json", "--threads", "1", "--no-cache"], { env: { BP_SHM_DIR: mountPoint, TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`skewed -> skewed_len: ${mountPoint} ran out of space \\(ENOSPC\\): writing it to ${tmp}/bp-[^ ]+ on disk instead`));
    expect(r.stderr).toMatch(new RegExp(`output of blowup: ${mountPoint} ran out of space \\(ENOSPC\\): running the model again with its output in ${tmp}/bp-[^ ]+ on disk`));
    const run = runResultOf(r.stdout);
    expect(run.edges.find((e) => e.to === "model:skewed_len")).toMatchObject({ location: "disk" });
    expect(run.edges.find((e) => e.from === "model:blowup")).toMatchObject({ location: "disk" });
    expect(await queryJson(dir, "SELECT rows, chars FROM skewed_len")).toEqual([{ rows: 20000, chars: 8192 + (20000 - 8192) * 60 }]);
    expect(await queryJson(dir, "SELECT n, s FROM blowup_total")).toEqual([{ n: 80000, s: (79999 * 80000) / 2 }]);
    expect(readdirSync(mountPoint)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
