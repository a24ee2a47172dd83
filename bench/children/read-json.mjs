// Child of the child-read case: reads a JSON-lines file of the edge rows ({"id", "usd", "country",
// "ts": "2023-01-01 12:34:56.123456"} per line, as DuckDB's COPY ... (FORMAT json) writes it),
// builds an apache-arrow Table (BIGINT, DOUBLE, VARCHAR, TIMESTAMP[us]) and sums `usd`; prints
// {readSeconds, rows, columns, sum}. Written for speed the way a careful JS author would: one
// JSON.parse per ~16 MiB block of lines (a string of the whole file would pass V8's string length
// limit at 10M rows), the columns filled straight into typed arrays (64-bit integers as two 32-bit
// halves, strings encoded into one UTF-8 buffer), no per-value BigInt.
import { readFileSync } from "node:fs";
import { Int64, makeData, makeVector, Table, TimestampMicrosecond, Utf8 } from "apache-arrow";
import { sumColumn } from "./sum.mjs";

const BLOCK = 16 << 20;

/** A growable column of 64-bit integers given as JS numbers (exact below 2^53). */
class Int64Column {
  words = new Int32Array(2 * 1024);
  length = 0;
  push(x) {
    if (2 * this.length === this.words.length) {
      const w = new Int32Array(this.words.length * 2);
      w.set(this.words);
      this.words = w;
    }
    const hi = Math.floor(x / 4294967296);
    this.words[2 * this.length] = x - hi * 4294967296; // low word (wraps to the signed range)
    this.words[2 * this.length + 1] = hi;
    this.length++;
  }
  values() {
    return new BigInt64Array(this.words.buffer, 0, this.length);
  }
}

/** A growable Utf8 column: offsets and one byte buffer. */
class Utf8Column {
  bytes = new Uint8Array(1 << 20);
  offsets = [0];
  end = 0;
  encoder = new TextEncoder();
  push(s) {
    if (this.end + 3 * s.length > this.bytes.length) {
      const b = new Uint8Array(Math.max(2 * this.bytes.length, this.end + 3 * s.length));
      b.set(this.bytes.subarray(0, this.end));
      this.bytes = b;
    }
    this.end += this.encoder.encodeInto(s, this.bytes.subarray(this.end)).written;
    this.offsets.push(this.end);
  }
}

/** "2023-01-01 12:34:56[.123456]" (UTC) -> microseconds since the epoch, as a number. */
function micros(ts) {
  const ms = Date.parse(`${ts.slice(0, 19).replace(" ", "T")}Z`);
  return ms * 1000 + (ts.length > 20 ? Number(ts.slice(20).padEnd(6, "0")) : 0);
}

const file = process.argv[2];
const t0 = performance.now();
const buf = readFileSync(file);
const id = new Int64Column();
const usd = [];
const country = new Utf8Column();
const ts = new Int64Column();
for (let start = 0; start < buf.length; ) {
  let end = Math.min(buf.length, start + BLOCK);
  if (end < buf.length) end = buf.indexOf(10, end) + 1 || buf.length; // through the next newline
  const lines = buf.toString("utf8", start, end).trimEnd();
  start = end;
  if (lines === "") continue;
  for (const r of JSON.parse(`[${lines.replaceAll("\n", ",")}]`)) {
    id.push(r.id);
    usd.push(r.usd);
    country.push(r.country);
    ts.push(micros(r.ts));
  }
}
const n = id.length;
const table = new Table({
  id: makeVector(makeData({ type: new Int64(), length: n, data: id.values() })),
  usd: makeVector(Float64Array.from(usd)),
  country: makeVector(makeData({ type: new Utf8(), length: n, valueOffsets: Int32Array.from(country.offsets), data: country.bytes.subarray(0, country.end) })),
  ts: makeVector(makeData({ type: new TimestampMicrosecond(), length: n, data: ts.values() })),
});
const sum = sumColumn(table.getChild("usd"));
const readSeconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ readSeconds, rows: table.numRows, columns: table.numCols, sum })}\n`);
