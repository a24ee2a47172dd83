/**
 * Arrow -> DuckDB table, through column buffers.
 *
 * CREATE TABLE with the mapped types, then DuckDB data chunks of 2048 rows (the vector size) are
 * filled column by column straight from the Arrow buffers and handed to an appender:
 * fixed-width values are memcpy'd into the vector, null bitmaps are bit copies into the validity
 * mask, strings are written as inline `string_t`s (<= 12 bytes) or as longer ones. Native path
 * (bp's addon, ./bridge.ts; the default when built): one C call per column per chunk
 * (`importFixed`, `importBool`, `importStrings`); long strings are borrowed, i.e. the `string_t`s
 * point into the Arrow data buffer and DuckDB copies them when the chunk is appended, so record
 * batches are kept alive until an explicit appender flush. JS path (BP_NO_NATIVE=1, or no addon):
 * the bindings' `copy_data_to_vector` and `writeStringsToVector` (one bindings call per long
 * string, copied into the vector). Rows of several record batches share chunks, and
 * sliced/offset arrays are honoured. UTF-8 is checked in JS before anything is written.
 */
import fs from "node:fs";
import { isUtf8 } from "node:buffer";
import duckdb from "@duckdb/node-bindings";
import type { DuckDBConnection, DuckDBDataChunk as DuckDBDataChunkType } from "@duckdb/node-api";
import { requireCjs } from "../../compiler/require-cjs.js";
import {
  type Data,
  type DataType,
  type Field,
  type RecordBatch,
  RecordBatchReader,
  type Schema,
  type Table,
  type Vector,
  DateUnit,
  TimeUnit,
  Type,
} from "apache-arrow";
import { copyBits, fillBits } from "./bits.js";
import { ipcReader, mapIpcFile } from "../native/ipc-file.js";
import { bridgeCounters, chooseBridge, type DuckDBBridge } from "./bridge.js";
import { beginUnlessOpen } from "./transaction.js";
import { arrowSchemaToColumns, parseDecimal } from "./types.js";

const T = duckdb.Type;
/** DuckDB's vector size: rows per data chunk. */
const VECTOR_SIZE: number = duckdb.vector_size();
/** Native path: chunks appended between explicit appender flushes (DuckDB's own flush interval is 100). */
const BORROW_FLUSH_CHUNKS = 100;

export interface ArrowToDuckDBOptions {
  /** `CREATE OR REPLACE TABLE` instead of failing when the table exists. */
  replace?: boolean;
}

/**
 * Creates table `tableName` (a single, unqualified identifier) from an Arrow table and fills it.
 * Runs in its own transaction when the connection has none open, so a failure leaves nothing behind.
 */
export async function arrowTableToDuckDB(
  conn: DuckDBConnection,
  table: Table,
  tableName: string,
  options: ArrowToDuckDBOptions = {},
): Promise<{ rows: number }> {
  return loadBatches(conn, table.schema, table.batches, tableName, options);
}

/**
 * Same as arrowTableToDuckDB for an Arrow IPC file (file or stream format). With bp's addon the
 * file is memory-mapped (copy-on-write, never written; in pieces cut at record-batch boundaries
 * when it is larger than one piece, see runtime/native/ipc-file.ts) and the record batches are
 * views into the mappings; without it (or with BP_NO_MMAP=1) it is read one batch at a time.
 */
export async function arrowIPCFileToDuckDB(
  conn: DuckDBConnection,
  filePath: string,
  tableName: string,
  options: ArrowToDuckDBOptions = {},
): Promise<{ rows: number }> {
  const mapped = mapIpcFile(filePath);
  if (mapped !== null) {
    try {
      const reader = ipcReader(mapped);
      return await loadBatches(conn, reader.schema, reader, tableName, options);
    } finally {
      // DuckDB holds its own copy now: unmap at once (the file is usually deleted next, and its
      // /dev/shm pages are only freed once no mapping is left), not at a later GC.
      mapped.release();
    }
  }
  const handle = await fs.promises.open(filePath, "r");
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    return await loadBatches(conn, reader.schema, reader, tableName, options);
  } finally {
    await handle.close();
  }
}

