/**
 * DuckDB result -> Arrow, through column buffers.
 *
 * The query is streamed chunk by chunk (DuckDB's vector size, 2048 rows); chunks are appended to
 * per-column Arrow buffers, which become one RecordBatch at a chunk boundary once the batch reaches
 * its row target: 64k rows first, doubling after each batch up to 1M rows (or ~64 MiB of buffers,
 * see nextBatchTarget). A small result stays one small batch; a large one makes few batches, which
 * a reader (apache-arrow's tableFromIPC: ~0.1 ms of message decoding per batch) opens quickly.
 *
 * Native path (bp's addon, ./bridge.ts; the default when it is built): one C call per column per
 * chunk copies the vector straight into the Arrow buffers: a memcpy for fixed-width values, string_t
 * -> int32 offsets + bytes for strings/blobs, plus the validity bits. JS path (BP_NO_NATIVE=1, or no
 * addon): fixed-width columns are byte copies of `vector_get_data` (which copies once more),
 * validity masks are bit copies, and strings/blobs go through `copyDuckDBStrings`; a query failing
 * mid-stream is told from one that ended through a transaction (see StreamFailureCheck).
 */
import fs from "node:fs";
import duckdb from "@duckdb/node-bindings";
import type { DuckDBConnection, DuckDBResult } from "@duckdb/node-api";
import { Data, DataType, Field, RecordBatch, Schema, Struct, Table, makeData } from "apache-arrow";
import type { ColumnSchema } from "../../compiler/plan-types.js";
import { copyBits, countSetBits, fillBits } from "./bits.js";
import { FdRecordBatchFileWriter } from "./ipc-writer.js";
import { beginUnlessOpen } from "./transaction.js";
import { bridgeCounters, chooseBridge, type CopyPath, type DuckDBBridge } from "./bridge.js";
import { duckdbTypeToArrow } from "./types.js";

/** Row target of a stream's first RecordBatch (a batch is closed at the first chunk boundary at or after its target). */
export const FIRST_BATCH_ROWS = 64 * 1024;
/** The row target doubles after each batch up to this. */
export const MAX_BATCH_ROWS = 1024 * 1024;
/** ...and while a batch like the last one would stay within this many bytes of column buffers. */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** A batch is also closed once its string/blob data reaches this many bytes (int32 offsets cap at 2 GiB). */
const MAX_BATCH_STRING_BYTES = 256 * 1024 * 1024;

const T = duckdb.Type;
/** Rows of one DuckDB chunk: a batch of target `t` rows holds at most t - 1 + VECTOR_SIZE rows. */
const VECTOR_SIZE = duckdb.vector_size();

/**
 * The row target of the batch after one of `rows` rows and `bytes` bytes (values, offsets and
 * string data) whose target was `target`: twice as many rows, at most MAX_BATCH_ROWS, and no more
 * than MAX_BATCH_BYTES would hold at the last batch's bytes per row; never below FIRST_BATCH_ROWS.
 * Geometric growth: a 10M-row result of 4 columns makes 13 batches (64k, 128k, 256k, 512k, then 1M
 * rows), a 10-row one a single batch with buffers for 64k rows, as before.
 */
export function nextBatchTarget(target: number, rows: number, bytes: number): number {
  const byBytes = bytes > 0 ? Math.floor((MAX_BATCH_BYTES / bytes) * rows) : MAX_BATCH_ROWS;
  return Math.max(FIRST_BATCH_ROWS, Math.min(2 * target, MAX_BATCH_ROWS, byBytes));
}

// ---------------------------------------------------------------------------------------------
// Per-column builders

/**
 * Accumulates the null bitmap of one column. JS path (append): the bitmap is allocated only once a
 * NULL shows up. Native path (nativeBitmap + addNative): the addon writes every bit; a batch
 * without NULLs still gets no bitmap.
 */
