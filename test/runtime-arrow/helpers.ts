import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  DuckDBBlobValue,
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBTimeNSValue,
  DuckDBTimeValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { type Data, type Table, Type } from "apache-arrow";
import { queryToArrowTable } from "../../runtime/arrow/duckdb-to-arrow.js";
import { arrowTableToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";
import { bridgeCounters, duckdbBridge, duckdbBridgeUnavailableReason, NO_NATIVE_ENV, type CopyPath } from "../../runtime/arrow/bridge.js";

/** The copy paths to test: both, or only "js" when the whole run has BP_NO_NATIVE=1. */
export function copyPaths(): CopyPath[] {
  return process.env[NO_NATIVE_ENV] === "1" ? ["js"] : ["native", "js"];
}

/** The copy path the bridge functions take now (what forEachCopyPath set up). */
export function currentCopyPath(): CopyPath {
  return process.env[NO_NATIVE_ENV] === "1" ? "js" : "native";
}

/**
 * Declares `suite` once per copy path: "native" (bp's addon; fails if it is unavailable, e.g. not
 * built) and "js" (BP_NO_NATIVE=1 set around the suite's tests).
 */
export function forEachCopyPath(suite: (path: CopyPath) => void): void {
  describe.each(copyPaths())("%s copy path", (path) => {
    let saved: string | undefined;
    beforeAll(() => {
      saved = process.env[NO_NATIVE_ENV];
      if (path === "js") process.env[NO_NATIVE_ENV] = "1";
      else delete process.env[NO_NATIVE_ENV];
      if (path === "native" && duckdbBridge() === null) {
        throw new Error(`the native DuckDB bridge is unavailable (${String(duckdbBridgeUnavailableReason())}); build it with \`npm run build:native\``);
      }
    });
    afterAll(() => {
      if (saved === undefined) delete process.env[NO_NATIVE_ENV];
      else process.env[NO_NATIVE_ENV] = saved;
    });
    suite(path);
  });
}

/** bridgeCounters now, to compare after an operation (see expectCopiedBy). */
export function countersNow(): typeof bridgeCounters {
  return { ...bridgeCounters };
}

/**
 * Checks that the values moved since `before` went through `path` only: "native" moved
 * `exportValues` (DuckDB -> Arrow) natively and, when `imported`, some values into DuckDB
 * natively; "js" touched no native counter.
 */
export function expectCopiedBy(path: CopyPath, before: typeof bridgeCounters, exportValues: number, imported: boolean): void {
  const d = {
    exportNative: bridgeCounters.exportNative - before.exportNative,
    exportJs: bridgeCounters.exportJs - before.exportJs,
    importNative: bridgeCounters.importNative - before.importNative,
    importJs: bridgeCounters.importJs - before.importJs,
  };
  if (path === "native") {
    expect({ exportNative: d.exportNative, exportJs: d.exportJs }).toEqual({ exportNative: exportValues, exportJs: 0 });
    if (imported) expect(d.importNative).toBeGreaterThan(0);
  } else {
    expect({ exportNative: d.exportNative, exportJs: d.exportJs, importNative: d.importNative }).toEqual({
      exportNative: 0,
      exportJs: exportValues,
      importNative: 0,
    });
  }
}

export async function connect(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(":memory:");
  return instance.connect();
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A DuckDB value (from getRows(), tests only) as a string comparable with arrowCanon. */
export function duckCanon(v: DuckDBValue): string {
  if (v === null) return "NULL";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof DuckDBBlobValue) return `x${hex(v.bytes)}`;
  if (v instanceof DuckDBDecimalValue) return String(v.value);
  if (v instanceof DuckDBDateValue) return String(v.days);
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimeValue) {
    return String(v.micros);
  }
  if (v instanceof DuckDBTimestampSecondsValue) return String(v.seconds);
  if (v instanceof DuckDBTimestampMillisecondsValue) return String(v.millis);
  if (v instanceof DuckDBTimestampNanosecondsValue || v instanceof DuckDBTimeNSValue) return String(v.nanos);
  throw new Error(`test helper: no canonical form for ${String(v)}`);
}

