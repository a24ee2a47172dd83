import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import { RecordBatchFileWriter, RecordBatchStreamWriter, tableFromArrays, tableFromIPC } from "apache-arrow";
import { queryToArrowIPCFile, queryToArrowTable } from "../../runtime/arrow/duckdb-to-arrow.js";
import { arrowIPCFileToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";
import { mapIpcFile, PIECE_BYTES_ENV } from "../../runtime/native/ipc-file.js";
import { arrowCanon, connect, describeTable, rowsJson, scalar, forEachCopyPath } from "./helpers.js";

let conn: DuckDBConnection;
let dir: string;
forEachCopyPath(() => {
  beforeAll(async () => {
    conn = await connect();
    const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
    dir = fs.mkdtempSync(path.join(base, "bp-arrow-test-"));
  });
  afterAll(() => {
    conn?.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `rows` rows of 7 columns with NULLs (150,000: 2 record batches, of 64k and 84k rows). */
  const sqlOf = (rows: number): string => `SELECT i,
      CASE WHEN i % 7 = 3 THEN NULL ELSE i * 3 END::BIGINT AS n,
      CASE WHEN i % 5 = 1 THEN NULL ELSE i / 3 END::DOUBLE AS d,
      CASE WHEN i % 6 = 2 THEN NULL WHEN i % 4 = 0 THEN 'short' || (i % 10) ELSE 'a longer string ' || i || ' 🦆' END AS s,
      CASE WHEN i % 9 = 4 THEN NULL ELSE i % 2 = 0 END AS b,
      CASE WHEN i % 8 = 5 THEN NULL ELSE (i - 50000) * 1.25 END::DECIMAL(12,2) AS dec,
      CASE WHEN i % 10 = 7 THEN NULL ELSE make_timestamp(i * 1000003) END::TIMESTAMP WITH TIME ZONE AS ts
    FROM range(${rows}) t(i)`;
  const SQL = sqlOf(150000);

  describe("Arrow IPC file round trip", () => {
    it("DuckDB -> IPC file -> DuckDB, several batches", async () => {
      await conn.run(`CREATE OR REPLACE TABLE ipc_src AS ${SQL}`);
      const file = path.join(dir, "out.arrow");
      const r = await queryToArrowIPCFile(conn, "SELECT * FROM ipc_src ORDER BY i", file);
      expect(r.rows).toBe(150000);
      expect(r.bytes).toBe(fs.statSync(file).size);
      expect(fs.existsSync(`${file}.tmp`)).toBe(false);
      expect(r.schema).toEqual([
        { name: "i", type: "BIGINT" },
        { name: "n", type: "BIGINT" },
        { name: "d", type: "DOUBLE" },
        { name: "s", type: "VARCHAR" },
        { name: "b", type: "BOOLEAN" },
        { name: "dec", type: "DECIMAL(12,2)" },
        { name: "ts", type: "TIMESTAMP WITH TIME ZONE" },
      ]);

      // the file is a valid IPC *file* (footer present) that apache-arrow reads back identically
      const bytes = fs.readFileSync(file);
      expect(bytes.subarray(0, 6).toString()).toBe("ARROW1");
      expect(bytes.subarray(bytes.length - 6).toString()).toBe("ARROW1");
      const fromFile = tableFromIPC(bytes);
      expect(fromFile.batches.length).toBeGreaterThan(1);
      const inMemory = await queryToArrowTable(conn, "SELECT * FROM ipc_src ORDER BY i");
      for (let c = 0; c < inMemory.numCols; c++) expect(arrowCanon(fromFile, c)).toEqual(arrowCanon(inMemory, c));

      expect(await arrowIPCFileToDuckDB(conn, file, "ipc_dst")).toEqual({ rows: 150000 });
      expect(await describeTable(conn, "ipc_dst")).toEqual(await describeTable(conn, "ipc_src"));
      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM ipc_src EXCEPT ALL SELECT * FROM ipc_dst)")).toBe(0n);
      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM ipc_dst EXCEPT ALL SELECT * FROM ipc_src)")).toBe(0n);
    });

    it("a file larger than one piece (BP_MAP_PIECE_BYTES) is mapped in pieces, loaded, and unmapped", async () => {
      // 3 record batches (64k, 128k and 253k rows: the batches grow), so 3 pieces of a third of the file
      await conn.run(`CREATE OR REPLACE TABLE pieces_src AS ${sqlOf(450000)}`);
      const file = path.join(dir, "pieces.arrow");
      const { bytes } = await queryToArrowIPCFile(conn, "SELECT * FROM pieces_src ORDER BY i", file);
      process.env[PIECE_BYTES_ENV] = String(Math.floor(bytes / 3));
      try {
        const mapped = mapIpcFile(file)!;
        expect(mapped.pieces.length).toBeGreaterThanOrEqual(3);
        mapped.release();
        expect(await arrowIPCFileToDuckDB(conn, file, "pieces_dst", { replace: true })).toEqual({ rows: 450000 });
      } finally {
        delete process.env[PIECE_BYTES_ENV];
      }
      await new Promise((r) => setImmediate(r));
      expect(fs.readFileSync("/proc/self/maps", "utf8").includes(file)).toBe(false);
      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM pieces_src EXCEPT ALL SELECT * FROM pieces_dst)")).toBe(0n);
      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM pieces_dst EXCEPT ALL SELECT * FROM pieces_src)")).toBe(0n);
    });

    it("empty result: a valid file with the schema and no rows", async () => {
      const file = path.join(dir, "empty.arrow");
      const r = await queryToArrowIPCFile(conn, "SELECT 1::INTEGER AS a, 'x' AS s WHERE false", file);
      expect(r).toMatchObject({ rows: 0, schema: [{ name: "a", type: "INTEGER" }, { name: "s", type: "VARCHAR" }] });
      const t = tableFromIPC(fs.readFileSync(file));
      expect(t.numRows).toBe(0);
      expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["a:Int32", "s:Utf8"]);
      expect(await arrowIPCFileToDuckDB(conn, file, "empty_ipc")).toEqual({ rows: 0 });
      expect(await describeTable(conn, "empty_ipc")).toEqual(["a INTEGER", "s VARCHAR"]);
    });

    it("overwrites an existing file atomically; a failing query leaves neither file nor .tmp", async () => {
      const file = path.join(dir, "replace.arrow");
      await queryToArrowIPCFile(conn, "SELECT 1 AS a", file);
      await queryToArrowIPCFile(conn, "SELECT 2 AS a UNION ALL SELECT 3", file);
      expect(tableFromIPC(fs.readFileSync(file)).numRows).toBe(2);

      const bad = path.join(dir, "bad.arrow");
      await expect(queryToArrowIPCFile(conn, "SELECT * FROM no_such_table", bad)).rejects.toThrow(/no_such_table/);
      await expect(queryToArrowIPCFile(conn, "SELECT [1] AS l", bad)).rejects.toThrow(/column "l"/);
      // an error raised while rows are streaming (after the first chunks were written)
      await expect(
        queryToArrowIPCFile(conn, "SELECT CASE WHEN i = 100000 THEN error('boom') ELSE i END AS x FROM range(200000) t(i)", bad),
      ).rejects.toThrow(/boom/);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("bad"))).toEqual([]);
    });

    it("reads IPC files written by apache-arrow (file and stream format, dictionary strings)", async () => {
      const table = tableFromArrays({
        x: Int32Array.from([1, 2, 3]),
        s: ["a", null, "a much longer string value"],
      });
      const f1 = path.join(dir, "js-file.arrow");
      fs.writeFileSync(f1, RecordBatchFileWriter.writeAll(table).toUint8Array(true));
      const f2 = path.join(dir, "js-stream.arrows");
      fs.writeFileSync(f2, RecordBatchStreamWriter.writeAll(table).toUint8Array(true));
      for (const [f, name] of [
        [f1, "jsf"],
        [f2, "jss"],
      ] as const) {
        await arrowIPCFileToDuckDB(conn, f, name);
        expect(await rowsJson(conn, `SELECT * FROM ${name}`)).toEqual([
          [1, "a"],
          [2, null],
          [3, "a much longer string value"],
        ]);
      }
    });
  });
});