class ValidityBuilder {
  private bitmap: Uint8Array | null = null;
  private length = 0;
  private nullCount = 0;
  /** Rows the current batch may reach (see reserveRows()). */
  private capacity = FIRST_BATCH_ROWS + VECTOR_SIZE;
  /** Native path: the bitmap last handed off, and one free for reuse (see recycle()). */
  private handed: Uint8Array | null = null;
  private spare: Uint8Array | null = null;

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
        this.bitmap = new Uint8Array(Math.ceil(Math.max(this.capacity, this.length + rows) / 8));
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

  /** The batch may reach `rows` rows: a bitmap already allocated grows to hold them. */
  reserveRows(rows: number): void {
    this.capacity = rows;
    if (this.bitmap) this.reserve(rows);
  }

  /** Native path: the bitmap of the batch (allocated eagerly), room for the reserved rows. */
  nativeBitmap(): Uint8Array {
    if (!this.bitmap) this.bitmap = new Uint8Array(Math.ceil(this.capacity / 8));
    return this.bitmap;
  }

  /** Native path: the bitmap last handed off is free again (the addon rewrites every bit it uses). */
  recycle(): void {
    this.spare ??= this.handed;
    this.handed = null;
  }

  /** Native path: `rows` bits (with `nulls` clear ones) were written after the previous ones. */
  addNative(rows: number, nulls: number): void {
    this.length += rows;
    this.nullCount += nulls;
  }

  private reserve(bitsNeeded: number): void {
    const bytes = Math.ceil(bitsNeeded / 8);
    if (this.bitmap && this.bitmap.length < bytes) {
      const grown = new Uint8Array(Math.max(bytes, this.bitmap.length * 2));
      grown.set(this.bitmap.subarray(0, Math.ceil(this.length / 8)));
      this.bitmap = grown;
    }
  }

  /** `trim`: a bitmap less than half used is copied out at its size (and the buffer kept). */
  finish(trim: boolean): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    let nullBitmap: Uint8Array | undefined;
    let handOff = false;
    if (this.bitmap && this.nullCount > 0) {
      const used = Math.ceil(this.length / 8);
      handOff = !(trim && 2 * used < this.bitmap.length);
      nullBitmap = handOff ? this.bitmap.subarray(0, used) : this.bitmap.slice(0, used);
    }
    const out = { nullBitmap, nullCount: this.nullCount };
    // A bitmap without NULLs (or copied out) is not handed off: the native path (which always has one) reuses it.
    if (handOff) {
      this.handed = this.bitmap;
      this.bitmap = this.spare;
      this.spare = null;
    }
    this.length = 0;
    this.nullCount = 0;
    return out;
  }
}

interface ColumnExporter {
  readonly type: DataType;
  /** The batch (both paths) may reach `rows` rows: its buffers grow to hold them, keeping what they hold. */
  reserveRows(rows: number): void;
  /** JS path: appends `rows` rows of a vector. */
  append(vector: duckdb.Vector, rows: number): void;
  /** Bytes of variable-length data accumulated so far (0 for fixed-width columns). */
  varBytes(): number;
  /** Bytes of everything accumulated so far (values, offsets, variable-length data; not validity). */
  batchBytes(): number;
  /**
   * The Arrow Data of everything appended since the last finish(); starts a new batch. `trim`
   * (the batch is kept, not recycled): buffers less than half used are copied out at their size,
   * so a short last batch does not pin buffers sized for a large target.
   */
  finish(trim: boolean): Data;
  /** Native path: the column's kind and width for the addon's exportOpen. */
  readonly nativeKind: NativeKind;
  readonly nativeWidth: number;
  /** Native path: pushes the batch's buffers ([bitmap, data] or [bitmap, offsets, data]), room for the reserved rows. */
  nativeBuffers(out: ArrayBufferView[]): void;
  /** Native path: the addon appended `rows` rows, `nulls` of them NULL. */
  nativeAdded(rows: number, nulls: number): void;
  /**
   * Native path: the batch last finished is no longer used, so its buffers may back a later batch
   * (the addon overwrites everything it reports as written).
   */
  recycle(): void;
}

