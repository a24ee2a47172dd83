/**
 * DuckDB result -> Arrow, through column buffers.
 *
 * The query is streamed chunk by chunk (DuckDB's vector size, 2048 rows); chunks are appended to
 * per-column Arrow buffers and every ~64k rows the buffers become one RecordBatch. Fixed-width
 * columns are byte copies of the DuckDB vector (`vector_get_data`), validity masks are bit copies,
 * and strings/blobs are copied as raw bytes into Arrow offsets + data buffers (see
 * `copyDuckDBStrings`, the one per-row loop, kept separate so native code can replace it).
 */
import fs from "node:fs";
import duckdb from "@duckdb/node-bindings";
import type { DuckDBConnection, DuckDBResult } from "@duckdb/node-api";
import {
  Data,
  DataType,
  Field,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Table,
  makeData,
} from "apache-arrow";
import type { ColumnSchema } from "../../compiler/plan-types.js";
import { copyBits, countSetBits, fillBits } from "./bits.js";
import { duckdbTypeToArrow } from "./types.js";

/** Rows per Arrow RecordBatch (a batch is closed at the first chunk boundary at or after this). */
export const TARGET_BATCH_ROWS = 64 * 1024;
/** A batch is also closed once its string/blob data reaches this many bytes (int32 offsets cap at 2 GiB). */
const MAX_BATCH_STRING_BYTES = 256 * 1024 * 1024;

const T = duckdb.Type;

// ---------------------------------------------------------------------------------------------
// Per-column builders

/** Accumulates the null bitmap of one column; the bitmap is allocated only once a NULL shows up. */
class ValidityBuilder {
  private bitmap: Uint8Array | null = null;
  private length = 0;
  private nullCount = 0;

  /** Appends the validity of `rows` rows of `vector`; returns DuckDB's mask (null = all valid). */
  append(vector: duckdb.Vector, rows: number): Uint8Array | null {
    const mask = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
    if (mask === null) {
      if (this.bitmap) {
        this.reserve(this.length + rows);
        fillBits(this.bitmap, this.length, rows, true);
      }
    } else {
      const nulls = rows - countSetBits(mask, 0, rows);
      if (nulls > 0 && !this.bitmap) {
        this.bitmap = new Uint8Array(Math.ceil(Math.max(TARGET_BATCH_ROWS, this.length + rows) / 8));
        fillBits(this.bitmap, 0, this.length, true);
      }
      if (this.bitmap) {
        this.reserve(this.length + rows);
        copyBits(this.bitmap, this.length, mask, 0, rows);
      }
      this.nullCount += nulls;
    }
    this.length += rows;
    return mask;
  }

  private reserve(bitsNeeded: number): void {
    const bytes = Math.ceil(bitsNeeded / 8);
    if (this.bitmap && this.bitmap.length < bytes) {
      const grown = new Uint8Array(Math.max(bytes, this.bitmap.length * 2));
      grown.set(this.bitmap);
      this.bitmap = grown;
    }
  }

  finish(): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    const out = {
      nullBitmap: this.bitmap && this.nullCount > 0 ? this.bitmap.subarray(0, Math.ceil(this.length / 8)) : undefined,
      nullCount: this.nullCount,
    };
    this.bitmap = null;
    this.length = 0;
    this.nullCount = 0;
    return out;
  }
}

interface ColumnExporter {
  readonly type: DataType;
  append(vector: duckdb.Vector, rows: number): void;
  /** Bytes of variable-length data accumulated so far (0 for fixed-width columns). */
  varBytes(): number;
  /** The Arrow Data of everything appended since the last finish(); starts a new batch. */
  finish(): Data;
}

type TypedArrayCtor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** Growable byte buffer; handed off (not reused) when a batch is finished. */
class ByteBuffer {
  bytes: Uint8Array;
  constructor(initial: number) {
    this.bytes = new Uint8Array(Math.max(initial, 64));
  }
  reserve(needed: number): Uint8Array {
    if (this.bytes.length < needed) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return this.bytes;
  }
}