async function loadBatches(
  conn: DuckDBConnection,
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  tableName: string,
  options: ArrowToDuckDBOptions,
): Promise<{ rows: number }> {
  const columns = arrowSchemaToColumns(schema); // throws, naming the column, for unsupported types
  if (columns.length === 0) throw new Error(`cannot create table ${tableName}: the Arrow schema has no columns`);
  const logicalTypes = columns.map((c) => logicalTypeFor(c.type));
  const chunk = duckdb.create_data_chunk(logicalTypes);
  const { bridge } = chooseBridge();
  const writers = schema.fields.map((f, i) =>
    createWriter(f, duckdb.data_chunk_get_vector(chunk, i), logicalTypes[i]!, bridge),
  );

  const ddl =
    `CREATE ${options.replace ? "OR REPLACE " : ""}TABLE ${quoteIdent(tableName)} (` +
    columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ") +
    ")";

  const ownTransaction = await beginUnlessOpen(conn); // else join the caller's
  try {
    await conn.run(ddl);
    const appender = await conn.createAppender(tableName);
    const { DuckDBDataChunk } = requireCjs("@duckdb/node-api") as { DuckDBDataChunk: typeof DuckDBDataChunkType };
    const chunkWrapper = new DuckDBDataChunk(chunk);
    let fill = 0;
    let rows = 0;
    // Native path: long strings are borrowed (the chunk points into the Arrow buffers), so every
    // record batch stays referenced until the appender has been flushed after its rows.
    let live: RecordBatch[] = [];
    let chunksSinceFlush = 0;
    const flush = (): void => {
      for (const w of writers) w.finishChunk(fill);
      duckdb.data_chunk_set_size(chunk, fill);
      appender.appendDataChunk(chunkWrapper);
      duckdb.data_chunk_reset(chunk);
      fill = 0;
      if (bridge && ++chunksSinceFlush >= BORROW_FLUSH_CHUNKS) {
        appender.flushSync(); // DuckDB now holds its own copy of every appended string
        chunksSinceFlush = 0;
        live = live.slice(-1); // the current batch may still have rows for the next chunk
      }
    };
    try {
      for await (const batch of batches) {
        const n = batch.numRows;
        if (n === 0) continue;
        if (bridge) live.push(batch);
        const children = batch.data.children;
        if (children.length !== writers.length) {
          throw new Error(`record batch has ${children.length} columns, schema has ${writers.length}`);
        }
        for (let pos = 0; pos < n; ) {
          const take = Math.min(VECTOR_SIZE - fill, n - pos);
          for (let c = 0; c < writers.length; c++) writers[c]!.write(children[c]!, pos, fill, take);
          fill += take;
          pos += take;
          rows += take;
          if (fill === VECTOR_SIZE) flush();
        }
      }
      if (fill > 0) flush();
      appender.closeSync();
      live = [];
    } catch (e) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // the original error matters more
      }
      throw e;
    }
    if (ownTransaction) await conn.run("COMMIT");
    return { rows };
  } catch (e) {
    if (ownTransaction) await conn.run("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const SIMPLE_LOGICAL_TYPES: Readonly<Record<string, duckdb.Type>> = {
  BOOLEAN: T.BOOLEAN,
  TINYINT: T.TINYINT,
  SMALLINT: T.SMALLINT,
  INTEGER: T.INTEGER,
  BIGINT: T.BIGINT,
  UTINYINT: T.UTINYINT,
  USMALLINT: T.USMALLINT,
  UINTEGER: T.UINTEGER,
  UBIGINT: T.UBIGINT,
  FLOAT: T.FLOAT,
  DOUBLE: T.DOUBLE,
  VARCHAR: T.VARCHAR,
  BLOB: T.BLOB,
  DATE: T.DATE,
  TIME: T.TIME,
  TIME_NS: T.TIME_NS,
  TIMESTAMP: T.TIMESTAMP,
  TIMESTAMP_S: T.TIMESTAMP_S,
  TIMESTAMP_MS: T.TIMESTAMP_MS,
  TIMESTAMP_NS: T.TIMESTAMP_NS,
  "TIMESTAMP WITH TIME ZONE": T.TIMESTAMP_TZ,
};

function logicalTypeFor(duckdbType: string): duckdb.LogicalType {
  const dec = parseDecimal(duckdbType);
  if (dec) return duckdb.create_decimal_type(dec.precision, dec.scale);
  const id = SIMPLE_LOGICAL_TYPES[duckdbType];
  if (id === undefined) throw new Error(`internal: no DuckDB logical type for ${duckdbType}`);
  return duckdb.create_logical_type(id);
}

// ---------------------------------------------------------------------------------------------
// Column writers

/** Writes one Arrow column into one vector of the reused data chunk. */
abstract class ColumnWriter {
  /** Validity of the chunk being filled (bit set = valid), copied into the vector on finishChunk. */
  protected readonly validity = new Uint8Array(VECTOR_SIZE / 8).fill(0xff);
  protected hasNulls = false;

  constructor(
    protected readonly vector: duckdb.Vector,
    /** The addon's bridge (null: JS path). */
    protected readonly native: DuckDBBridge | null = null,
  ) {}

  /** Rows [src, src + n) of `data` into rows [dst, dst + n) of the chunk. */
  write(data: Data, src: number, dst: number, n: number): void {
    if (data.nullCount > 0) {
      this.hasNulls = true;
      if (data.nullCount === data.length) {
        // Every row NULL: Arrow lets such an array omit its buffers (the Null type; apache-arrow
        // pads the short columns of a Table this way), so there are no values to read.
        fillBits(this.validity, dst, n, false);
        return;
      }
      const bitmap = data.nullBitmap;
      const first = data.offset + src;
      // bits past the end of a (malformed) short bitmap count as NULL
      const present = bitmap ? Math.max(0, Math.min(n, bitmap.length * 8 - first)) : 0;
      if (present > 0) copyBits(this.validity, dst, bitmap!, first, present);
      if (present < n) fillBits(this.validity, dst + present, n - present, false);
    }
    this.writeValues(data, src, dst, n);
  }

  protected abstract writeValues(data: Data, src: number, dst: number, n: number): void;

  finishChunk(rows: number): void {
    if (this.hasNulls) {
      duckdb.vector_ensure_validity_writable(this.vector);
      duckdb.copy_data_to_vector_validity(this.vector, 0, this.validity.buffer, 0, Math.ceil(rows / 64) * 8);
      this.validity.fill(0xff);
      this.hasNulls = false;
    }
  }

  protected clearValid(row: number): void {
    this.validity[row >> 3]! &= ~(1 << (row & 7));
    this.hasNulls = true;
  }

  protected isValid(row: number): boolean {
    return ((this.validity[row >> 3]! >> (row & 7)) & 1) === 1;
  }
}

/** Identical byte layout on both sides: one memcpy per column per chunk. */
class CopyWriter extends ColumnWriter {
  constructor(
    vector: duckdb.Vector,
    private readonly width: number,
    native: DuckDBBridge | null,
  ) {
    super(vector, native);
  }
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    const values = data.values as ArrayBufferView;
    if (this.native) {
      this.native.importFixed(this.vector, dst, n, this.width, values, src * this.width);
      bridgeCounters.importNative += n;
      return;
    }
    bridgeCounters.importJs += n;
    duckdb.copy_data_to_vector(
      this.vector,
      dst * this.width,
      values.buffer as ArrayBuffer,
      values.byteOffset + src * this.width,
      n * this.width,
    );
  }
}