/** Buffers handed off with the last batch, and a set free for the next one (native path, see recycle()). */
class Spare<T> {
  private handed: T | null = null;
  private free: T | null = null;
  /** Records `current` as handed off; returns the buffers to continue with. */
  swap(current: T, create: () => T): T {
    this.handed = current;
    const next = this.free ?? create();
    this.free = null;
    return next;
  }
  recycle(): void {
    this.free ??= this.handed;
    this.handed = null;
  }
}

/** Column kinds of the addon's exportOpen (COL_* in native/src/duckdb_bridge.c). */
const enum NativeKind {
  Fixed = 0,
  Bool = 1,
  Decimal = 2,
  String = 3,
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
  /** Room for `needed` bytes, keeping the first `used` (default: all). */
  reserve(needed: number, used = this.bytes.length): Uint8Array {
    if (this.bytes.length < needed) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, used));
      this.bytes = grown;
    }
    return this.bytes;
  }
  /** The first `used` bytes for a finished batch: a view, or (trim, less than half used) a copy. */
  take(used: number, trim: boolean): { bytes: Uint8Array; copied: boolean } {
    const copied = trim && 2 * used < this.bytes.length;
    return { bytes: copied ? this.bytes.slice(0, used) : this.bytes.subarray(0, used), copied };
  }
}

/**
 * A column of fixed-size values in one data buffer (FixedWidth, Boolean, NarrowDecimal): validity,
 * the buffer sized for the batch, and its recycling (native path).
 */
abstract class OneBufferExporter implements ColumnExporter {
  protected readonly validity = new ValidityBuilder();
  protected buf = new ByteBuffer(0);
  protected length = 0;
  private readonly spare = new Spare<ByteBuffer>();
  abstract readonly type: DataType;
  abstract readonly nativeKind: NativeKind;
  abstract readonly nativeWidth: number;
  /** Bytes of the data buffer for `rows` rows. */
  protected abstract bytesFor(rows: number): number;
  /** The `length` values in `bytes` (offset 0 of its own ArrayBuffer) as apache-arrow's data. */
  protected abstract values(bytes: Uint8Array): ArrayBufferView;
  abstract append(vector: duckdb.Vector, rows: number): void;
  reserveRows(rows: number): void {
    this.validity.reserveRows(rows);
    this.buf.reserve(this.bytesFor(rows), this.bytesFor(this.length));
  }
  nativeBuffers(out: ArrayBufferView[]): void {
    out.push(this.validity.nativeBitmap(), this.buf.bytes);
  }
  nativeAdded(rows: number, nulls: number): void {
    this.validity.addNative(rows, nulls);
    this.length += rows;
  }
  varBytes(): number {
    return 0;
  }
  batchBytes(): number {
    return this.bytesFor(this.length);
  }
  finish(trim: boolean): Data {
    const { nullBitmap, nullCount } = this.validity.finish(trim);
    const { bytes, copied } = this.buf.take(this.bytesFor(this.length), trim);
    const out = makeData({ type: this.type as never, length: this.length, nullCount, nullBitmap, data: this.values(bytes) as never });
    if (!copied) this.buf = this.spare.swap(this.buf, () => new ByteBuffer(0));
    this.length = 0;
    return out;
  }
  recycle(): void {
    this.validity.recycle();
    this.spare.recycle();
  }
}