/** Same byte layout in DuckDB and Arrow: integers, floats, DATE, TIME, TIMESTAMP*, DECIMAL(>18). */
class FixedWidthExporter implements ColumnExporter {
  private readonly validity = new ValidityBuilder();
  private buf: ByteBuffer;
  private length = 0;
  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly arrayType: TypedArrayCtor,
  ) {
    this.buf = new ByteBuffer(TARGET_BATCH_ROWS * width);
  }
  append(vector: duckdb.Vector, rows: number): void {
    this.validity.append(vector, rows);
    const src = duckdb.vector_get_data(vector, rows * this.width);
    this.buf.reserve((this.length + rows) * this.width).set(src, this.length * this.width);
    this.length += rows;
  }
  varBytes(): number {
    return 0;
  }
  finish(): Data {
    const { nullBitmap, nullCount } = this.validity.finish();
    const elements = (this.length * this.width) / this.arrayType.BYTES_PER_ELEMENT;
    const data = new this.arrayType(this.buf.bytes.buffer as ArrayBuffer, 0, elements);
    const out = makeData({ type: this.type as never, length: this.length, nullCount, nullBitmap, data: data as never });
    this.buf = new ByteBuffer(TARGET_BATCH_ROWS * this.width);
    this.length = 0;
    return out;
  }
}

/** DuckDB BOOLEAN is one byte per value; Arrow Bool is bit-packed. */
class BooleanExporter implements ColumnExporter {
  private readonly validity = new ValidityBuilder();
  private buf = new ByteBuffer(TARGET_BATCH_ROWS / 8);
  private length = 0;
  constructor(readonly type: DataType) {}
  append(vector: duckdb.Vector, rows: number): void {
    this.validity.append(vector, rows);
    const src = duckdb.vector_get_data(vector, rows);
    const dst = this.buf.reserve(Math.ceil((this.length + rows) / 8));
    let bit = this.length;
    for (let i = 0; i < rows; i++, bit++) {
      if (src[i] !== 0) dst[bit >> 3]! |= 1 << (bit & 7);
    }
    this.length += rows;
  }
  varBytes(): number {
    return 0;
  }
  finish(): Data {
    const { nullBitmap, nullCount } = this.validity.finish();
    const data = this.buf.bytes.subarray(0, Math.ceil(this.length / 8));
    const out = makeData({ type: this.type as never, length: this.length, nullCount, nullBitmap, data: data as never });
    this.buf = new ByteBuffer(TARGET_BATCH_ROWS / 8);
    this.length = 0;
    return out;
  }
}

/** DECIMAL stored in int16/int32/int64 by DuckDB, sign-extended to Arrow's 128-bit little-endian values. */
class NarrowDecimalExporter implements ColumnExporter {
  private readonly validity = new ValidityBuilder();
  private buf = new ByteBuffer(TARGET_BATCH_ROWS * 16);
  private length = 0;
  constructor(
    readonly type: DataType,
    private readonly width: 2 | 4 | 8,
  ) {}
  append(vector: duckdb.Vector, rows: number): void {
    this.validity.append(vector, rows);
    const raw = aligned(duckdb.vector_get_data(vector, rows * this.width), this.width);
    const dstBytes = this.buf.reserve((this.length + rows) * 16);
    const dst = new Int32Array(dstBytes.buffer, this.length * 16, rows * 4);
    if (this.width === 8) {
      const src = new Int32Array(raw.buffer, raw.byteOffset, rows * 2);
      for (let i = 0; i < rows; i++) {
        const hi = src[2 * i + 1]!;
        const sign = hi >> 31;
        dst[4 * i] = src[2 * i]!;
        dst[4 * i + 1] = hi;
        dst[4 * i + 2] = sign;
        dst[4 * i + 3] = sign;
      }
    } else {
      const src = this.width === 4 ? new Int32Array(raw.buffer, raw.byteOffset, rows) : new Int16Array(raw.buffer, raw.byteOffset, rows);
      for (let i = 0; i < rows; i++) {
        const v = src[i]!;
        const sign = v >> 31;
        dst[4 * i] = v;
        dst[4 * i + 1] = sign;
        dst[4 * i + 2] = sign;
        dst[4 * i + 3] = sign;
      }
    }
    this.length += rows;
  }
  varBytes(): number {
    return 0;
  }
  finish(): Data {
    const { nullBitmap, nullCount } = this.validity.finish();
    const data = new Uint32Array(this.buf.bytes.buffer, 0, this.length * 4);
    const out = makeData({ type: this.type as never, length: this.length, nullCount, nullBitmap, data: data as never });
    this.buf = new ByteBuffer(TARGET_BATCH_ROWS * 16);
    this.length = 0;
    return out;
  }
}

