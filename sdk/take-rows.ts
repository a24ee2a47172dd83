/**
 * `takeRows(table, rows)`: the rows of an Arrow table at the given positions, as a new table with
 * the same schema, copied buffer to buffer (fixed-width values, bits, string bytes). No JS value is
 * created per cell, so filtering a 10M-row input costs a few copies, not 10M strings:
 *
 *   const keep = new Uint32Array(data.numRows); let n = 0;
 *   for (let i = 0; i < data.numRows; i++) if (usd[i] > 100) keep[n++] = i;
 *   return takeRows(data, keep.subarray(0, n));
 *
 * Positions may repeat and come in any order (ascending is fastest). Nested types (lists, structs,
 * maps, unions) and view types are refused with a clear error.
 */
import { Data, DataType, makeData, RecordBatch, Struct, Table, Type, type Vector } from "apache-arrow";

type AnyData = Data<DataType>;

/** Maps a table-wide row number to (chunk, row within it); fastest for ascending positions. */
class RowLocator {
  private readonly starts: number[] = [0];
  private chunk = 0;
  constructor(chunks: readonly AnyData[]) {
    for (const c of chunks) this.starts.push(this.starts[this.starts.length - 1]! + c.length);
  }
  get total(): number {
    return this.starts[this.starts.length - 1]!;
  }
  /** Sets `chunk` for row `row` and returns the row within that chunk. */
  locate(row: number): number {
    const s = this.starts;
    if (row < s[this.chunk]! || row >= s[this.chunk + 1]!) {
      let lo = 0;
      let hi = s.length - 2;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (s[mid]! <= row) lo = mid;
        else hi = mid - 1;
      }
      this.chunk = lo;
    }
    return row - s[this.chunk]!;
  }
  get current(): number {
    return this.chunk;
  }
}

function checkPositions(rows: ArrayLike<number>, total: number): void {
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= total) {
      throw new RangeError(`takeRows: position ${r} (at index ${k}) is not a row of a ${total}-row table`);
    }
  }
}

/** Validity of the taken rows, or undefined when none is NULL. */
function takeValidity(chunks: readonly AnyData[], rows: ArrayLike<number>): { nullBitmap?: Uint8Array; nullCount: number } {
  if (chunks.every((c) => c.nullCount === 0)) return { nullCount: 0 };
  const loc = new RowLocator(chunks);
  const bitmap = new Uint8Array(Math.ceil(rows.length / 8));
  let nullCount = 0;
  for (let k = 0; k < rows.length; k++) {
    const local = loc.locate(rows[k]!);
    if (chunks[loc.current]!.getValid(local)) bitmap[k >> 3]! |= 1 << (k & 7);
    else nullCount++;
  }
  return nullCount === 0 ? { nullCount: 0 } : { nullBitmap: bitmap, nullCount };
}

function takeFixed(chunks: readonly AnyData[], rows: ArrayLike<number>, stride: number) {
  const loc = new RowLocator(chunks);
  const Ctor = (chunks[0]?.values ?? new Uint8Array(0)).constructor as { new (n: number): ArrayLike<number | bigint> & { [i: number]: number | bigint } };
  const out = new Ctor(rows.length * stride);
  for (let k = 0; k < rows.length; k++) {
    const local = loc.locate(rows[k]!);
    const values = chunks[loc.current]!.values as ArrayLike<number | bigint>;
    if (stride === 1) out[k] = values[local]!;
    else for (let j = 0; j < stride; j++) out[k * stride + j] = values[local * stride + j]!;
  }
  return out;
}

function takeBits(chunks: readonly AnyData[], rows: ArrayLike<number>): Uint8Array {
  const loc = new RowLocator(chunks);
  const out = new Uint8Array(Math.ceil(rows.length / 8));
  for (let k = 0; k < rows.length; k++) {
    const local = loc.locate(rows[k]!);
    const c = chunks[loc.current]!;
    const bit = c.offset + local;
    if ((c.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) out[k >> 3]! |= 1 << (k & 7);
  }
  return out;
}

/** Utf8/Binary (int32 offsets) and LargeUtf8/LargeBinary (int64 offsets): byte ranges copied. */
function takeVariable(chunks: readonly AnyData[], rows: ArrayLike<number>, large: boolean) {
  const loc = new RowLocator(chunks);
  const start = (c: AnyData, i: number): number => Number((c.valueOffsets as ArrayLike<number | bigint>)[i]!);
  let bytes = 0;
  for (let k = 0; k < rows.length; k++) {
    const local = loc.locate(rows[k]!);
    const c = chunks[loc.current]!;
    bytes += start(c, local + 1) - start(c, local);
  }
  if (!large && bytes > 0x7fffffff) throw new RangeError(`takeRows: ${bytes} bytes of strings exceed a 32-bit-offset column`);
  const data = new Uint8Array(bytes);
  const offsets = large ? new BigInt64Array(rows.length + 1) : new Int32Array(rows.length + 1);
  let pos = 0;
  for (let k = 0; k < rows.length; k++) {
    const local = loc.locate(rows[k]!);
    const c = chunks[loc.current]!;
    const a = start(c, local);
    const b = start(c, local + 1);
    const src = c.values as Uint8Array;
    if (b - a > 64) data.set(src.subarray(a, b), pos);
    else for (let j = a, p = pos; j < b; j++, p++) data[p] = src[j]!;
    pos += b - a;
    if (large) (offsets as BigInt64Array)[k + 1] = BigInt(pos);
    else (offsets as Int32Array)[k + 1] = pos;
  }
  return { data, valueOffsets: offsets };
}

function takeColumn(name: string, type: DataType, chunks: readonly AnyData[], rows: ArrayLike<number>): AnyData {
  const length = rows.length;
  if (type.typeId === Type.Null) return makeData({ type, length, nullCount: length } as never);
  const validity = takeValidity(chunks, rows);
  const base = { type, length, ...validity };
  switch (type.typeId) {
    case Type.Bool:
      return makeData({ ...base, data: takeBits(chunks, rows) } as never);
    case Type.Utf8:
    case Type.Binary:
      return makeData({ ...base, ...takeVariable(chunks, rows, false) } as never);
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return makeData({ ...base, ...takeVariable(chunks, rows, true) } as never);
    case Type.Dictionary: {
      const dictionary = chunks[0]?.dictionary;
      if (chunks.some((c) => c.dictionary !== dictionary)) {
        throw new TypeError(`takeRows: column "${name}" has a different dictionary per batch; decode it first`);
      }
      return makeData({ ...base, data: takeFixed(chunks, rows, 1), dictionary: dictionary as Vector } as never);
    }
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary:
      return makeData({ ...base, data: takeFixed(chunks, rows, chunks[0]?.stride ?? 1) } as never);
    default:
      throw new TypeError(`takeRows: column "${name}" has type ${String(type)}, which takeRows does not copy (nested and view types are not supported)`);
  }
}

/** The rows of `table` at `rows` (table-wide positions), in that order, as a one-batch Table. */
export function takeRows(table: Table, rows: ArrayLike<number>): Table {
  checkPositions(rows, table.numRows);
  const fields = table.schema.fields;
  const children = fields.map((field, c) =>
    takeColumn(field.name, field.type, table.batches.map((b) => b.data.children[c] as AnyData), rows),
  );
  const struct = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
  return new Table([new RecordBatch(table.schema, struct)]);
}