/** The column is all NULL (Arrow Null type): only the validity is written. */
class NullWriter extends ColumnWriter {
  protected writeValues(_data: Data, _src: number, dst: number, n: number): void {
    fillBits(this.validity, dst, n, false);
    this.hasNulls = true;
  }
}

/** Arrow bit-packed booleans -> DuckDB one byte per value. */
class BoolWriter extends ColumnWriter {
  private readonly staging = new Uint8Array(VECTOR_SIZE);
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    const bits = data.values as Uint8Array;
    if (this.native) {
      this.native.importBool(this.vector, dst, n, bits, data.offset + src);
      bridgeCounters.importNative += n;
      return;
    }
    bridgeCounters.importJs += n;
    const staging = this.staging;
    for (let i = 0, b = data.offset + src; i < n; i++, b++) staging[i] = (bits[b >> 3]! >> (b & 7)) & 1;
    duckdb.copy_data_to_vector(this.vector, dst, staging.buffer, 0, n);
  }
}

/** Arrow Decimal128 -> DuckDB DECIMAL stored as int16/int32/int64 (precision <= 18): keep the low bits. */
class NarrowDecimalWriter extends ColumnWriter {
  private readonly staging = new ArrayBuffer(VECTOR_SIZE * 8);
  constructor(
    vector: duckdb.Vector,
    private readonly width: 2 | 4 | 8,
  ) {
    super(vector);
  }
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    bridgeCounters.importJs += n;
    const values = data.values as Uint32Array; // 4 words per value, little-endian
    const base = src * 4;
    if (this.width === 8) {
      const out = new Uint32Array(this.staging, 0, n * 2);
      for (let i = 0; i < n; i++) {
        out[2 * i] = values[base + 4 * i]!;
        out[2 * i + 1] = values[base + 4 * i + 1]!;
      }
    } else if (this.width === 4) {
      const out = new Uint32Array(this.staging, 0, n);
      for (let i = 0; i < n; i++) out[i] = values[base + 4 * i]!;
    } else {
      const out = new Uint16Array(this.staging, 0, n);
      for (let i = 0; i < n; i++) out[i] = values[base + 4 * i]! & 0xffff;
    }
    duckdb.copy_data_to_vector(this.vector, dst * this.width, this.staging, 0, n * this.width);
  }
}