/** Arrow offsets + data buffers of a Utf8/Binary column under construction. */
export interface StringColumnBuffers {
  /** offsets[0..length]; offsets[length] is the used byte length of `data`. */
  offsets: Int32Array;
  data: Uint8Array;
  /** Rows written so far. */
  length: number;
}

/** VARCHAR / BLOB -> Arrow Utf8 / Binary. */
class StringExporter implements ColumnExporter {
  private readonly validity = new ValidityBuilder();
  private out: StringColumnBuffers = newStringBuffers();
  constructor(readonly type: DataType) {}
  append(vector: duckdb.Vector, rows: number): void {
    const mask = this.validity.append(vector, rows);
    const raw = duckdb.vector_get_data(vector, rows * 16);
    copyDuckDBStrings(raw, rows, mask, this.out);
  }
  varBytes(): number {
    return this.out.offsets[this.out.length]!;
  }
  finish(): Data {
    const { nullBitmap, nullCount } = this.validity.finish();
    const { offsets, data, length } = this.out;
    const out = makeData({
      type: this.type as never,
      length,
      nullCount,
      nullBitmap,
      valueOffsets: offsets.subarray(0, length + 1),
      data: data.subarray(0, offsets[length]!),
    } as never) as Data;
    this.out = newStringBuffers();
    return out;
  }
}

function newStringBuffers(): StringColumnBuffers {
  return { offsets: new Int32Array(TARGET_BATCH_ROWS + 1), data: new Uint8Array(1 << 20), length: 0 };
}

/** Long strings waiting for their heap window to be fetched (reused across calls). */
let pendingDst = new Float64Array(2048);
let pendingSrc = new Float64Array(2048);
let pendingLen = new Float64Array(2048);

/**
 * Appends the payloads of `rows` DuckDB `string_t`s (the raw 16-byte structs of a VARCHAR/BLOB
 * vector, as returned by `vector_get_data`) to Arrow offsets/data buffers, growing them as needed.
 * Rows whose bit in `validity` is clear get an empty slot.
 *
 * string_t: uint32 length, then either the bytes inline (length <= 12) or a 4-byte prefix and a
 * pointer. Inline bytes are copied from `raw`. JS cannot follow the pointer, so long strings are
 * read through the bindings' `get_data_from_pointer`, but not one call per string: strings whose
 * heap bytes start inside or right after the current "window" of DuckDB memory extend it, and the
 * window is fetched with one call, then sliced. Every byte of a window belongs to some string of
 * this vector, so nothing outside DuckDB's live string memory is read. Back-to-back heap strings
 * (computed strings) and repeated pointers (dictionary-compressed storage) both collapse to a few
 * calls per vector. This is the function to replace with native code.
 */
