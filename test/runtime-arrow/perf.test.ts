import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryToArrowIPCFile, queryToArrowTable } from "../../runtime/arrow/duckdb-to-arrow.js";
import { arrowIPCFileToDuckDB, arrowTableToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";
import { connect, scalar, forEachCopyPath } from "./helpers.js";

/** Sanity numbers for the lead, printed, never asserted. */
let conn: DuckDBConnection;
let dir: string;
forEachCopyPath((copyPath) => {
  beforeAll(async () => {
    conn = await connect();
    dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-arrow-perf-"));
  });
  afterAll(() => {
    conn?.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ROWS = 1_000_000;

  async function time<T>(label: string, f: () => Promise<T>, lines: string[]): Promise<T> {
    const t0 = performance.now();
    const r = await f();
    const ms = performance.now() - t0;
    lines.push(`${label.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms  ${((ROWS / ms) * 1000 / 1e6).toFixed(1).padStart(5)} M rows/s`);
    return r;
  }

  describe("perf sanity (1M rows of BIGINT, DOUBLE, VARCHAR)", () => {
    it("prints timings", async () => {
      // half the strings are inline (<= 12 bytes), half live in DuckDB's string heap
      await conn.run(`CREATE TABLE perf_src AS
        SELECT i::BIGINT AS a, i * 1.5 AS b,
               'name-' || i || CASE WHEN i % 2 = 0 THEN '-with-a-longer-tail' ELSE '' END AS c
        FROM range(${ROWS}) t(i)`);
      await conn.run(`CREATE TABLE perf_fixed AS SELECT a, b FROM perf_src`);
      const lines: string[] = [];
      const file = path.join(dir, "perf.arrow");

      // warm-up (JIT), not reported
      await queryToArrowTable(conn, "SELECT * FROM perf_src LIMIT 100000");

      const table = await time("DuckDB -> Arrow Table (queryToArrowTable)", () => queryToArrowTable(conn, "SELECT * FROM perf_src"), lines);
      await time("  same, BIGINT+DOUBLE only", () => queryToArrowTable(conn, "SELECT * FROM perf_fixed"), lines);
      await time("  same, VARCHAR only", () => queryToArrowTable(conn, "SELECT c FROM perf_src"), lines);
      const r = await time("DuckDB -> IPC file in /dev/shm (queryToArrowIPCFile)", () => queryToArrowIPCFile(conn, "SELECT * FROM perf_src", file), lines);
      await time("Arrow Table -> DuckDB (arrowTableToDuckDB)", () => arrowTableToDuckDB(conn, table, "perf_dst1"), lines);
      const fixed = await queryToArrowTable(conn, "SELECT * FROM perf_fixed");
      await time("  same, BIGINT+DOUBLE only", () => arrowTableToDuckDB(conn, fixed, "perf_dst_fixed"), lines);
      const strs = await queryToArrowTable(conn, "SELECT c FROM perf_src");
      await time("  same, VARCHAR only", () => arrowTableToDuckDB(conn, strs, "perf_dst_str"), lines);
      await time("IPC file -> DuckDB (arrowIPCFileToDuckDB)", () => arrowIPCFileToDuckDB(conn, file, "perf_dst2"), lines);
      await time("reference: node-api runAndReadAll + getColumns()", async () => (await conn.runAndReadAll("SELECT * FROM perf_src")).getColumns(), lines);

      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM perf_src EXCEPT ALL SELECT * FROM perf_dst2)")).toBe(0n);
      console.log(
        [`\n[runtime-arrow perf, ${copyPath} copy path] ${ROWS} rows, IPC file ${(r.bytes / 1e6).toFixed(1)} MB, ${table.batches.length} batches`, ...lines].join("\n"),
      );
    });
  });
});
