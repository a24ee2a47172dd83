/**
 * Fixtures for the native addon tests: tables of every type, Arrow IPC files, value comparison,
 * /proc/<pid>/smaps parsing, and a direct spawn of the TS child (to see its raw result message).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  Bool,
  DateDay,
  DateMillisecond,
  Decimal,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampMicrosecond,
  TimestampMillisecond,
  Uint32,
  Uint8,
  Utf8,
  vectorFromArray,
  type Vector,
} from "apache-arrow";
import { distFile } from "../../compiler/package-root.js";
import { JOB_ENV, type ChildJob, type ChildMessage } from "../../runtime/ts-child/protocol.js";

/** A temp folder in /dev/shm (where bp puts its IPC files) when there is one, else in the OS temp dir. */
export function tempDir(prefix: string): { dir: string; dispose(): void } {
  const base = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const dir = mkdtempSync(path.join(base, prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeIpc(file: string, table: Table): number {
  const bytes = tableToIPC(table, "file");
  writeFileSync(file, bytes);
  return bytes.byteLength;
}

const STRINGS = ["plain", "", "caffè", "naïve façade", "日本語のテキスト", "emoji 🦀🚀 mixed", "Ωμέγα", "a\u0000b", "x".repeat(70_000)];

/** A decimal(18, 2) column from bigint unscaled values (null allowed), 128-bit little-endian. */
function decimalVector(unscaled: (bigint | null)[]): Vector {
  const words = new Uint32Array(unscaled.length * 4);
  const valid = new Uint8Array(Math.ceil(unscaled.length / 8));
  unscaled.forEach((v, i) => {
    if (v === null) return;
    valid[i >> 3] |= 1 << (i & 7);
    let x = BigInt.asUintN(128, v);
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  const nulls = unscaled.filter((v) => v === null).length;
  return makeVector(
    makeData({ type: new Decimal(2, 18, 128), length: unscaled.length, nullCount: nulls, nullBitmap: valid, data: words }),
  );
}

/** One record batch of every type bp exchanges, with NULLs in every nullable column. */
export function everyTypeBatch(n: number, seed: number): Table {
  const at = <T>(i: number, v: T): T | null => ((i + seed) % 7 === 3 ? null : v);
  const idx = Array.from({ length: n }, (_, i) => i + seed * n);
  return new Table({
    i8: vectorFromArray(idx.map((i) => at(i, (i % 256) - 128)), new Int8()),
    i16: vectorFromArray(idx.map((i) => at(i, (i % 60000) - 30000)), new Int16()),
    i32: vectorFromArray(idx.map((i) => at(i, i * 7919 - 1_000_000)), new Int32()),
    i64: vectorFromArray(idx.map((i) => at(i, BigInt(i) * 1_000_000_007n - 9_000_000_000_000_000n)), new Int64()),
    u8: vectorFromArray(idx.map((i) => at(i, i % 256)), new Uint8()),
    u32: vectorFromArray(idx.map((i) => at(i, (i * 2654435761) >>> 0)), new Uint32()),
    f32: vectorFromArray(idx.map((i) => at(i, i / 8)), new Float32()),
    f64: vectorFromArray(idx.map((i) => at(i, i === 5 ? Number.NaN : i * 1.000001 - 3.5)), new Float64()),
    bool: vectorFromArray(idx.map((i) => at(i, i % 3 === 0)), new Bool()),
    str: vectorFromArray(idx.map((i) => at(i, `${STRINGS[i % STRINGS.length]}#${i}`)), new Utf8()),
    large_str: vectorFromArray(idx.map((i) => at(i, STRINGS[(i + 3) % STRINGS.length])), new LargeUtf8()),
    dict: vectorFromArray(idx.map((i) => at(i, ["IT", "US", "FR", "日本"][i % 4])), new Dictionary(new Utf8(), new Int32())),
    day: vectorFromArray(idx.map((i) => at(i, new Date(Date.UTC(2023, 0, 1) + i * 86_400_000))), new DateDay()),
    date_ms: vectorFromArray(idx.map((i) => at(i, new Date(Date.UTC(1969, 11, 31) + i * 3_600_000))), new DateMillisecond()),
    ts_ms: vectorFromArray(idx.map((i) => at(i, Date.UTC(2023, 0, 1) + i * 1_234)), new TimestampMillisecond()),
    ts_us: vectorFromArray(idx.map((i) => at(i, Date.UTC(2001, 8, 9) + i)), new TimestampMicrosecond()),
    dec: decimalVector(idx.map((i) => at(i, BigInt(i) * 12_345n - 99_999_999n))),
  });
}

/**
 * Several record batches (of different lengths) of everyTypeBatch, under one schema (every field
 * nullable). The dictionary column is left out: the IPC file format cannot change a dictionary
 * between batches (see dictionaryTable()).
 */
export function everyTypeTable(): Table {
  const parts = [everyTypeBatch(1000, 0), everyTypeBatch(1, 1), everyTypeBatch(4097, 2)].map((t) => t.select(
    t.schema.fields.map((f) => f.name).filter((n) => n !== "dict"),
  ));
  const schema = new Schema(parts[0].schema.fields.map((f) => new Field(f.name, f.type, true)));
  const batches = parts.map((t) => {
    const children = schema.fields.map((f) => t.getChild(f.name)!.data[0]);
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: t.numRows, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

/** One record batch with a dictionary-encoded string column (and its NULLs). */
export function dictionaryTable(): Table {
  return everyTypeBatch(3000, 5).select(["i32", "dict", "str"]);
}

/** A comparable form of one value (bigints, decimals, typed arrays, NaN, Dates kept distinct). */
export function norm(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : `${Object.is(v, -0) ? "-0" : v}`;
  if (v instanceof Date) return `D${v.getTime()}`;
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Uint32Array).join(",")}]`;
  if (typeof v === "object") return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
  return JSON.stringify(v);
}

/** Every value of every column, as strings, column by column. */
export function valuesOf(table: Table): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name)!;
    const vals: string[] = [];
    for (let i = 0; i < col.length; i++) vals.push(norm(col.get(i)));
    out[`${field.name}: ${String(field.type)}`] = vals;
  }
  return out;
}

/** Every buffer of every chunk of every column (dictionaries included), with where it lives. */
export function buffersOf(table: Table): { column: string; kind: string; buffer: ArrayBufferLike; byteLength: number }[] {
  const out: { column: string; kind: string; buffer: ArrayBufferLike; byteLength: number }[] = [];
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name)!;
    for (const data of col.data) {
      const parts: [string, ArrayBufferView | undefined][] = [
        ["values", data.values as ArrayBufferView | undefined],
        ["valueOffsets", data.valueOffsets as ArrayBufferView | undefined],
        ["nullBitmap", data.nullBitmap],
      ];
      for (const d of data.dictionary?.data ?? []) {
        parts.push(["dictionary.values", d.values as ArrayBufferView], ["dictionary.valueOffsets", d.valueOffsets]);
      }
      for (const [kind, view] of parts) {
        if (view && view.byteLength > 0) out.push({ column: field.name, kind, buffer: view.buffer, byteLength: view.byteLength });
      }
    }
  }
  return out;
}

/** A transactions-like table: id BIGINT, usd DOUBLE, country VARCHAR (2 to 24 bytes). */
export function transactionsTable(rows: number): Table {
  const id = new BigInt64Array(rows);
  const usd = new Float64Array(rows);
  const names = ["IT", "US", "FR", "Deutschland", "United Kingdom of GB", "España", "Côte d'Ivoire — Abidjan"];
  const country: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i);
    usd[i] = (i % 1000) / 4;
    country[i] = names[i % names.length];
  }
  return new Table({
    id: makeVector(id),
    usd: makeVector(usd),
    country: vectorFromArray(country, new Utf8()),
  });
}

/** Sum of usd in transactionsTable(rows). */
export function transactionsUsdSum(rows: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) s += (i % 1000) / 4;
  return s;
}

// ---------------------------------------------------------------------------------------------
// /proc accounting

export type MemFields = Record<string, number>; // kB

function parseFields(lines: string[]): MemFields {
  const out: MemFields = {};
  for (const line of lines) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** /proc/<pid>/smaps_rollup as numbers (kB). */
export function parseRollup(text: string): MemFields {
  return parseFields(text.split("\n"));
}

/** Summed fields (kB) of the mappings in a /proc/<pid>/smaps text whose path is `file`. */
export function mappingOf(smaps: string, file: string): MemFields & { mappings: number } {
  const total: MemFields = {};
  let mappings = 0;
  let current: string[] | null = null;
  const flush = () => {
    if (!current) return;
    mappings++;
    for (const [k, v] of Object.entries(parseFields(current))) total[k] = (total[k] ?? 0) + v;
  };
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      flush();
      const parts = line.trim().split(/\s+/);
      current = parts.slice(5).join(" ") === file ? [] : null;
    } else if (current) {
      current.push(line);
    }
  }
  flush();
  return { ...total, mappings };
}

// ---------------------------------------------------------------------------------------------
// The TS child, spawned directly (runTsModel returns only what TsRunResult carries)

export function spawnChild(
  job: ChildJob,
  env: Record<string, string | undefined> = {},
): Promise<{ message: ChildMessage | undefined; code: number | null; stderr: string; stdout: string }> {
  const args = [
    "--max-old-space-size=512",
    "--import",
    pathToFileURL(distFile("runtime/ts-child/register-hooks.js")).href,
    distFile("runtime/ts-child/child-main.js"),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env, [JOB_ENV]: JSON.stringify(job) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    let message: ChildMessage | undefined;
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("message", (m) => (message ??= m as ChildMessage));
    child.on("close", (code) => resolve({ message, code, stderr, stdout }));
  });
}
