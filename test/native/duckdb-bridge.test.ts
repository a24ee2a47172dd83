/**
 * The addon's DuckDB <-> Arrow functions (native/src/duckdb_bridge.c) called directly on scratch
 * data chunks of @duckdb/node-bindings: layouts (inline/heap string_t, validity bits at unaligned
 * offsets, sign-extended decimals), the grow protocol, argument checks (nothing written on a bad
 * call), and the assumption borrowed strings rely on (DuckDB owns a copy once the appender flushed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import duckdb from "@duckdb/node-bindings";
import { DuckDBDataChunk, type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { duckdbBridge, duckdbBridgeUnavailableReason, type DuckDBBridge } from "../../runtime/native/duckdb-bridge.js";

const T = duckdb.Type;
let b: DuckDBBridge;
beforeAll(() => {
  delete process.env.BP_NO_NATIVE;
  const bridge = duckdbBridge();
  if (bridge === null) throw new Error(`the native DuckDB bridge is unavailable (${String(duckdbBridgeUnavailableReason())}); run \`npm run build:native\``);
  b = bridge;
});

function chunkOf(...types: duckdb.Type[]): { chunk: duckdb.DataChunk; vectors: duckdb.Vector[] } {
  const chunk = duckdb.create_data_chunk(types.map((t) => duckdb.create_logical_type(t)));
  return { chunk, vectors: types.map((_, i) => duckdb.data_chunk_get_vector(chunk, i)) };
}

function setValidity(vector: duckdb.Vector, valid: (i: number) => boolean, rows: number): void {
  const mask = new Uint8Array(Math.ceil(rows / 64) * 8);
  for (let i = 0; i < rows; i++) if (valid(i)) mask[i >> 3]! |= 1 << (i & 7);
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
}

const bit = (bits: Uint8Array, i: number): number => (bits[i >> 3]! >> (i & 7)) & 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

describe("DuckDB -> Arrow, one vector per call", () => {
  it("exportFixed: values and validity at an unaligned row, other bits untouched", () => {
    const { vectors } = chunkOf(T.BIGINT);
    const v = vectors[0]!;
    const values = BigInt64Array.from({ length: 100 }, (_, i) => BigInt(i) * -1000003n);
    duckdb.copy_data_to_vector(v, 0, values.buffer, 0, values.byteLength);
    setValidity(v, (i) => i % 7 !== 3, 100);
    const bitmap = new Uint8Array(32).fill(0b10100101);
    const out = new BigInt64Array(120);
    expect(b.exportFixed(v, 100, bitmap, 13, 8, out)).toBe(14); // i % 7 === 3 for 14 of 0..99
    for (let i = 0; i < 100; i++) {
      expect(out[13 + i]).toBe(values[i]);
      expect(bit(bitmap, 13 + i)).toBe(i % 7 !== 3 ? 1 : 0);
    }
    for (const i of [0, 5, 12, 113, 114, 119]) expect(bit(bitmap, i)).toBe((0b10100101 >> (i & 7)) & 1);
    expect(out[12]).toBe(0n);
    expect(out[113]).toBe(0n);
  });

  it("exportBool and exportDecimal (sign-extended to 128 bits)", () => {
    const { vectors } = chunkOf(T.BOOLEAN, T.INTEGER, T.SMALLINT, T.BIGINT);
    const n = 70;
    duckdb.copy_data_to_vector(vectors[0]!, 0, Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)).buffer, 0, n);
    const i32 = Int32Array.from({ length: n }, (_, i) => (i - 35) * 61000001);
    const i16 = Int16Array.from({ length: n }, (_, i) => (i - 35) * 900);
    const i64 = BigInt64Array.from({ length: n }, (_, i) => BigInt(i - 35) * 123456789012345n);
    duckdb.copy_data_to_vector(vectors[1]!, 0, i32.buffer, 0, i32.byteLength);
    duckdb.copy_data_to_vector(vectors[2]!, 0, i16.buffer, 0, i16.byteLength);
    duckdb.copy_data_to_vector(vectors[3]!, 0, i64.buffer, 0, i64.byteLength);
    const bits = new Uint8Array(16).fill(0xff);
    const bitmap = new Uint8Array(16);
    expect(b.exportBool(vectors[0]!, n, bitmap, 3, bits)).toBe(0);
    for (let i = 0; i < n; i++) expect(bit(bits, 3 + i)).toBe(i % 3 === 0 ? 1 : 0);
    expect(bit(bits, 2)).toBe(1);
    const read128 = (words: BigUint64Array, i: number): bigint => BigInt.asIntN(128, (words[2 * i + 1]! << 64n) | words[2 * i]!);
    for (const [vector, width, src] of [
      [vectors[1]!, 4, i32],
      [vectors[2]!, 2, i16],
      [vectors[3]!, 8, i64],
    ] as const) {
      const out = new BigUint64Array(2 * n);
      expect(b.exportDecimal(vector, n, bitmap, 0, width, out)).toBe(0);
      for (let i = 0; i < n; i++) expect(read128(out, i)).toBe(BigInt(src[i]!));
    }
  });

  it("exportStrings: inline (<= 12 bytes) and heap strings, NULLs, and the grow protocol", () => {
    const { vectors } = chunkOf(T.VARCHAR);
    const v = vectors[0]!;
    const strings = ["", "a", "twelve bytes", "thirteen byte", "日本語", "a\u0000b", "🦆".repeat(10), "x".repeat(70000), "null here"];
    strings.forEach((s, i) => duckdb.vector_assign_string_element_len(v, i, enc.encode(s)));
    setValidity(v, (i) => i !== 8, strings.length);
    const offsets = new Int32Array(20);
    offsets[2] = 7; // append after 7 bytes already in `data`
    const bitmap = new Uint8Array(4);
    const small = new Uint8Array(16).fill(0xee);
    const r = b.exportStrings(v, strings.length, bitmap, 2, offsets, small);
    const expected = strings.slice(0, 8).join("");
    const needed = 7 + enc.encode(expected).length;
    expect(r).toBe(-needed - 1);
    expect(small.every((x) => x === 0xee)).toBe(true); // nothing written
    expect(bitmap.every((x) => x === 0)).toBe(true);
    const data = new Uint8Array(needed);
    expect(b.exportStrings(v, strings.length, bitmap, 2, offsets, data)).toBe(1);
    expect(dec.decode(data.subarray(7))).toBe(expected);
    for (let i = 0; i < strings.length; i++) {
      const s = i === 8 ? "" : strings[i]!;
      expect(dec.decode(data.subarray(offsets[2 + i]!, offsets[3 + i]!))).toBe(s);
      expect(bit(bitmap, 2 + i)).toBe(i === 8 ? 0 : 1);
    }
  });

  it("refuses what is not a bindings Vector, and buffers that are too small", () => {
    const { chunk, vectors } = chunkOf(T.BIGINT);
    const bitmap = new Uint8Array(8);
    expect(() => b.exportFixed(chunk as unknown as duckdb.Vector, 1, bitmap, 0, 8, new BigInt64Array(1))).toThrow(/not a @duckdb\/node-bindings Vector/);
    expect(() => b.exportFixed({} as duckdb.Vector, 1, bitmap, 0, 8, new BigInt64Array(1))).toThrow(TypeError);
    expect(() => b.exportFixed(vectors[0]!, 2048, bitmap, 0, 8, new BigInt64Array(2048))).toThrow(/bitmap too small/);
    expect(() => b.exportFixed(vectors[0]!, 10, new Uint8Array(2), 0, 8, new BigInt64Array(9))).toThrow(/data too small/);
    expect(() => b.exportFixed(vectors[0]!, 5000, new Uint8Array(1000), 0, 8, new BigInt64Array(5000))).toThrow(RangeError);
    expect(() => b.exportFixed(vectors[0]!, 1.5, bitmap, 0, 8, new BigInt64Array(2))).toThrow(RangeError);
  });
});

describe("Arrow -> DuckDB, one vector per call", () => {
  /** The strings of rows [0, n) of a VARCHAR vector, read with the bindings (null for NULL rows). */
  function readStrings(vector: duckdb.Vector, n: number): (string | null)[] {
    const raw = duckdb.vector_get_data(vector, n * 16);
    const mask = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: (string | null)[] = [];
    for (let i = 0; i < n; i++) {
      if (mask && ((mask[i >> 3]! >> (i & 7)) & 1) === 0) {
        out.push(null);
        continue;
      }
      const len = view.getUint32(16 * i, true);
      const bytes = len <= 12 ? raw.subarray(16 * i + 4, 16 * i + 4 + len) : duckdb.get_data_from_pointer(raw.buffer as ArrayBuffer, raw.byteOffset + 16 * i + 8, len);
      out.push(dec.decode(bytes));
    }
    return out;
  }

  const strings = ["", "short", "exactly12byt", "thirteen byte", "ünïcödé long enough", "y".repeat(100000)];
  const bytes = enc.encode(strings.join(""));
  const int32 = new Int32Array(strings.length + 1);
  strings.forEach((s, i) => (int32[i + 1] = int32[i]! + enc.encode(s).length));

  it.each([
    ["Int32Array offsets, copied", false],
    ["Int32Array offsets, borrowed", true],
  ])("importStrings with %s", (_label, borrow) => {
    const { vectors } = chunkOf(T.VARCHAR);
    b.importStrings(vectors[0]!, 5, strings.length, bytes, int32, 0, null, undefined, borrow);
    expect(readStrings(vectors[0]!, 5 + strings.length).slice(5)).toEqual(strings);
    // borrowed heap strings point into `bytes`, copied ones into the vector's heap: mutate the source
    bytes[int32[3]!] = "T".charCodeAt(0);
    expect(readStrings(vectors[0]!, 5 + strings.length)[8]).toBe(borrow ? "Thirteen byte" : "thirteen byte");
    bytes[int32[3]!] = "t".charCodeAt(0);
  });

  it("importStrings with BigInt64Array offsets, Float64Array ranges, a validity bitmap and a start offset", () => {
    const { vectors } = chunkOf(T.VARCHAR, T.VARCHAR);
    const big = BigInt64Array.from(int32, (x) => BigInt(x));
    const validity = new Uint8Array(256).fill(0xff);
    validity[0] = 0b11101111; // row 4 NULL (dst 2 + i 2)
    b.importStrings(vectors[0]!, 2, strings.length - 1, bytes, big, 1, validity);
    const got = readStrings(vectors[0]!, 2 + strings.length - 1).slice(2);
    expect(got).toEqual([strings[1], strings[2], "", strings[4], strings[5]]); // NULL row: zeroed string_t (validity is the caller's job)
    const starts = Float64Array.from([int32[5]!, int32[0]!, int32[3]!]);
    const ends = Float64Array.from([int32[6]!, int32[1]!, int32[4]!]);
    b.importStrings(vectors[1]!, 0, 3, bytes, starts, 0, null, ends);
    expect(readStrings(vectors[1]!, 3)).toEqual([strings[5], strings[0], strings[3]]);
  });

  it("a bad range throws and writes nothing", () => {
    const { vectors } = chunkOf(T.VARCHAR);
    b.importStrings(vectors[0]!, 0, 2, enc.encode("keep me please!!"), Int32Array.from([0, 7, 16]), 0, null);
    const before = readStrings(vectors[0]!, 2);
    expect(() => b.importStrings(vectors[0]!, 0, 2, enc.encode("abc"), Int32Array.from([0, 1, 99]), 0, null)).toThrow(/outside bytes/);
    expect(() => b.importStrings(vectors[0]!, 0, 2, enc.encode("abc"), Int32Array.from([2, 1, 3]), 0, null)).toThrow(RangeError);
    expect(() => b.importStrings(vectors[0]!, 2047, 2, enc.encode("abc"), Int32Array.from([0, 1, 2]), 0, null)).toThrow(/exceed the vector size/);
    expect(() => b.importStrings(vectors[0]!, 0, 2, enc.encode("abc"), Float64Array.from([0, 1]), 0, null)).toThrow(/need Float64Array ends/);
    expect(readStrings(vectors[0]!, 2)).toEqual(before);
  });

  it("importFixed and importBool", () => {
    const { vectors } = chunkOf(T.DOUBLE, T.BOOLEAN);
    const src = Float64Array.from({ length: 50 }, (_, i) => i / 3);
    b.importFixed(vectors[0]!, 10, 40, 8, src, 5 * 8);
    const raw = duckdb.vector_get_data(vectors[0]!, 50 * 8);
    const got = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 50 * 8));
    for (let i = 0; i < 40; i++) expect(got[10 + i]).toBe(src[5 + i]);
    expect(() => b.importFixed(vectors[0]!, 0, 40, 8, src, 11 * 8)).toThrow(/src too small/);
    const bits = Uint8Array.from([0b10110010, 0b01]);
    b.importBool(vectors[1]!, 3, 8, bits, 2);
    const bools = duckdb.vector_get_data(vectors[1]!, 11);
    expect(Array.from(bools.subarray(3, 11))).toEqual([0, 0, 1, 1, 0, 1, 1, 0]);
  });
});