export function copyDuckDBStrings(raw: Uint8Array, rows: number, validity: Uint8Array | null, out: StringColumnBuffers): void {
  if (out.offsets.length < out.length + rows + 1) {
    const grown = new Int32Array(Math.max(out.length + rows + 1, out.offsets.length * 2));
    grown.set(out.offsets.subarray(0, out.length + 1));
    out.offsets = grown;
  }
  if (pendingDst.length < rows) {
    pendingDst = new Float64Array(rows);
    pendingSrc = new Float64Array(rows);
    pendingLen = new Float64Array(rows);
  }
  const offsets = out.offsets;
  const pDst = pendingDst;
  const pSrc = pendingSrc;
  const pLen = pendingLen;
  const words = new Uint32Array(raw.buffer, raw.byteOffset, rows * 4);
  // Total payload size first, so the data buffer grows at most once per chunk.
  let total = 0;
  for (let i = 0; i < rows; i++) {
    if (validity === null || (validity[i >> 3]! >> (i & 7)) & 1) total += words[4 * i]!;
  }
  let pos = offsets[out.length]!;
  if (pos + total > 0x7fffffff) throw new Error("string column batch exceeds 2 GiB (Arrow int32 offsets)");
  if (out.data.length < pos + total) {
    const grown = new Uint8Array(Math.max(pos + total, out.data.length * 2));
    grown.set(out.data.subarray(0, pos));
    out.data = grown;
  }
  const data = out.data;
  const rawBuffer = raw.buffer as ArrayBuffer;
  let o = out.length;

  // Current heap window [winStart, winEnd), opened by row winRow (whose pointer is winStart),
  // and the long strings it covers: pending{Dst,Src,Len}[0..pending).
  let winRow = -1;
  let winStart = 0;
  let winEnd = 0;
  let pending = 0;
  let sequential = true; // window bytes are exactly the pending strings, in destination order
  const flushWindow = (): void => {
    const bytes = duckdb.get_data_from_pointer(rawBuffer, raw.byteOffset + winRow * 16 + 8, winEnd - winStart);
    if (sequential) {
      data.set(bytes, pDst[0]!);
    } else {
      for (let k = 0; k < pending; k++) {
        const d = pDst[k]!;
        const s = pSrc[k]!;
        const len = pLen[k]!;
        if (len < 64) for (let b = 0; b < len; b++) data[d + b] = bytes[s + b]!;
        else data.set(bytes.subarray(s, s + len), d);
      }
    }
    winRow = -1;
    pending = 0;
  };

  for (let i = 0; i < rows; i++) {
    if (validity !== null && ((validity[i >> 3]! >> (i & 7)) & 1) === 0) {
      offsets[++o] = pos;
      continue;
    }
    const len = words[4 * i]!;
    if (len <= 12) {
      const s = 16 * i + 4;
      for (let k = 0; k < len; k++) data[pos + k] = raw[s + k]!;
    } else {
      // Pointers are < 2^53 on every supported platform, so two uint32 words make an exact number.
      const ptr = words[4 * i + 2]! + words[4 * i + 3]! * 4294967296;
      if (winRow >= 0 && ptr >= winStart && ptr <= winEnd) {
        if (sequential && !(ptr === winEnd && pos === pDst[pending - 1]! + pLen[pending - 1]!)) sequential = false;
        if (ptr + len > winEnd) winEnd = ptr + len;
      } else {
        if (winRow >= 0) flushWindow();
        winRow = i;
        winStart = ptr;
        winEnd = ptr + len;
        sequential = true;
      }
      pDst[pending] = pos;
      pSrc[pending] = ptr - winStart;
      pLen[pending] = len;
      pending++;
    }
    pos += len;
    offsets[++o] = pos;
  }
  if (winRow >= 0) flushWindow();
  out.length = o;
}

function aligned(bytes: Uint8Array, alignment: number): Uint8Array {
  return bytes.byteOffset % alignment === 0 ? bytes : bytes.slice();
}

// ---------------------------------------------------------------------------------------------
// Result -> batches