/** Same byte layout in DuckDB and Arrow: integers, floats, DATE, TIME, TIMESTAMP*, DECIMAL(>18). */
class FixedWidthExporter extends OneBufferExporter {
  readonly nativeKind = NativeKind.Fixed;
  constructor(
    readonly type: DataType,
    private readonly width: number,
    private readonly arrayType: TypedArrayCtor,
  ) {
    super();
  }
  get nativeWidth(): number {
    return this.width;
  }
  protected bytesFor(rows: number): number {
    return rows * this.width;
  }
  protected values(bytes: Uint8Array): ArrayBufferView {
    return new this.arrayType(bytes.buffer as ArrayBuffer, 0, bytes.length / this.arrayType.BYTES_PER_ELEMENT);
  }
  append(vector: duckdb.Vector, rows: number): void {
    this.validity.append(vector, rows);
    const src = duckdb.vector_get_data(vector, rows * this.width);
    this.buf.reserve((this.length + rows) * this.width).set(src, this.length * this.width);
    this.length += rows;
  }
}

/** DuckDB BOOLEAN is one byte per value; Arrow Bool is bit-packed. */
class BooleanExporter extends OneBufferExporter {
  readonly nativeKind = NativeKind.Bool;
  readonly nativeWidth = 1;
  constructor(readonly type: DataType) {
    super();
  }
  protected bytesFor(rows: number): number {
    return Math.ceil(rows / 8);
  }
  protected values(bytes: Uint8Array): ArrayBufferView {
    return bytes;
  }
  append(vector: duckdb.Vector, rows: number): void {
    this.validity.append(vector, rows);
    const src = duckdb.vector_get_data(vector, rows);
    const dst = this.buf.reserve(Math.ceil((this.length + rows) / 8));
    dst.fill(0, Math.ceil(this.length / 8), Math.ceil((this.length + rows) / 8)); // the buffer may be reused
    let bit = this.length;
    for (let i = 0; i < rows; i++, bit++) {
      if (src[i] !== 0) dst[bit >> 3]! |= 1 << (bit & 7);
    }
    this.length += rows;
  }
}

/** DECIMAL stored in int16/int32/int64 by DuckDB, sign-extended to Arrow's 128-bit little-endian values. */
class NarrowDecimalExporter extends OneBufferExporter {
  readonly nativeKind = NativeKind.Decimal;
  constructor(
    readonly type: DataType,
    private readonly width: 2 | 4 | 8,
  ) {
    super();
  }
  get nativeWidth(): number {
    return this.width;
  }
  protected bytesFor(rows: number): number {
    return rows * 16;
  }
  protected values(bytes: Uint8Array): ArrayBufferView {
    return new Uint32Array(bytes.buffer as ArrayBuffer, 0, bytes.length / 4);
  }
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
  /** String bytes per row of the last batch: a batch's data buffer starts at 1.25x that, so it rarely has to grow. */
  private bytesPerRow = 0;
  constructor(readonly type: DataType) {}
  readonly nativeKind = NativeKind.String;
  readonly nativeWidth = 16;
  reserveRows(rows: number): void {
    this.validity.reserveRows(rows);
    const { offsets, data, length } = this.out;
    if (offsets.length < rows + 1) {
      const grown = new Int32Array(rows + 1);
      grown.set(offsets.subarray(0, length + 1));
      this.out.offsets = grown;
    }
    const bytes = Math.min(Math.ceil(this.bytesPerRow * rows * 1.25), MAX_BATCH_STRING_BYTES + (MAX_BATCH_STRING_BYTES >> 2));
    if (data.length < bytes) {
      const grown = new Uint8Array(bytes);
      grown.set(data.subarray(0, offsets[length]!));
      this.out.data = grown;
    }
  }
  nativeBuffers(out: ArrayBufferView[]): void {
    out.push(this.validity.nativeBitmap(), this.out.offsets, this.out.data);
  }
  nativeAdded(rows: number, nulls: number): void {
    this.validity.addNative(rows, nulls);
    this.out.length += rows;
  }
  /** Native path: `data` must hold `needed` bytes (it grows at least twofold). */
  nativeGrow(needed: number): void {
    if (needed > 0x7fffffff) throw new Error("string column batch exceeds 2 GiB (Arrow int32 offsets)");
    const { data, offsets, length } = this.out;
    const grown = new Uint8Array(Math.min(Math.max(needed, data.length * 2), 0x7fffffff));
    grown.set(data.subarray(0, offsets[length]!));
    this.out.data = grown;
  }
  append(vector: duckdb.Vector, rows: number): void {
    const mask = this.validity.append(vector, rows);
    const raw = duckdb.vector_get_data(vector, rows * 16);
    copyDuckDBStrings(raw, rows, mask, this.out);
  }
  varBytes(): number {
    return this.out.offsets[this.out.length]!;
  }
  batchBytes(): number {
    return 4 * (this.out.length + 1) + this.varBytes();
  }
  finish(trim: boolean): Data {
    const { nullBitmap, nullCount } = this.validity.finish(trim);
    const { offsets, data, length } = this.out;
    const bytes = offsets[length]!;
    // trim: buffers less than half used are copied out at their size (and kept for the next batch)
    const copyOffsets = trim && 2 * (length + 1) < offsets.length;
    const copyData = trim && 2 * bytes < data.length;
    const out = makeData({
      type: this.type as never,
      length,
      nullCount,
      nullBitmap,
      valueOffsets: copyOffsets ? offsets.slice(0, length + 1) : offsets.subarray(0, length + 1),
      data: copyData ? data.slice(0, bytes) : data.subarray(0, bytes),
    } as never) as Data;
    if (length > 0) this.bytesPerRow = bytes / length;
    if (trim) {
      // the batch is kept, never recycled: it takes the buffers it views; one copied out stays here
      this.out = { offsets: copyOffsets ? offsets : new Int32Array(1), data: copyData ? data : new Uint8Array(1 << 20), length: 0 };
    } else {
      this.out = this.spare.swap(this.out, newStringBuffers);
      this.out.length = 0;
    }
    return out;
  }
  private readonly spare = new Spare<StringColumnBuffers>();
  recycle(): void {
    this.validity.recycle();
    this.spare.recycle();
  }
}

