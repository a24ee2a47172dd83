import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  Binary,
  Bool,
  DateDay,
  DateMillisecond,
  Dictionary,
  Field,
  Int32,
  Int8,
  LargeBinary,
  LargeUtf8,
  List,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeMillisecond,
  TimeSecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Utf8,
  makeData,
  makeVector,
  tableFromArrays,
  tableFromIPC,
  tableFromJSON,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { arrowIPCFileToDuckDB, arrowTableToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";
import { writeIpcFile } from "../../runtime/arrow/ipc-writer.js";
import { queryToArrowTable } from "../../runtime/arrow/duckdb-to-arrow.js";
import { connect, describeTable, rowsJson, scalar, forEachCopyPath } from "./helpers.js";

let conn: DuckDBConnection;
forEachCopyPath(() => {
  beforeAll(async () => {
    conn = await connect();
  });
  afterAll(() => conn?.closeSync());

  describe("Arrow tables built in JS -> DuckDB", () => {
    it("tableFromArrays: Float64, Int32, Int64, Bool, dictionary strings, JS Dates", async () => {
      const n = 5000;
      const table = tableFromArrays({
        f: Float64Array.from({ length: n }, (_, i) => i / 4),
        i: Int32Array.from({ length: n }, (_, i) => i - 100),
        big: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 10_000_000_000n),
        b: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i % 2 === 0)),
        s: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i % 3 === 0 ? "" : `name-${i % 50}${i % 2 ? "-a-long-suffix-🦆" : ""}`)),
        d: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : new Date(Date.UTC(2024, 0, 1) + i * 1000))),
      });
      expect(String(table.schema.fields[4]!.type)).toBe("Dictionary<Int32, Utf8>");
      expect(await arrowTableToDuckDB(conn, table, "js1")).toEqual({ rows: n });
      expect(await describeTable(conn, "js1")).toEqual([
        "f DOUBLE",
        "i INTEGER",
        "big BIGINT",
        "b BOOLEAN",
        "s VARCHAR",
        "d TIMESTAMP_MS",
      ]);
      const expected = `SELECT i / 4 AS f, (i - 100)::INTEGER AS i, i * 10000000000 AS big,
          CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
          CASE WHEN i % 7 = 0 THEN NULL WHEN i % 3 = 0 THEN '' ELSE 'name-' || (i % 50) || CASE WHEN i % 2 = 1 THEN '-a-long-suffix-🦆' ELSE '' END END AS s,
          CASE WHEN i % 11 = 0 THEN NULL ELSE (TIMESTAMP '2024-01-01' + to_seconds(i))::TIMESTAMP_MS END AS d
        FROM range(${n}) t(i)`;
      expect(await scalar(conn, `SELECT count(*) FROM ((${expected}) EXCEPT ALL (SELECT * FROM js1))`)).toBe(0n);
      expect(await scalar(conn, `SELECT count(*) FROM ((SELECT * FROM js1) EXCEPT ALL (${expected}))`)).toBe(0n);
    });

    it("tableFromJSON", async () => {
      const table = tableFromJSON([
        { a: 1, s: "x", b: true },
        { a: null, s: null, b: false },
        { a: 2.5, s: "a string longer than twelve bytes", b: null },
      ]);
      await arrowTableToDuckDB(conn, table, "js2");
      expect(await rowsJson(conn, "SELECT * FROM js2")).toEqual([
        [1, "x", true],
        [null, null, false],
        [2.5, "a string longer than twelve bytes", null],
      ]);
    });

    it("LargeUtf8, LargeBinary, Binary, DateDay, DateMillisecond, Null, Uint16, Int8", async () => {
      const table = new Table({
        lu: vectorFromArray(["a", null, "", "large-utf8-value-🦆"], new LargeUtf8()),
        lb: vectorFromArray([new Uint8Array([1, 2]), null, new Uint8Array(0), new Uint8Array(20).fill(7)], new LargeBinary()),
        bin: vectorFromArray([new Uint8Array([0, 255]), new Uint8Array(13).fill(9), null, new Uint8Array(0)], new Binary()),
        dd: vectorFromArray([new Date(Date.UTC(1969, 11, 31)), null, new Date(Date.UTC(2000, 1, 29)), new Date(0)], new DateDay()),
        dm: vectorFromArray([new Date(Date.UTC(2020, 0, 1, 12, 30, 15, 250)), null, new Date(-1500), new Date(0)], new DateMillisecond()),
        nul: vectorFromArray([null, null, null, null], new Null()),
        u16: vectorFromArray([0, 65535, null, 7], new Uint16()),
        i8: vectorFromArray([-128, 127, null, 0], new Int8()),
      });
      await arrowTableToDuckDB(conn, table, "js3");
      expect(await describeTable(conn, "js3")).toEqual([
        "lu VARCHAR",
        "lb BLOB",
        "bin BLOB",
        "dd DATE",
        "dm TIMESTAMP_MS",
        "nul INTEGER",
        "u16 USMALLINT",
        "i8 TINYINT",
      ]);
      expect(
        await rowsJson(conn, "SELECT lu, hex(lb), hex(bin), dd::VARCHAR, dm::VARCHAR, nul, u16, i8 FROM js3"),
      ).toEqual([
        ["a", "0102", "00FF", "1969-12-31", "2020-01-01 12:30:15.25", null, 0, -128],
        [null, null, "09".repeat(13), null, null, null, 65535, 127],
        ["", "", null, "2000-02-29", "1969-12-31 23:59:58.5", null, null, null],
        ["large-utf8-value-🦆", "07".repeat(20), "", "1970-01-01", "1970-01-01 00:00:00", null, 7, 0],
      ]);
    });

    it("timestamps with a time zone in s/ms/ns become TIMESTAMP WITH TIME ZONE; Time32 becomes TIME", async () => {
      const ts = (type: TimestampSecond | TimestampMillisecond | TimestampNanosecond, values: bigint[]) =>
        makeVector(makeData({ type, data: new BigInt64Array(values), nullBitmap: new Uint8Array([0b011]), length: 3 }));
      const table = new Table({
        s: ts(new TimestampSecond("Europe/Paris"), [1_600_000_000n, -1n, 0n]),
        m: ts(new TimestampMillisecond("UTC"), [BigInt(Date.UTC(2021, 5, 1, 1, 2, 3, 456)), -1001n, 0n]),
        n: ts(new TimestampNanosecond("UTC"), [1_600_000_000_123_456_789n, -1_500n, 0n]),
        ts: vectorFromArray([3723, 0, null], new TimeSecond()),
        tm: vectorFromArray([3723004, 86399999, null], new TimeMillisecond()),
      });
      await arrowTableToDuckDB(conn, table, "js4");
      expect(await describeTable(conn, "js4")).toEqual([
        "s TIMESTAMP WITH TIME ZONE",
        "m TIMESTAMP WITH TIME ZONE",
        "n TIMESTAMP WITH TIME ZONE",
        "ts TIME",
        "tm TIME",
      ]);
      expect(await rowsJson(conn, "SELECT epoch_us(s), epoch_us(m), epoch_us(n), ts::VARCHAR, tm::VARCHAR FROM js4")).toEqual([
        ["1600000000000000", "1622509323456000", "1600000000123456", "01:02:03", "01:02:03.004"],
        ["-1000000", "-1001000", "-2", "00:00:00", "23:59:59.999"],
        [null, null, null, null, null],
      ]);
    });

    it("several record batches, small ones sharing DuckDB chunks, and sliced (offset) arrays", async () => {
      const source = await queryToArrowTable(
        conn,
        `SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END b,
                CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || i || CASE WHEN i % 2 = 0 THEN '-long-long-long' ELSE '' END END s,
                CASE WHEN i % 9 = 0 THEN NULL ELSE i * 1.5 END::DECIMAL(10,2) d
         FROM range(10000) t(i)`,
      );
      // odd-sized, unaligned slices of the source, concatenated as separate record batches
      const cuts = [0, 3, 1000, 1001, 3333, 5000, 7777, 10000];
      const batches: RecordBatch[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) batches.push(...source.slice(cuts[k], cuts[k + 1]).batches);
      const multi = new Table(batches);
      expect(multi.batches.length).toBeGreaterThanOrEqual(cuts.length - 1);
      expect(multi.batches.some((b) => b.data.children[0]!.offset % 8 !== 0)).toBe(true);
      await arrowTableToDuckDB(conn, multi, "multi");
      await arrowTableToDuckDB(conn, source, "multi_src");
      expect(await scalar(conn, "SELECT count(*) FROM multi")).toBe(10000n);
      expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM multi EXCEPT ALL SELECT * FROM multi_src)")).toBe(0n);

      // a single slice in the middle
      const slice = source.slice(1234, 5679);
      await arrowTableToDuckDB(conn, slice, "sliced");
      expect(await scalar(conn, "SELECT count(*) FROM sliced")).toBe(4445n);
      expect(
        await scalar(
          conn,
          "SELECT count(*) FROM (SELECT * FROM sliced EXCEPT ALL SELECT * FROM multi_src WHERE i >= 1234 AND i < 5679)",
        ),
      ).toBe(0n);
    });

    it("makeData with an offset", async () => {
      // Arrow JS keeps fixed-width values pre-sliced and applies `offset` to bitmaps (and to Bool data).
      const ints = makeData({ type: new Int32(), data: new Int32Array([10, 20, 30, 40]), nullBitmap: new Uint8Array([0b1011 << 1]), offset: 1, length: 4 });
      const bools = makeData({ type: new Bool(), data: new Uint8Array([0b1010 << 1]), offset: 1, length: 4 });
      const table = new Table({ a: makeVector(ints), b: makeVector(bools) });
      expect(table.toArray().map((r) => [r.a, r.b])).toEqual([
        [10, false],
        [20, true],
        [null, false],
        [40, true],
      ]);
      await arrowTableToDuckDB(conn, table, "offs");
      expect(await rowsJson(conn, "SELECT a, b FROM offs")).toEqual([
        [10, false],
        [20, true],
        [null, false],
        [40, true],
      ]);
    });

    it("dictionary with several dictionary chunks / null dictionary values, and Int8 indices", async () => {
      const dictValues = vectorFromArray(["zero", null], new Utf8()).concat(vectorFromArray(["two-is-a-long-value", ""], new Utf8()));
      expect(dictValues.data.length).toBe(2);
      const type = new Dictionary(new Utf8(), new Int8());
      const data = makeData({ type, data: new Int8Array([0, 1, 2, 3, 2, 0]), nullBitmap: new Uint8Array([0b111011]), length: 6, dictionary: dictValues });
      await arrowTableToDuckDB(conn, new Table({ s: makeVector(data) }), "dict");
      expect(await rowsJson(conn, "SELECT s FROM dict")).toEqual([["zero"], [null], [null], [""], ["two-is-a-long-value"], ["zero"]]);
    });

    // apache-arrow pads the short columns of a Table built from vectors of different lengths with
    // all-NULL data that has no value buffers (and an IPC round trip keeps them empty)
    const ragged = (): Table =>
      new Table({
        a: vectorFromArray([1, 2, 3]),
        b: vectorFromArray([1.5]),
        i: vectorFromArray([7], new Int32()),
        t: vectorFromArray([true], new Bool()),
        s: vectorFromArray(["a string longer than twelve bytes"], new Utf8()),
        ts: vectorFromArray([new Date(Date.UTC(2024, 0, 2))], new TimestampMillisecond()),
      });
    const raggedRows = [
      [1, 1.5, 7, true, "a string longer than twelve bytes", "2024-01-02 00:00:00"],
      [2, null, null, null, null, null],
      [3, null, null, null, null, null],
    ];

    it("ragged columns (vectors of different lengths): the missing values load as NULL", async () => {
      const table = ragged();
      const padded = table.getChild("b")!.data.find((d) => d.nullCount === d.length)!;
      expect((padded.values as Float64Array).length).toBe(0); // no values to read
      expect(await arrowTableToDuckDB(conn, table, "ragged", { replace: true })).toEqual({ rows: 3 });
      expect(await rowsJson(conn, "SELECT a, b, i, t, s, ts::VARCHAR FROM ragged ORDER BY a")).toEqual(raggedRows);
    });

    it("ragged columns through an IPC file (tableToIPC, and writeIpcFile)", async () => {
      for (const [name, write] of [
        ["tableToIPC", (t: Table, f: string) => fs.writeFileSync(f, tableToIPC(t, "file"))],
        ["writeIpcFile", (t: Table, f: string) => writeIpcFile(t, f)],
      ] as const) {
        const f = path.join(os.tmpdir(), `bp-ragged-${process.pid}-${name}.arrow`);
        try {
          write(ragged(), f);
          const back = tableFromIPC(fs.readFileSync(f));
          expect(back.getChild("i")!.data.some((d) => d.nullCount === d.length && (d.values as Int32Array).length === 0)).toBe(true);
          expect(await arrowIPCFileToDuckDB(conn, f, `ragged_${name}`, { replace: true })).toEqual({ rows: 3 });
          expect(await rowsJson(conn, `SELECT a, b, i, t, s, ts::VARCHAR FROM ragged_${name} ORDER BY a`)).toEqual(raggedRows);
        } finally {
          fs.rmSync(f, { force: true });
        }
      }
    });

    it("a null bitmap shorter than the array: the rows past its end are NULL", async () => {
      const n = 40;
      const values = Int32Array.from({ length: n }, (_, i) => i);
      const schema = new Schema([new Field("v", new Int32(), true), new Field("s", new Utf8(), true)]);
      const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i * 2);
      const chars = new TextEncoder().encode("ab".repeat(n));
      const children = [
        // 2 bitmap bytes: rows 0..15 valid but 3; rows 16..39 are past the bitmap
        makeData({ type: new Int32(), length: n, nullCount: 25, nullBitmap: Uint8Array.of(0xf7, 0xff), data: values }),
        makeData({ type: new Utf8(), length: n, nullCount: 25, nullBitmap: Uint8Array.of(0xf7, 0xff), valueOffsets: offsets, data: chars }),
      ];
      const table = new Table([new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }))]);
      await arrowTableToDuckDB(conn, table, "short_bitmap", { replace: true });
      expect(await rowsJson(conn, "SELECT count(v)::INTEGER, count(s)::INTEGER, sum(v)::INTEGER FROM short_bitmap")).toEqual([[15, 15, 120 - 3]]);
    });

    it("an empty table creates the table with its columns", async () => {
      const empty = new Table(new Schema([new Field("a", new Int32(), true), new Field("s", new Utf8(), true)]));
      expect(await arrowTableToDuckDB(conn, empty, "empty_js")).toEqual({ rows: 0 });
      expect(await describeTable(conn, "empty_js")).toEqual(["a INTEGER", "s VARCHAR"]);
    });

    it("replace option; without it an existing table is an error", async () => {
      const t1 = tableFromArrays({ a: new Int32Array([1, 2]) });
      const t2 = tableFromArrays({ b: Float64Array.from([1.5]) });
      await arrowTableToDuckDB(conn, t1, "repl");
      await expect(arrowTableToDuckDB(conn, t2, "repl")).rejects.toThrow(/already exists/);
      expect(await rowsJson(conn, "SELECT * FROM repl")).toEqual([[1], [2]]);
      await arrowTableToDuckDB(conn, t2, "repl", { replace: true });
      expect(await rowsJson(conn, "SELECT * FROM repl")).toEqual([[1.5]]);
    });

    it("a failure while loading rolls back (the replaced table survives, nothing half-written)", async () => {
      await arrowTableToDuckDB(conn, tableFromArrays({ a: new Int32Array([7]) }), "rb", { replace: true });
      const bad = makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        data: Int32Array.from({ length: 5000 }, (_, i) => (i === 4500 ? 99 : 0)), // index 99 is out of range
        length: 5000,
        dictionary: vectorFromArray(["only"], new Utf8()),
      });
      await expect(arrowTableToDuckDB(conn, new Table({ s: makeVector(bad) }), "rb", { replace: true })).rejects.toThrow(
        /dictionary index 99 out of range/,
      );
      expect(await rowsJson(conn, "SELECT * FROM rb")).toEqual([[7]]);
    });

    it("joins the caller's open transaction (its rollback undoes the load)", async () => {
      await conn.run("BEGIN TRANSACTION");
      try {
        await arrowTableToDuckDB(conn, tableFromArrays({ a: new Int32Array([1, 2]) }), "in_tx");
        expect(await rowsJson(conn, "SELECT count(*)::INTEGER FROM in_tx")).toEqual([[2]]);
      } finally {
        await conn.run("ROLLBACK");
      }
      expect(await rowsJson(conn, "SELECT count(*)::INTEGER FROM information_schema.tables WHERE table_name = 'in_tx'")).toEqual([[0]]);
    });

    it("quoted identifiers", async () => {
      await arrowTableToDuckDB(conn, tableFromArrays({ 'we"ird col': new Int32Array([1]), select: new Int32Array([2]) }), 'my "table"');
      expect(await rowsJson(conn, `SELECT "we""ird col", "select" FROM "my ""table"""`)).toEqual([[1, 2]]);
    });
  });

  describe("UTF-8 validation of Arrow Utf8 -> VARCHAR", () => {
    const utf8Column = (bytes: number[], offsets: number[], nullBitmap?: number) =>
      makeVector(
        makeData({
          type: new Utf8(),
          valueOffsets: new Int32Array(offsets),
          data: new Uint8Array(bytes),
          length: offsets.length - 1,
          ...(nullBitmap === undefined ? {} : { nullBitmap: new Uint8Array([nullBitmap]) }),
        }),
      );
    const long = Array.from({ length: 20 }, () => 0x42);

    it.each([
      ["short ill-formed string", [0x41, 0xff, 0x42], [0, 3]],
      ["long ill-formed string", [...long, 0xff], [0, 21]],
      ["valid whole, but a character split between two strings", [0x41, 0xc3, 0xa9, 0x42], [0, 2, 4]],
    ])("%s is an error naming the column", async (_label, bytes, offsets) => {
      await expect(arrowTableToDuckDB(conn, new Table({ txt: utf8Column(bytes, offsets) }), "bad_utf8", { replace: true })).rejects.toThrow(
        /column "txt": row \d+ .*not valid UTF-8/,
      );
    });

    it("ill-formed bytes in a NULL slot are ignored; the same bytes as Binary are fine", async () => {
      await arrowTableToDuckDB(conn, new Table({ txt: utf8Column([0xff, 0x41], [0, 1, 2], 0b10) }), "null_slot", { replace: true });
      expect(await rowsJson(conn, "SELECT txt FROM null_slot")).toEqual([[null], ["A"]]);
      const bin = vectorFromArray([new Uint8Array([0xff, 0xfe]), new Uint8Array([...long, 0xff])], new Binary());
      await arrowTableToDuckDB(conn, new Table({ b: bin }), "bin_ok", { replace: true });
      expect(await rowsJson(conn, "SELECT octet_length(b) FROM bin_ok")).toEqual([["2"], ["21"]]);
    });

    it("dictionary values are validated too", async () => {
      const dictionary = makeVector(makeData({ type: new Utf8(), valueOffsets: new Int32Array([0, 1, 3]), data: new Uint8Array([0x41, 0xc3, 0x28]), length: 2 }));
      const data = makeData({ type: new Dictionary(new Utf8(), new Int32()), data: new Int32Array([0, 1]), length: 2, dictionary });
      await expect(arrowTableToDuckDB(conn, new Table({ cat: makeVector(data) }), "bad_dict")).rejects.toThrow(/column "cat": row 1 .*not valid UTF-8/);
    });
  });

  describe("unsupported types fail clearly", () => {
    it("Arrow -> DuckDB names the column and the type", async () => {
      const table = new Table({
        ok: vectorFromArray([1, 2], new Int32()),
        l: vectorFromArray([[1, 2], [3]], new List(new Field("item", new Int32(), true))),
      });
      await expect(arrowTableToDuckDB(conn, table, "bad1")).rejects.toThrow(/column "l": unsupported Arrow type List<Int32>.*nested/);
      await expect(scalar(conn, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bad1'")).resolves.toBe(0n);
      const struct = new Table({ st: vectorFromArray([{ x: 1 }], new Struct([new Field("x", new Int32(), true)])) });
      await expect(arrowTableToDuckDB(conn, struct, "bad2")).rejects.toThrow(/column "st": unsupported Arrow type Struct/);
    });

    it("DuckDB -> Arrow names the column and the type", async () => {
      await expect(queryToArrowTable(conn, "SELECT 1 AS ok, [1, 2] AS lst")).rejects.toThrow(/column "lst": unsupported DuckDB type INTEGER\[\]/);
      await expect(queryToArrowTable(conn, "SELECT INTERVAL 1 DAY AS iv")).rejects.toThrow(/column "iv": unsupported DuckDB type INTERVAL/);
      await expect(queryToArrowTable(conn, "SELECT 1::HUGEINT AS h")).rejects.toThrow(/column "h": unsupported DuckDB type HUGEINT/);
      await expect(queryToArrowTable(conn, "SELECT {'a': 1} AS st")).rejects.toThrow(/column "st": unsupported DuckDB type STRUCT/);
      // the connection is still usable afterwards
      expect(await scalar(conn, "SELECT 42")).toBe(42);
    });
  });
});