/** Integer values (int32 or int64) multiplied (or floor-divided) into int64: Time32 -> TIME, non-µs tz timestamps. */
class RescaleWriter extends ColumnWriter {
  private readonly staging = new BigInt64Array(VECTOR_SIZE);
  constructor(
    vector: duckdb.Vector,
    private readonly multiply: bigint,
    private readonly divide: bigint,
  ) {
    super(vector);
  }
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    bridgeCounters.importJs += n;
    const values = data.values as Int32Array | BigInt64Array;
    const { multiply, divide, staging } = this;
    for (let i = 0; i < n; i++) {
      if (!this.isValid(dst + i)) {
        staging[i] = 0n;
        continue;
      }
      const v = BigInt(values[src + i]!) * multiply;
      let q = v / divide;
      if (v % divide < 0n) q -= 1n; // floor, so instants before 1970 round towards -infinity
      staging[i] = q;
    }
    duckdb.copy_data_to_vector(this.vector, dst * 8, staging.buffer, 0, n * 8);
  }
}

/** Scratch space for one chunk's string ranges. */
interface StringRanges {
  starts: Float64Array;
  ends: Float64Array;
}

/** Utf8/Binary (int32 offsets) and LargeUtf8/LargeBinary (int64 offsets) -> VARCHAR/BLOB. */
class StringWriter extends ColumnWriter {
  private readonly ranges: StringRanges = { starts: new Float64Array(VECTOR_SIZE), ends: new Float64Array(VECTOR_SIZE) };
  private readonly scratch = new Uint8Array(VECTOR_SIZE * 16);
  private readonly checked = new WeakSet<Data>();
  constructor(
    vector: duckdb.Vector,
    private readonly column: string,
    private readonly large: boolean,
    private readonly utf8: boolean,
    native: DuckDBBridge | null,
  ) {
    super(vector, native);
  }
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    const { starts, ends } = this.ranges;
    if (this.utf8 && !this.checked.has(data)) {
      if (this.large || !utf8FastCheck(data)) {
        const offsetAt = offsetReader(data, this.large);
        assertUtf8(this.column, data.values as Uint8Array, data.length, offsetAt, (i) => offsetAt(i + 1), (i) => isValidAt(data, i));
      }
      this.checked.add(data);
    }
    if (this.native) {
      // string i of the slice: [valueOffsets[src + i], valueOffsets[src + i + 1]) of values
      const offsets = data.valueOffsets as unknown as Int32Array | BigInt64Array;
      // borrowed: loadBatches keeps the batch alive until the appender is flushed
      this.native.importStrings(this.vector, dst, n, data.values as Uint8Array, offsets, src, this.validity, undefined, true);
      bridgeCounters.importNative += n;
      return;
    }
    bridgeCounters.importJs += n;
    if (this.large) {
      const o = data.valueOffsets as unknown as BigInt64Array;
      const w = new Int32Array(o.buffer, o.byteOffset, o.length * 2);
      for (let i = 0; i < n; i++) {
        const k = 2 * (src + i);
        starts[i] = (w[k]! >>> 0) + w[k + 1]! * 4294967296;
        ends[i] = (w[k + 2]! >>> 0) + w[k + 3]! * 4294967296;
      }
    } else {
      const o = data.valueOffsets as Int32Array;
      for (let i = 0; i < n; i++) {
        starts[i] = o[src + i]!;
        ends[i] = o[src + i + 1]!;
      }
    }
    writeStringsToVector(this.vector, dst, n, data.values as Uint8Array, starts, ends, this.validity, this.scratch);
  }
}