/** Column `c` of an Arrow table, read from the raw buffers (independently of the bridge), as strings. */
export function arrowCanon(table: Table, c: number): string[] {
  const out: string[] = [];
  const vector = table.getChildAt(c)!;
  for (const d of vector.data as Data[]) {
    for (let i = 0; i < d.length; i++) {
      const bit = d.offset + i;
      if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 && ((d.nullBitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) {
        out.push("NULL");
        continue;
      }
      if (d.typeId === Type.Null) {
        out.push("NULL");
        continue;
      }
      out.push(canonValue(d, i));
    }
  }
  return out;
}

function canonValue(d: Data, i: number): string {
  switch (d.typeId) {
    case Type.Bool: {
      const bit = d.offset + i;
      return String((((d.values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1) === 1);
    }
    case Type.Decimal: {
      const w = d.values as Uint32Array;
      let v = 0n;
      for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[4 * i + k]!);
      return String(BigInt.asIntN(128, v));
    }
    case Type.Utf8:
    case Type.Binary: {
      const o = d.valueOffsets as Int32Array;
      const bytes = (d.values as Uint8Array).subarray(o[i]!, o[i + 1]!);
      return d.typeId === Type.Utf8 ? JSON.stringify(utf8.decode(bytes)) : `x${hex(bytes)}`;
    }
    default:
      return String((d.values as unknown as ArrayLike<number | bigint>)[i]);
  }
}

export interface RoundTripResult {
  table: Table;
  duckTypes: string[];
}

/**
 * The round-trip check used for every type:
 *  1. materialize `sql` as table `src` (its first column must be a unique ordering key `i`),
 *  2. export it to Arrow and compare every value with DuckDB's own rows,
 *  3. load the Arrow table back as `dst` and check types match and EXCEPT ALL is empty both ways,
 *  4. check both directions took the copy path under test (see forEachCopyPath).
 */
export async function roundTrip(conn: DuckDBConnection, sql: string): Promise<RoundTripResult> {
  await conn.run(`CREATE OR REPLACE TABLE src AS ${sql}`);
  const before = countersNow();
  const table = await queryToArrowTable(conn, "SELECT * FROM src ORDER BY i");
  const reader = await conn.runAndReadAll("SELECT * FROM src ORDER BY i");
  const rows = reader.getRows();
  expect(table.numRows).toBe(rows.length);
  expect(table.numCols).toBe(reader.columnCount);
  for (let c = 0; c < reader.columnCount; c++) {
    const expected = rows.map((r) => duckCanon(r[c]!));
    const actual = arrowCanon(table, c);
    // compare as a whole, but report the first difference readably
    const firstDiff = expected.findIndex((e, k) => e !== actual[k]);
    if (firstDiff >= 0) {
      expect({ column: reader.columnName(c), row: firstDiff, value: actual[firstDiff] }).toEqual({
        column: reader.columnName(c),
        row: firstDiff,
        value: expected[firstDiff],
      });
    }
    expect(actual.length).toBe(expected.length);
  }

  await arrowTableToDuckDB(conn, table, "dst", { replace: true });
  // every value crossed on the path under test (the first column, i BIGINT, always moves natively)
  expectCopiedBy(currentCopyPath(), before, table.numRows * table.numCols, table.numRows > 0);
  const duckTypes = await describeTable(conn, "src");
  expect(await describeTable(conn, "dst")).toEqual(duckTypes);
  expect(await scalar(conn, "SELECT count(*) FROM dst")).toBe(BigInt(rows.length));
  expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM dst)")).toBe(0n);
  expect(await scalar(conn, "SELECT count(*) FROM (SELECT * FROM dst EXCEPT ALL SELECT * FROM src)")).toBe(0n);
  return { table, duckTypes };
}

export async function describeTable(conn: DuckDBConnection, table: string): Promise<string[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${table}`);
  return r.getRows().map((row) => `${String(row[0])} ${String(row[1])}`);
}

export async function scalar(conn: DuckDBConnection, sql: string): Promise<DuckDBValue> {
  const r = await conn.runAndReadAll(sql);
  return r.getRows()[0]![0]!;
}

export async function rowsJson(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}