describe("borrowed strings and the appender", () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(":memory:");
    conn = await instance.connect();
  });
  afterAll(() => conn?.closeSync());

  it("DuckDB owns a copy of borrowed strings once the appender has flushed", async () => {
    await conn.run("CREATE TABLE borrowed (s VARCHAR)");
    const appender = await conn.createAppender("borrowed");
    const { chunk, vectors } = chunkOf(T.VARCHAR);
    const wrapper = new DuckDBDataChunk(chunk);
    const words = Array.from({ length: 2048 }, (_, i) => `borrowed string number ${i}`);
    const bytes = enc.encode(words.join(""));
    const offsets = new Int32Array(2049);
    words.forEach((w, i) => (offsets[i + 1] = offsets[i]! + enc.encode(w).length));
    b.importStrings(vectors[0]!, 0, 2048, bytes, offsets, 0, null, undefined, true);
    duckdb.data_chunk_set_size(chunk, 2048);
    appender.appendDataChunk(wrapper);
    appender.flushSync();
    bytes.fill(0x21); // scribble over the source
    appender.closeSync();
    const rows = (await conn.runAndReadAll("SELECT s FROM borrowed")).getRows().map((r) => r[0]);
    expect(rows).toEqual(words);
  });
});

describe("exportOpen / exportFill", () => {
  let conn: DuckDBConnection;
  beforeAll(async () => {
    conn = await (await DuckDBInstance.create(":memory:")).connect();
  });
  afterAll(() => conn?.closeSync());

  const handle = (r: unknown): unknown => (r as { result: unknown }).result;

  it("refuses anything but a bindings Result, and bad column kinds", async () => {
    const { chunk } = chunkOf(T.BIGINT);
    expect(() => b.exportOpen(chunk, Int32Array.of(0), Int32Array.of(8))).toThrow(/expected a @duckdb\/node-bindings Result/);
    const r = await conn.stream("SELECT 1::BIGINT");
    expect(() => b.exportOpen(handle(r), Int32Array.of(0), Int32Array.of(17))).toThrow(/bad column kind/);
    expect(() => b.exportOpen(handle(r), Int32Array.of(9), Int32Array.of(8))).toThrow(/bad column kind/);
  });

  it("fills a batch, asks for a bigger string buffer, and allows one call at a time", async () => {
    const r = await conn.stream("SELECT i::BIGINT AS n, CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('s', (i % 30)::INTEGER) END AS s FROM range(10000) t(i)");
    const stream = b.exportOpen(handle(r), Int32Array.of(0, 3), Int32Array.of(8, 16));
    const cap = 12000;
    const nBitmap = new Uint8Array(cap / 8);
    const nData = new BigInt64Array(cap);
    const sBitmap = new Uint8Array(cap / 8);
    const offsets = new Int32Array(cap + 1);
    let data = new Uint8Array(100);
    const status = new Float64Array(5);
    let row = 0;
    let grows = 0;
    let nulls = 0;
    for (;;) {
      const p = b.exportFill(stream, row, cap, 1 << 30, [nBitmap, nData, sBitmap, offsets, data], status);
      expect(() => b.exportFill(stream, row, cap, 1 << 30, [nBitmap, nData, sBitmap, offsets, data], status)).toThrow(/has not finished/);
      const added = await p;
      row += added;
      nulls += status[1]!;
      if (status[4]! & 2) {
        grows++;
        expect(status[3]).toBeGreaterThan(data.length);
        const grown = new Uint8Array(status[3]!);
        grown.set(data.subarray(0, offsets[row]!));
        data = grown;
        continue;
      }
      if (status[4]! & 1) break;
    }
    expect(row).toBe(10000);
    expect(grows).toBeGreaterThan(0);
    expect(nulls).toBe(3334);
    for (let i = 0; i < 10000; i += 997) {
      expect(nData[i]).toBe(BigInt(i));
      expect(bit(sBitmap, i)).toBe(i % 3 === 0 ? 0 : 1);
      expect(offsets[i + 1]! - offsets[i]!).toBe(i % 3 === 0 ? 0 : i % 30);
    }
    expect(bit(nBitmap, 9999)).toBe(1);
  });
});