interface ResultColumn {
  readonly name: string;
  readonly duckdbType: string;
  readonly exporter: ColumnExporter;
}

function exporterFor(result: DuckDBResult, index: number): ResultColumn {
  const name = result.columnName(index);
  const duckdbType = result.columnType(index).toString();
  let type: DataType;
  try {
    type = duckdbTypeToArrow(duckdbType);
  } catch (e) {
    throw new Error(`column "${name}": ${(e as Error).message}`);
  }
  const id = result.columnTypeId(index) as number;
  let exporter: ColumnExporter;
  switch (id) {
    case T.BOOLEAN:
      exporter = new BooleanExporter(type);
      break;
    case T.TINYINT:
      exporter = new FixedWidthExporter(type, 1, Int8Array);
      break;
    case T.UTINYINT:
      exporter = new FixedWidthExporter(type, 1, Uint8Array);
      break;
    case T.SMALLINT:
      exporter = new FixedWidthExporter(type, 2, Int16Array);
      break;
    case T.USMALLINT:
      exporter = new FixedWidthExporter(type, 2, Uint16Array);
      break;
    case T.INTEGER:
    case T.DATE:
      exporter = new FixedWidthExporter(type, 4, Int32Array);
      break;
    case T.UINTEGER:
      exporter = new FixedWidthExporter(type, 4, Uint32Array);
      break;
    case T.BIGINT:
    case T.TIMESTAMP:
    case T.TIMESTAMP_S:
    case T.TIMESTAMP_MS:
    case T.TIMESTAMP_NS:
    case T.TIMESTAMP_TZ:
    case T.TIME:
    case T.TIME_NS:
      exporter = new FixedWidthExporter(type, 8, BigInt64Array);
      break;
    case T.UBIGINT:
      exporter = new FixedWidthExporter(type, 8, BigUint64Array);
      break;
    case T.FLOAT:
      exporter = new FixedWidthExporter(type, 4, Float32Array);
      break;
    case T.DOUBLE:
      exporter = new FixedWidthExporter(type, 8, Float64Array);
      break;
    case T.DECIMAL: {
      const width = decimalStorageWidth(result.columnLogicalType(index).logical_type);
      exporter = width === 16 ? new FixedWidthExporter(type, 16, Uint32Array) : new NarrowDecimalExporter(type, width);
      break;
    }
    case T.VARCHAR:
    case T.BLOB:
      exporter = new StringExporter(type);
      break;
    default:
      throw new Error(`column "${name}": unsupported DuckDB type ${duckdbType} for Arrow transfer`);
  }
  return { name, duckdbType, exporter };
}

function decimalStorageWidth(logicalType: duckdb.LogicalType): 2 | 4 | 8 | 16 {
  switch (duckdb.decimal_internal_type(logicalType)) {
    case T.SMALLINT:
      return 2;
    case T.INTEGER:
      return 4;
    case T.BIGINT:
      return 8;
    case T.HUGEINT:
      return 16;
    default:
      throw new Error(`unexpected DECIMAL storage type ${duckdb.decimal_internal_type(logicalType)}`);
  }
}

interface ExportStream {
  readonly schema: Schema;
  readonly columns: ColumnSchema[];
  /** RecordBatches of up to ~TARGET_BATCH_ROWS rows; yields nothing for an empty result. */
  batches(): AsyncGenerator<RecordBatch>;
}