/** Buffers of a new batch (reserveRows() sizes them). */
function newStringBuffers(): StringColumnBuffers {
  return { offsets: new Int32Array(1), data: new Uint8Array(1 << 20), length: 0 };
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
 * calls per vector. The JS path; the addon's exportStrings does the same in one call per vector.
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
  /** Which code copied the values (see ./bridge.ts). */
  readonly copyPath: CopyPath;
  /**
   * RecordBatches of FIRST_BATCH_ROWS rows and growing (see nextBatchTarget); yields nothing for
   * an empty result. With `reuse` (native path only), a batch's buffers back a later batch once
   * the next one is requested: each batch must be consumed (e.g. written out) before asking for
   * the next. Without it, a batch using less than half of its buffers (the last one, typically)
   * gets copies of its size.
   */
  batches(opts?: { reuse?: boolean }): AsyncGenerator<RecordBatch>;
}

async function openExport(conn: DuckDBConnection, sql: string): Promise<ExportStream> {
  // JS path: the stream runs in a transaction that tells whether it failed (see StreamFailureCheck)
  const check = chooseBridge().bridge === null ? await StreamFailureCheck.begin(conn, sql) : null;
  let result: DuckDBResult;
  let cols: ResultColumn[];
  let opened: { bridge: DuckDBBridge; stream: unknown } | null;
  try {
    result = await conn.stream(sql);
    cols = [];
    for (let i = 0; i < result.columnCount; i++) cols.push(exporterFor(result, i));
    opened = check ? null : openNativeStream(result, cols.map((c) => c.exporter));
  } catch (e) {
    await check?.abandon();
    throw e;
  }
  const schema = new Schema(cols.map((c) => new Field(c.name, c.exporter.type, true)));
  const structType = new Struct(schema.fields);
  const exporters = cols.map((c) => c.exporter);
  const native = opened;

  /** Row target of the batch being filled; its buffers hold one chunk more (see reserve). */
  let target = FIRST_BATCH_ROWS;
  const reserve = (): void => {
    for (const e of exporters) e.reserveRows(target + VECTOR_SIZE);
  };
  /** The batch of the `rows` rows appended; sets the next batch's target. */
  const finish = (rows: number, trim: boolean): RecordBatch => {
    let bytes = 0;
    for (const e of exporters) bytes += e.batchBytes();
    target = nextBatchTarget(target, rows, bytes);
    const children = exporters.map((e) => e.finish(trim));
    return new RecordBatch(schema, makeData({ type: structType, length: rows, nullCount: 0, children }));
  };

  /**
   * JS path: one bindings fetch per chunk, copied column by column. The last batch is yielded only
   * once the stream is known not to have failed (so a failure never looks like a shorter result).
   */
  async function* jsBatches(trim: boolean): AsyncGenerator<RecordBatch> {
    let rows = 0;
    let checked = false;
    try {
      reserve();
      for (;;) {
        const chunk = await result.fetchChunk();
        const n = chunk ? chunk.rowCount : 0;
        if (!chunk || n === 0) break;
        let varBytes = 0;
        for (let c = 0; c < exporters.length; c++) {
          const exporter = exporters[c]!;
          exporter.append(duckdb.data_chunk_get_vector(chunk.chunk, c), n);
          varBytes += exporter.varBytes();
        }
        bridgeCounters.exportJs += n * exporters.length;
        rows += n;
        if (rows >= target || varBytes >= MAX_BATCH_STRING_BYTES) {
          const batch = finish(rows, trim);
          rows = 0;
          reserve();
          yield batch;
        }
      }
      checked = true;
      await check?.end(); // throws DuckDB's error when the query failed mid-stream
    } finally {
      // the consumer stopped early, or a fetch or copy threw
      if (!checked) await check?.abandon();
    }
    if (rows > 0) yield finish(rows, trim);
  }

  /**
   * Native path: the addon fetches and copies whole batches on a worker thread. The next batch is
   * already being filled (into fresh buffers, sized for its target) while the consumer handles
   * the one just yielded.
   */
  async function* nativeBatches(bridge: DuckDBBridge, stream: unknown, reuse: boolean): AsyncGenerator<RecordBatch> {
    const n = exporters.length;
    const status = new Float64Array(2 * n + 1);
    let rows = 0;
    const startFill = (): Promise<number> => {
      reserve(); // a no-op when continuing a batch
      const buffers: ArrayBufferView[] = [];
      for (const e of exporters) e.nativeBuffers(buffers);
      return bridge.exportFill(stream, rows, target, MAX_BATCH_STRING_BYTES, buffers, status);
    };
    let fill: Promise<number> | null = startFill();
    try {
      for (;;) {
        const added = await fill;
        fill = null;
        for (let c = 0; c < n; c++) exporters[c]!.nativeAdded(added, status[c]!);
        bridgeCounters.exportNative += added * n;
        rows += added;
        const flags = status[2 * n]!;
        if (flags & FILL_GROW) {
          for (let c = 0; c < n; c++) if (status[n + c]! > 0) (exporters[c] as StringExporter).nativeGrow(status[n + c]!);
        } else if (flags & FILL_END) {
          if (rows > 0) yield finish(rows, !reuse);
          return;
        } else if (rows >= target || flags & FILL_STRINGS_FULL) {
          const batch = finish(rows, !reuse);
          rows = 0;
          fill = startFill();
          yield batch;
          if (reuse) for (const e of exporters) e.recycle();
          continue;
        }
        fill = startFill();
      }
    } finally {
      // The consumer stopped early (or a fill failed): let an in-flight fill settle unobserved.
      if (fill) fill.catch(() => undefined);
    }
  }

  return {
    schema,
    columns: cols.map((c) => ({ name: c.name, type: c.duckdbType })),
    copyPath: native ? "native" : "js",
    batches: (opts) => (native ? nativeBatches(native.bridge, native.stream, opts?.reuse === true) : jsBatches(opts?.reuse !== true)),
  };
}