/** Offset k of a Utf8/Binary (int32 offsets) or LargeUtf8/LargeBinary (int64 offsets) Data, as a number. */
function offsetReader(data: Data, large: boolean): (k: number) => number {
  if (!large) {
    const o = data.valueOffsets as Int32Array;
    return (k) => o[k]!;
  }
  const o = data.valueOffsets as unknown as BigInt64Array;
  const w = new Int32Array(o.buffer, o.byteOffset, o.length * 2);
  return (k) => (w[2 * k]! >>> 0) + w[2 * k + 1]! * 4294967296;
}

function isValidAt(data: Data, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const bit = data.offset + i;
  return ((data.nullBitmap[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

/**
 * True when every string of a Utf8 Data (int32 offsets) is well-formed: the whole byte range is
 * valid UTF-8 and every non-empty string starts and ends on a character boundary. False means
 * "some string may be ill-formed" (possibly only in a NULL slot): assertUtf8 then decides.
 */
function utf8FastCheck(data: Data): boolean {
  const n = data.length;
  if (n === 0) return true;
  const o = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const hi = o[n]!;
  if (!isUtf8(bytes.subarray(o[0]!, hi))) return false;
  for (let i = 0; i < n; i++) {
    const s = o[i]!;
    const e = o[i + 1]!;
    if (e > s && ((bytes[s]! & 0xc0) === 0x80 || (e < hi && (bytes[e]! & 0xc0) === 0x80))) return false;
  }
  return true;
}

/**
 * Throws unless every valid string is well-formed UTF-8. DuckDB VARCHAR must be, and the bindings
 * would silently store an ill-formed long string as NULL. Fast path: one native `isUtf8` over the
 * whole byte range, plus a check that every string starts and ends on a character boundary (so
 * each piece of the valid whole is valid); per-string checks only to locate an error.
 */
function assertUtf8(
  column: string,
  bytes: Uint8Array,
  n: number,
  startAt: (i: number) => number,
  endAt: (i: number) => number,
  isValid: (i: number) => boolean,
): void {
  if (n === 0) return;
  const lo = startAt(0);
  const hi = endAt(n - 1);
  const wholeValid = isUtf8(bytes.subarray(lo, hi));
  for (let i = 0; i < n; i++) {
    if (!isValid(i)) continue;
    const s = startAt(i);
    const e = endAt(i);
    if (e <= s) continue;
    const ok = wholeValid
      ? (bytes[s]! & 0xc0) !== 0x80 && (e >= hi || (bytes[e]! & 0xc0) !== 0x80)
      : isUtf8(bytes.subarray(s, e));
    if (!ok) {
      throw new Error(
        `column "${column}": row ${i} of a record batch is not valid UTF-8 (DuckDB VARCHAR requires UTF-8; use Arrow Binary for raw bytes)`,
      );
    }
  }
}

/** A dictionary's values flattened to one byte buffer + ranges (+ per-entry validity). */
interface FlatDictionary {
  bytes: Uint8Array;
  starts: Float64Array;
  ends: Float64Array;
  valid: Uint8Array | null;
}

/** Dictionary<Utf8|LargeUtf8|Binary|LargeBinary> (what `vectorFromArray` makes of JS strings), decoded. */
class DictionaryStringWriter extends ColumnWriter {
  private readonly ranges: StringRanges = { starts: new Float64Array(VECTOR_SIZE), ends: new Float64Array(VECTOR_SIZE) };
  private readonly scratch = new Uint8Array(VECTOR_SIZE * 16);
  private readonly flattened = new WeakMap<object, FlatDictionary>();
  constructor(
    vector: duckdb.Vector,
    private readonly column: string,
    native: DuckDBBridge | null,
  ) {
    super(vector, native);
  }
  protected writeValues(data: Data, src: number, dst: number, n: number): void {
    const dictVector = data.dictionary;
    if (!dictVector) throw new Error("dictionary-encoded column without a dictionary");
    let dict = this.flattened.get(dictVector);
    if (!dict) {
      dict = flattenDictionary(dictVector);
      const valueType = dictVector.type.typeId;
      if (valueType === Type.Utf8 || valueType === Type.LargeUtf8) {
        const d = dict;
        assertUtf8(this.column, d.bytes, d.starts.length, (k) => d.starts[k]!, (k) => d.ends[k]!, (k) => !d.valid || d.valid[k] === 1);
      }
      this.flattened.set(dictVector, dict);
    }
    const { starts, ends } = this.ranges;
    const indices = data.values as ArrayLike<number | bigint>;
    const count = dict.starts.length;
    for (let i = 0; i < n; i++) {
      if (!this.isValid(dst + i)) {
        starts[i] = 0;
        ends[i] = 0;
        continue;
      }
      const k = Number(indices[src + i]!);
      if (!(k >= 0 && k < count)) throw new Error(`dictionary index ${k} out of range (dictionary has ${count} values)`);
      if (dict.valid && dict.valid[k] === 0) {
        this.clearValid(dst + i);
        continue;
      }
      starts[i] = dict.starts[k]!;
      ends[i] = dict.ends[k]!;
    }
    if (this.native) {
      // borrowed from the flattened dictionary, which lives as long as the batch (see loadBatches)
      this.native.importStrings(this.vector, dst, n, dict.bytes, starts, 0, this.validity, ends, true);
      bridgeCounters.importNative += n;
      return;
    }
    bridgeCounters.importJs += n;
    writeStringsToVector(this.vector, dst, n, dict.bytes, starts, ends, this.validity, this.scratch);
  }
}

function flattenDictionary(dictionary: Vector): FlatDictionary {
  const total = dictionary.length;
  const starts = new Float64Array(total);
  const ends = new Float64Array(total);
  let valid: Uint8Array | null = null;
  const parts: Uint8Array[] = [];
  let bytes = 0;
  let k = 0;
  for (const d of dictionary.data as Data[]) {
    const large = d.typeId === Type.LargeUtf8 || d.typeId === Type.LargeBinary;
    const offsetAt = offsetReader(d, large);
    const first = offsetAt(0);
    const last = offsetAt(d.length);
    parts.push((d.values as Uint8Array).subarray(first, last));
    for (let i = 0; i < d.length; i++, k++) {
      starts[k] = bytes + offsetAt(i) - first;
      ends[k] = bytes + offsetAt(i + 1) - first;
      if (!isValidAt(d, i)) {
        valid ??= new Uint8Array(total).fill(1);
        valid[k] = 0;
      }
    }
    bytes += last - first;
  }
  const flat = parts.length === 1 ? parts[0]! : concatBytes(parts, bytes);
  return { bytes: flat, starts, ends, valid };
}

function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Writes strings [starts[i], ends[i]) of `bytes` into rows dst..dst+n-1 of a VARCHAR/BLOB vector;
 * rows whose bit in `validity` is clear are skipped. Strings of <= 12 bytes are built as inline
 * `string_t`s (uint32 length + zero-padded bytes) in `scratch` and copied with one memcpy; longer
 * ones go through `vector_assign_string_element_len`, which copies them into the vector's string
 * heap. The JS path; the addon's importStrings does the same in one call per vector.
 */
export function writeStringsToVector(
  vector: duckdb.Vector,
  dst: number,
  n: number,
  bytes: Uint8Array,
  starts: Float64Array,
  ends: Float64Array,
  validity: Uint8Array,
  scratch: Uint8Array,
): void {
  scratch.fill(0, 0, n * 16);
  const words = new Uint32Array(scratch.buffer, scratch.byteOffset, n * 4);
  let longCount = 0;
  for (let i = 0; i < n; i++) {
    const row = dst + i;
    if (((validity[row >> 3]! >> (row & 7)) & 1) === 0) continue;
    const s = starts[i]!;
    const len = ends[i]! - s;
    if (len <= 12) {
      words[4 * i] = len;
      const o = 16 * i + 4;
      for (let k = 0; k < len; k++) scratch[o + k] = bytes[s + k]!;
    } else {
      longCount++;
    }
  }
  duckdb.copy_data_to_vector(vector, dst * 16, scratch.buffer as ArrayBuffer, scratch.byteOffset, n * 16);
  if (longCount === 0) return;
  for (let i = 0; i < n; i++) {
    const row = dst + i;
    if (((validity[row >> 3]! >> (row & 7)) & 1) === 0) continue;
    const s = starts[i]!;
    const e = ends[i]!;
    if (e - s > 12) duckdb.vector_assign_string_element_len(vector, row, bytes.subarray(s, e));
  }
}

function createWriter(field: Field, vector: duckdb.Vector, logicalType: duckdb.LogicalType, native: DuckDBBridge | null): ColumnWriter {
  const type: DataType = field.type;
  switch (type.typeId) {
    case Type.Null:
      return new NullWriter(vector);
    case Type.Bool:
      return new BoolWriter(vector, native);
    case Type.Int:
      return new CopyWriter(vector, (type as unknown as { bitWidth: number }).bitWidth / 8, native);
    case Type.Float:
      return new CopyWriter(vector, (type as unknown as { precision: number }).precision === 1 ? 4 : 8, native);
    case Type.Decimal: {
      switch (duckdb.decimal_internal_type(logicalType)) {
        case T.SMALLINT:
          return new NarrowDecimalWriter(vector, 2);
        case T.INTEGER:
          return new NarrowDecimalWriter(vector, 4);
        case T.BIGINT:
          return new NarrowDecimalWriter(vector, 8);
        default:
          return new CopyWriter(vector, 16, native);
      }
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
      return new StringWriter(vector, field.name, large, type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8, native);
    }
    case Type.Dictionary:
      return new DictionaryStringWriter(vector, field.name, native);
    case Type.Date: {
      // DateDay -> DATE (int32 days); DateMillisecond -> TIMESTAMP_MS (int64 ms)
      const unit = (type as unknown as { unit: DateUnit }).unit;
      return new CopyWriter(vector, unit === DateUnit.DAY ? 4 : 8, native);
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: TimeUnit; timezone?: string | null };
      if (timezone != null && timezone !== "" && unit !== TimeUnit.MICROSECOND) {
        // TIMESTAMP WITH TIME ZONE is microseconds
        if (unit === TimeUnit.SECOND) return new RescaleWriter(vector, 1_000_000n, 1n);
        if (unit === TimeUnit.MILLISECOND) return new RescaleWriter(vector, 1_000n, 1n);
        return new RescaleWriter(vector, 1n, 1_000n);
      }
      return new CopyWriter(vector, 8, native);
    }
    case Type.Time: {
      const unit = (type as unknown as { unit: TimeUnit }).unit;
      if (unit === TimeUnit.SECOND) return new RescaleWriter(vector, 1_000_000n, 1n);
      if (unit === TimeUnit.MILLISECOND) return new RescaleWriter(vector, 1_000n, 1n);
      return new CopyWriter(vector, 8, native); // Time64 µs -> TIME, Time64 ns -> TIME_NS
    }
    default:
      // arrowSchemaToColumns already rejected everything else
      throw new Error(`column "${field.name}": unsupported Arrow type ${String(type)}`);
  }
}
