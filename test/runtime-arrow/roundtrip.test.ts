import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import { tableFromIPC, type Decimal } from "apache-arrow";
import { connect, roundTrip, scalar, forEachCopyPath } from "./helpers.js";
import {
  FIRST_BATCH_ROWS,
  MAX_BATCH_BYTES,
  MAX_BATCH_ROWS,
  nextBatchTarget,
  queryToArrowIPCFile,
  queryToArrowTable,
} from "../../runtime/arrow/duckdb-to-arrow.js";
import { arrowIPCFileToDuckDB, arrowTableToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";

let conn: DuckDBConnection;
forEachCopyPath(() => {
  beforeAll(async () => {
    conn = await connect();
  });
  afterAll(() => conn?.closeSync());

  /** NULL on every 7th row (and row 0), so chunks have mixed validity. */
  const nullable = (expr: string): string => `CASE WHEN i % 7 = 3 OR i = 0 THEN NULL ELSE ${expr} END`;
  const N = 5000; // > 2 DuckDB vectors, not a multiple of 2048 or 64

  const BIG_TS = `make_timestamp(i * 123456789123 - 300000000000000)`; // µs, before and after 1970

  /** [DuckDB type, expression over i, expected Arrow type as apache-arrow prints it] */
  const TYPES: [string, string, string][] = [
    ["BOOLEAN", `i % 3 = 0`, "Bool"],
    ["TINYINT", `(i % 256) - 128`, "Int8"],
    ["SMALLINT", `(i * 7919 % 65536) - 32768`, "Int16"],
    ["INTEGER", `(i * 2654435761 % 4294967296) - 2147483648`, "Int32"],
    ["BIGINT", `CASE i WHEN 1 THEN 9223372036854775807 WHEN 2 THEN -9223372036854775808 ELSE i * 1000003 - 2500000000 END`, "Int64"],
    ["UTINYINT", `i % 256`, "Uint8"],
    ["USMALLINT", `i * 7919 % 65536`, "Uint16"],
    ["UINTEGER", `i * 2654435761 % 4294967296`, "Uint32"],
    ["UBIGINT", `CASE i WHEN 1 THEN 18446744073709551615 ELSE i * 3000000000000 END`, "Uint64"],
    ["FLOAT", `i / 7.0 - 100`, "Float32"],
    ["DOUBLE", `CASE i WHEN 1 THEN 1e300 WHEN 2 THEN -0.0 ELSE i / 7.0 - 100 END`, "Float64"],
    ["DECIMAL(4,1)", `((i * 37 % 19999) - 9999) / 10`, "Decimal[4e+1]"],
    ["DECIMAL(9,3)", `((i * 7919 % 1999999) - 999999) / 1000`, "Decimal[9e+3]"],
    ["DECIMAL(18,6)", `CASE i WHEN 1 THEN 999999999999.999999 WHEN 2 THEN -999999999999.999999 ELSE (i - 2500) * 1234567.891011 END`, "Decimal[18e+6]"],
    ["DECIMAL(38,10)", `(i - 2500)::HUGEINT * 12345678901234567890123`, "Decimal[38e+10]"],
    ["DECIMAL(38,0)", `CASE i WHEN 1 THEN '99999999999999999999999999999999999999' WHEN 2 THEN '-99999999999999999999999999999999999999' ELSE (i - 2500)::VARCHAR END`, "Decimal[38e0]"],
    ["DATE", `DATE '1900-01-01' + (i * 13)::INTEGER`, "Date32<DAY>"],
    ["TIMESTAMP", BIG_TS, "Timestamp<MICROSECOND>"],
    ["TIMESTAMP_MS", BIG_TS, "Timestamp<MILLISECOND>"],
    ["TIMESTAMP_S", BIG_TS, "Timestamp<SECOND>"],
    ["TIMESTAMP_NS", `make_timestamp_ns(i * 123456789123457 - 300000000000000000)`, "Timestamp<NANOSECOND>"],
    ["TIMESTAMP WITH TIME ZONE", BIG_TS, "Timestamp<MICROSECOND, UTC>"],
    ["TIME", `make_timestamp(i * 1234567891 % 86400000000)::TIME`, "Time64<MICROSECOND>"],
    ["TIME_NS", `make_timestamp_ns(i * 1234567891237 % 86400000000000)::TIME_NS`, "Time64<NANOSECOND>"],
    [
      "VARCHAR",
      `CASE i % 8
         WHEN 0 THEN ''
         WHEN 1 THEN 's' || i
         WHEN 2 THEN repeat('long-', (i % 10) + 3) || i
         WHEN 3 THEN '€ünï' || i || '🦆'
         WHEN 4 THEN repeat('🦆', (i % 5)::INTEGER)
         WHEN 5 THEN substr('abcdefghijklmnop', 1, 12)
         WHEN 6 THEN substr('abcdefghijklmnop', 1, 13)
         ELSE 'x' || repeat('y', (i % 15)::INTEGER) END`,
      "Utf8",
    ],
    ["BLOB", `CASE WHEN i % 5 = 0 THEN ''::BLOB ELSE encode(repeat('ab', (i % 20)::INTEGER)) || '\\x00\\xFF'::BLOB END`, "Binary"],
  ];

  describe("DuckDB -> Arrow -> DuckDB round trip, per type, with NULLs", () => {
    it.each(TYPES)("%s", async (type, expr, arrowType) => {
      const { table, duckTypes } = await roundTrip(conn, `SELECT i, (${nullable(expr)})::${type} AS v FROM range(${N}) t(i)`);
      expect(duckTypes).toEqual(["i BIGINT", `v ${type}`]);
      const arrow = table.schema.fields[1]!.type;
      expect(String(arrow)).toBe(arrowType);
      if (type.startsWith("DECIMAL")) expect((arrow as Decimal).bitWidth).toBe(128);
      expect(table.getChildAt(1)!.nullCount).toBe(Array.from({ length: N }, (_, i) => i % 7 === 3 || i === 0).filter(Boolean).length);
    });

    it("all types in one table, across 64k-row batch boundaries", async () => {
      const cols = TYPES.map(([type, expr], k) => `(${nullable(expr)})::${type} AS c${k}`).join(", ");
      const { table } = await roundTrip(conn, `SELECT i, ${cols} FROM range(70000) t(i)`);
      expect(table.batches.length).toBeGreaterThan(1);
      expect(table.batches[0]!.numRows).toBeGreaterThanOrEqual(64 * 1024);
    });
  });

  describe("chunk boundaries and sizes", () => {
    const cols = `i, (${nullable("i % 2 = 0")})::BOOLEAN b, (${nullable("i * 3")})::BIGINT n, (${nullable(`'value-number-' || i`)})::VARCHAR s, (${nullable("i / 100")})::DECIMAL(9,2) d`;
    it.each([0, 1, 63, 64, 65, 2047, 2048, 2049, 4096, 6001])("%d rows", async (rows) => {
      const { table } = await roundTrip(conn, `SELECT ${cols} FROM range(${rows}) t(i)`);
      expect(table.numRows).toBe(rows);
    });

    it("columns with no NULLs at all carry no null bitmap", async () => {
      const table = await queryToArrowTable(conn, "SELECT i, i::VARCHAR s FROM range(3000) t(i)");
      for (const d of table.getChildAt(1)!.data) expect(d.nullCount).toBe(0);
      await roundTrip(conn, "SELECT i, i::VARCHAR s, i % 2 = 0 b FROM range(3000) t(i)");
    });

    it("all-NULL columns", async () => {
      await roundTrip(conn, "SELECT i, NULL::VARCHAR s, NULL::BIGINT n, NULL::BOOLEAN b, NULL::DECIMAL(38,2) d FROM range(3000) t(i)");
    });

    it("partial chunks from a filter (unaligned validity offsets)", async () => {
      // The filter makes DuckDB emit chunks whose sizes are not multiples of 8.
      const sql = `SELECT i, (${nullable("i % 2 = 0")})::BOOLEAN b, (${nullable("'s' || repeat('x', (i % 20)::INTEGER)")}) s FROM range(20000) t(i) WHERE i % 3 <> 0 AND i % 11 <> 5`;
      const table = await queryToArrowTable(conn, sql);
      expect(table.numRows).toBe(Number(await scalar(conn, `SELECT count(*) FROM (${sql})`)));
      expect(table.batches[0]!.numRows % 8).not.toBe(0);
      await arrowTableToDuckDB(conn, table, "partial", { replace: true });
      expect(await scalar(conn, `SELECT count(*) FROM ((${sql}) EXCEPT ALL (SELECT * FROM partial))`)).toBe(0n);
      expect(await scalar(conn, `SELECT count(*) FROM ((SELECT * FROM partial) EXCEPT ALL (${sql}))`)).toBe(0n);
      await roundTrip(conn, sql);
    });

    it("first NULL of a batch appearing late, in a partial chunk that crosses the 64k batch size", async () => {
      // i % 7 <> 0 makes ~1755-row chunks; rows 64951..66706 form the chunk that closes the first batch
      const sql = `SELECT i, CASE WHEN i BETWEEN 76500 AND 76600 THEN NULL ELSE i END v,
                CASE WHEN i BETWEEN 76500 AND 76600 THEN NULL ELSE i % 2 = 0 END b,
                CASE WHEN i BETWEEN 76500 AND 76600 THEN NULL ELSE 'str-' || i || '-long-enough' END s
         FROM range(200000) t(i) WHERE i % 7 <> 0`;
      const table = await queryToArrowTable(conn, sql); // streamed straight from the filter, not re-chunked
      expect(table.batches[0]!.numRows % 8).not.toBe(0);
      const nulls = Number(await scalar(conn, `SELECT count(*) FROM (${sql}) WHERE v IS NULL`));
      expect(nulls).toBeGreaterThan(0);
      for (let c = 1; c < 4; c++) expect(table.getChildAt(c)!.nullCount).toBe(nulls);
      expect(table.batches[0]!.getChildAt(1)!.nullCount).toBe(nulls); // all in the first batch
      await arrowTableToDuckDB(conn, table, "late_nulls", { replace: true });
      expect(await scalar(conn, `SELECT count(*) FROM ((${sql}) EXCEPT ALL (SELECT * FROM late_nulls))`)).toBe(0n);
      expect(await scalar(conn, `SELECT count(*) FROM ((SELECT * FROM late_nulls) EXCEPT ALL (${sql}))`)).toBe(0n);
      await roundTrip(conn, sql);
    });

    it("large strings (> 64 KiB each) and many heap strings", async () => {
      await roundTrip(conn, `SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE repeat(chr((65 + i % 26)::INTEGER), (70000 + i)::INTEGER) END s FROM range(50) t(i)`);
      await roundTrip(conn, `SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) s FROM range(100000) t(i)`);
    });

    it("a small result is one batch of its size; a large one gets batches doubling from 64k rows", async () => {
      const small = await queryToArrowTable(conn, "SELECT i, i / 2 AS d, 'x' || i AS s, NULLIF(i, 3) AS n FROM range(10) t(i)");
      expect(small.batches.map((b) => b.numRows)).toEqual([10]);
      // copied out of the buffers sized for 64k rows: the Table pins 10 rows' worth
      const [d, s, n] = [1, 2, 3].map((c) => small.getChildAt(c)!.data[0]!);
      expect(d!.values.buffer.byteLength).toBe(80);
      expect(d!.values.byteOffset).toBe(0);
      expect([s!.valueOffsets.buffer.byteLength, s!.values.buffer.byteLength]).toEqual([44, 20]);
      expect(n!.nullBitmap!.buffer.byteLength).toBe(2);

      // 1.2M rows: 65536, then twice the rows per batch (up to 1M), then the rest (closed at 2048-row chunks)
      const sql = `SELECT i, (${nullable("i / 3")})::DOUBLE d, (${nullable(`'v' || (i % 1000)`)}) s, (${nullable("i % 2 = 0")}) b,
        (${nullable("i % 100000 / 100")})::DECIMAL(9,2) AS dm FROM range(1200000) t(i)`;
      await conn.run(`CREATE OR REPLACE TABLE big_src AS ${sql}`);
      const sizes = [65536, 131072, 262144, 524288, 216960];
      const table = await queryToArrowTable(conn, "SELECT * FROM big_src ORDER BY i");
      expect(table.batches.map((b) => b.numRows)).toEqual(sizes);
      // the last batch (217k rows in buffers for 1M) was copied out at its size
      expect(table.getChildAt(1)!.data[4]!.values.buffer.byteLength).toBe(216960 * 8);
      await arrowTableToDuckDB(conn, table, "big_dst", { replace: true });
      // the IPC file path recycles two buffer sets, regrown as the batches grow
      const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "bp-arrow-batches-"));
      try {
        const file = path.join(dir, "big.arrow");
        expect((await queryToArrowIPCFile(conn, "SELECT * FROM big_src ORDER BY i", file)).rows).toBe(1200000);
        expect(tableFromIPC(fs.readFileSync(file)).batches.map((b) => b.numRows)).toEqual(sizes);
        await arrowIPCFileToDuckDB(conn, file, "big_ipc", { replace: true });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      for (const dst of ["big_dst", "big_ipc"]) {
        expect(await scalar(conn, `SELECT count(*) FROM (SELECT * FROM big_src EXCEPT ALL SELECT * FROM ${dst})`)).toBe(0n);
        expect(await scalar(conn, `SELECT count(*) FROM (SELECT * FROM ${dst} EXCEPT ALL SELECT * FROM big_src)`)).toBe(0n);
      }
    });

    it("batch targets: doubling, capped by rows and by bytes per batch, never below the first", () => {
      expect(nextBatchTarget(FIRST_BATCH_ROWS, FIRST_BATCH_ROWS, FIRST_BATCH_ROWS * 32)).toBe(2 * FIRST_BATCH_ROWS);
      expect(nextBatchTarget(MAX_BATCH_ROWS, MAX_BATCH_ROWS, MAX_BATCH_ROWS * 32)).toBe(MAX_BATCH_ROWS);
      expect(nextBatchTarget(MAX_BATCH_ROWS / 2, MAX_BATCH_ROWS / 2, 0)).toBe(MAX_BATCH_ROWS);
      // 1000 bytes per row: ~67k rows fit 64 MiB
      expect(nextBatchTarget(4 * FIRST_BATCH_ROWS, 4 * FIRST_BATCH_ROWS, 4 * FIRST_BATCH_ROWS * 1000)).toBe(Math.floor(MAX_BATCH_BYTES / 1000));
      // a batch closed early by its strings (256 MiB in 70k rows): back to the first target
      expect(nextBatchTarget(MAX_BATCH_ROWS, 70000, 256 * 2 ** 20)).toBe(FIRST_BATCH_ROWS);
    });

    it("strings from a table with repeated (dictionary-like) values", async () => {
      await conn.run(`CREATE OR REPLACE TABLE rep AS SELECT i, ['alpha-long-category', 'b', 'gamma-long-category-🦆', NULL][(i % 4 + 1)::INTEGER] s FROM range(10000) t(i)`);
      await roundTrip(conn, "SELECT * FROM rep");
    });
  });
});