/**
 * JS path: tells a query that failed while streaming from one that ended. The bindings' fetch_chunk
 * returns no chunk in both cases and never reads DuckDB's error (duckdb_result_error is not
 * exposed), which would silently truncate the result. But a query failing inside an explicit
 * transaction aborts that transaction, which the next statement reveals. So the stream runs in a
 * transaction of its own (or the caller's, when one is open); after the last chunk one `SELECT 1`
 * probes it. On failure, DuckDB's message comes from running the query again under EXPLAIN ANALYZE
 * (which executes it fully but keeps no rows); the native path reads it straight from the result.
 */
class StreamFailureCheck {
  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly sql: string,
    /** BEGIN was ours (else a transaction was already open on the connection: joined). */
    private readonly own: boolean,
  ) {}

  static async begin(conn: DuckDBConnection, sql: string): Promise<StreamFailureCheck> {
    return new StreamFailureCheck(conn, sql, await beginUnlessOpen(conn));
  }

  /** After the last chunk: ends the transaction, or throws the query's error. */
  async end(): Promise<void> {
    let aborted: Error;
    try {
      await this.conn.run("SELECT 1");
      if (this.own) await this.conn.run("COMMIT");
      return;
    } catch (e) {
      aborted = e as Error;
    }
    if (!this.own) {
      throw new Error(`the query failed while its rows were streaming; DuckDB says only: ${aborted.message}`);
    }
    await this.conn.run("ROLLBACK").catch(() => undefined);
    await this.conn.run(`EXPLAIN ANALYZE ${this.sql}`); // rejects with DuckDB's error, as the native path reports it
    throw new Error("the query failed while its rows were streaming, and succeeded when run again (DuckDB's error was not reported)");
  }

  /** The stream was not read to its end (or opening it failed): roll back our transaction. */
  async abandon(): Promise<void> {
    if (this.own) await this.conn.run("ROLLBACK").catch(() => undefined);
  }
}