async function openExport(conn: DuckDBConnection, sql: string): Promise<ExportStream> {
  const result = await conn.stream(sql);
  const cols: ResultColumn[] = [];
  for (let i = 0; i < result.columnCount; i++) cols.push(exporterFor(result, i));
  const schema = new Schema(cols.map((c) => new Field(c.name, c.exporter.type, true)));
  const structType = new Struct(schema.fields);

  async function* batches(): AsyncGenerator<RecordBatch> {
    let rows = 0;
    const finish = (): RecordBatch => {
      const children = cols.map((c) => c.exporter.finish());
      const data = makeData({ type: structType, length: rows, nullCount: 0, children });
      rows = 0;
      return new RecordBatch(schema, data);
    };
    for (;;) {
      const chunk = await result.fetchChunk();
      const n = chunk ? chunk.rowCount : 0;
      if (!chunk || n === 0) break;
      let varBytes = 0;
      for (let c = 0; c < cols.length; c++) {
        const exporter = cols[c]!.exporter;
        exporter.append(duckdb.data_chunk_get_vector(chunk.chunk, c), n);
        varBytes += exporter.varBytes();
      }
      rows += n;
      if (rows >= TARGET_BATCH_ROWS || varBytes >= MAX_BATCH_STRING_BYTES) yield finish();
    }
    if (rows > 0) yield finish();
  }

  return { schema, columns: cols.map((c) => ({ name: c.name, type: c.duckdbType })), batches };
}

// ---------------------------------------------------------------------------------------------
// IPC file output

/**
 * RecordBatchFileWriter that writes straight to a file descriptor (through a 1 MiB buffer)
 * instead of queueing the bytes in memory, so a large result never sits whole in the JS heap.
 */
class FdRecordBatchFileWriter extends RecordBatchFileWriter {
  private readonly fd: number;
  private pending = Buffer.allocUnsafe(1 << 20);
  private pendingBytes = 0;
  bytesWritten = 0;

  constructor(fd: number) {
    super();
    this.fd = fd;
  }

  protected override _write(chunk: ArrayBufferView): this {
    if (!this._started) return this;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.byteLength === 0) return this;
    if (bytes.byteLength >= this.pending.length / 4) {
      this.flushPending();
      writeFully(this.fd, bytes);
    } else {
      if (this.pendingBytes + bytes.byteLength > this.pending.length) this.flushPending();
      this.pending.set(bytes, this.pendingBytes);
      this.pendingBytes += bytes.byteLength;
    }
    this._position += bytes.byteLength;
    this.bytesWritten += bytes.byteLength;
    return this;
  }

  flushPending(): void {
    if (this.pendingBytes > 0) {
      writeFully(this.fd, this.pending.subarray(0, this.pendingBytes));
      this.pendingBytes = 0;
    }
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off);
}

/**
 * Runs `sql` and writes the result as an Arrow IPC *file* at `filePath` (via `${filePath}.tmp` and
 * a rename, so readers never see a partial file). Streams: at most one batch (~64k rows) is held
 * in JS at a time.
 */
export async function queryToArrowIPCFile(
  conn: DuckDBConnection,
  sql: string,
  filePath: string,
): Promise<{ rows: number; bytes: number; schema: ColumnSchema[] }> {
  const tmp = `${filePath}.tmp`;
  const fd = fs.openSync(tmp, "w");
  let closed = false;
  try {
    const stream = await openExport(conn, sql);
    const writer = new FdRecordBatchFileWriter(fd);
    writer.reset(undefined, stream.schema); // writes the schema, so an empty result is still a valid file
    let rows = 0;
    for await (const batch of stream.batches()) {
      writer.write(batch);
      rows += batch.numRows;
    }
    writer.close(); // footer
    writer.flushPending();
    fs.closeSync(fd);
    closed = true;
    fs.renameSync(tmp, filePath);
    return { rows, bytes: writer.bytesWritten, schema: stream.columns };
  } catch (e) {
    if (!closed) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Runs `sql` and returns the whole result as an Arrow Table (one RecordBatch per ~64k rows). */
export async function queryToArrowTable(conn: DuckDBConnection, sql: string): Promise<Table> {
  const stream = await openExport(conn, sql);
  const batches: RecordBatch[] = [];
  for await (const batch of stream.batches()) batches.push(batch);
  return batches.length > 0 ? new Table(batches) : new Table(stream.schema);
}