/** exportFill's status flags (FLAG_* in native/src/duckdb_bridge.c). */
const FILL_END = 1;
const FILL_GROW = 2;
const FILL_STRINGS_FULL = 4;

/**
 * The addon's batch stream over `result`, or null (JS path): when the bridge is unavailable (or
 * BP_NO_NATIVE=1), or the result's bindings handle is not what the addon expects.
 */
function openNativeStream(result: DuckDBResult, exporters: ColumnExporter[]): { bridge: DuckDBBridge; stream: unknown } | null {
  const { bridge } = chooseBridge();
  if (!bridge || exporters.length === 0) return null;
  // DuckDBResult keeps the bindings' Result handle in a (TS-protected) field.
  const handle = (result as unknown as { result?: unknown }).result;
  try {
    const stream = bridge.exportOpen(
      handle,
      Int32Array.from(exporters, (e) => e.nativeKind),
      Int32Array.from(exporters, (e) => e.nativeWidth),
    );
    return { bridge, stream };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// IPC file output

/**
 * Runs `sql` and writes the result as an Arrow IPC *file* at `filePath` (via `${filePath}.tmp` and
 * a rename, so readers never see a partial file). Streams: two batches' buffers are held at a time
 * (the one being written, the next being filled), at most 1M rows / ~64 MiB each (see
 * nextBatchTarget), plus string data (< MAX_BATCH_STRING_BYTES per batch).
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
    for await (const batch of stream.batches({ reuse: true })) {
      writer.write(batch); // written out (copied to the file) before the next batch is requested
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

/** Runs `sql` and returns the whole result as an Arrow Table (RecordBatches of 64k rows and growing, see nextBatchTarget). */
export async function queryToArrowTable(conn: DuckDBConnection, sql: string): Promise<Table> {
  const stream = await openExport(conn, sql);
  const batches: RecordBatch[] = [];
  for await (const batch of stream.batches()) batches.push(batch);
  return batches.length > 0 ? new Table(batches) : new Table(stream.schema);
}
