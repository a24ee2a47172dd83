/**
 * The DuckDB <-> Arrow half of bp's native addon (native/src/duckdb_bridge.c), seen from TS: copies
 * between DuckDB vectors (the externals of @duckdb/node-bindings) and Arrow buffers, one call per
 * vector, with no JS work per value. Used by runtime/arrow; when it is unavailable (addon not
 * built or too old, libduckdb or a symbol not found, the self-check failed) or BP_NO_NATIVE=1,
 * duckdbBridge() returns null and runtime/arrow runs its JS path.
 *
 * The addon does not link DuckDB: duckdbBind(path) finds the libduckdb that @duckdb/node-bindings
 * already loaded into this process (dlopen with RTLD_NOLOAD, then dlsym). This module imports the
 * bindings, so it is only loaded by code that uses DuckDB anyway (not by the TS child).
 */
import { createRequire } from "node:module";
import path from "node:path";
import duckdb from "@duckdb/node-bindings";
import { loadNativeAddon } from "./index.js";

/** Set to "1" to keep the DuckDB <-> Arrow copies in JS (tests and benchmarks); mmap is BP_NO_MMAP. */
export const NO_NATIVE_ENV = "BP_NO_NATIVE";

/** Interface version the addon must report as `duckdbAbi` (BRIDGE_ABI in native/src/duckdb_bridge.c). */
const BRIDGE_ABI = 1;

type Vector = duckdb.Vector;

/**
 * The addon's bridge functions (see native/src/duckdb_bridge.c for the contract). DuckDB -> Arrow
 * ("export") functions write rows [row, row + rows) of Arrow buffers and the Arrow validity
 * `bitmap`, and return the number of NULLs. Arrow -> DuckDB ("import") functions write rows
 * [dst, dst + n) of a vector. Out-of-range arguments throw RangeError; nothing is written then.
 */
export interface DuckDBBridge {
  /** memcpy of `rows` values of `width` bytes into data (bytes [row*width, ...)). */
  exportFixed(vector: Vector, rows: number, bitmap: Uint8Array, row: number, width: number, data: ArrayBufferView): number;
  /** DuckDB BOOLEAN bytes -> Arrow bits at bit `row`. */
  exportBool(vector: Vector, rows: number, bitmap: Uint8Array, row: number, bits: Uint8Array): number;
  /** DECIMAL stored as int16/int32/int64 -> sign-extended little-endian int128 (16 bytes a value). */
  exportDecimal(vector: Vector, rows: number, bitmap: Uint8Array, row: number, width: 2 | 4 | 8, data: ArrayBufferView): number;
  /**
   * VARCHAR/BLOB -> Arrow int32 offsets + bytes, appended after offsets[row]. When `data` is too
   * small nothing is written and the result is -(bytes needed) - 1: grow and call again.
   */
  exportStrings(vector: Vector, rows: number, bitmap: Uint8Array, row: number, offsets: Int32Array, data: Uint8Array): number;
  /**
   * Opens a batch stream over a query result (the bindings' Result handle that DuckDBResult
   * wraps). kinds[c]: 0 fixed-width (widths[c] bytes), 1 BOOLEAN, 2 DECIMAL stored in widths[c]
   * (2/4/8) bytes, 3 VARCHAR/BLOB. Throws TypeError for anything but a bindings Result.
   */
  exportOpen(result: unknown, kinds: Int32Array, widths: Int32Array): unknown;
  /**
   * Fetches chunks of the stream's result and appends them at `row` of the batch buffers, on a
   * worker thread, until the batch has >= target rows, the string columns hold >= maxStringBytes
   * together, a string column's data buffer is too small for the next chunk (kept for the next
   * call) or the result ends. buffers: per column [bitmap, data] ([bitmap, offsets, data] for
   * strings), untouched by JS until the promise settles. status (2 * columns + 1 entries): NULLs
   * added per column; bytes each string column needs (when it stopped for that); flags (1 end,
   * 2 grow a string buffer, 4 maxStringBytes reached). Rejects with DuckDB's error message.
   */
  exportFill(stream: unknown, row: number, target: number, maxStringBytes: number, buffers: ArrayBufferView[], status: Float64Array): Promise<number>;
  /** memcpy of n values of `width` bytes from src (byte srcByteOffset of the view) into the vector. */
  importFixed(vector: Vector, dst: number, n: number, width: number, src: ArrayBufferView, srcByteOffset: number): void;
  /** Arrow bits (from bit srcBit) -> DuckDB BOOLEAN bytes. */
  importBool(vector: Vector, dst: number, n: number, bits: Uint8Array, srcBit: number): void;
  /**
   * Strings into a VARCHAR/BLOB vector: string i is [offsets[first+i], offsets[first+i+1]) for
   * Int32Array/BigInt64Array offsets, [offsets[first+i], ends[first+i]) for Float64Array ones.
   * Rows whose bit dst+i in `validity` is clear are skipped. Long strings (> 12 bytes) are copied
   * into the vector's string heap by duckdb_vector_assign_string_element_len (which stores an
   * ill-formed UTF-8 VARCHAR as NULL: check UTF-8 first); with `borrow` they are not copied: the
   * string_t points into `bytes`, which must stay alive and unchanged until DuckDB has copied the
   * chunk (appended and flushed it), and UTF-8 is not checked at all.
   */
  importStrings(
    vector: Vector,
    dst: number,
    n: number,
    bytes: Uint8Array,
    offsets: Int32Array | BigInt64Array | Float64Array,
    first: number,
    validity: Uint8Array | null,
    ends?: Float64Array,
    borrow?: boolean,
  ): void;
}

interface BridgeAddon extends DuckDBBridge {
  readonly duckdbAbi: number;
  duckdbBind(libPath: string | null): string | null;
}

let state: { bridge: DuckDBBridge | null; reason: string | null; library: string | null } | undefined;

/** The bridge, or null when it is unavailable or BP_NO_NATIVE=1 (see duckdbBridgeUnavailableReason()). */
export function duckdbBridge(): DuckDBBridge | null {
  if (process.env[NO_NATIVE_ENV] === "1") return null;
  return bind().bridge;
}

/** Why duckdbBridge() returns null (null when it does not). */
export function duckdbBridgeUnavailableReason(): string | null {
  if (process.env[NO_NATIVE_ENV] === "1") return `${NO_NATIVE_ENV}=1`;
  return bind().reason;
}

/** The libduckdb file the bridge is bound to (null when unbound). */
export function duckdbBridgeLibrary(): string | null {
  return bind().library;
}

function bind(): { bridge: DuckDBBridge | null; reason: string | null; library: string | null } {
  if (state) return state;
  const { addon, reason } = loadNativeAddon();
  const a = addon as unknown as Partial<BridgeAddon> | null;
  if (a === null) {
    state = { bridge: null, reason: reason ?? "the native addon is unavailable", library: null };
  } else if (typeof a.duckdbBind !== "function" || a.duckdbAbi !== BRIDGE_ABI) {
    state = {
      bridge: null,
      reason: `the native addon has no DuckDB bridge of version ${BRIDGE_ABI} (duckdbAbi ${String(a.duckdbAbi)}); run \`npm run build:native\``,
      library: null,
    };
  } else {
    const library = libduckdbPath();
    const why = a.duckdbBind(library);
    if (why !== null) {
      state = { bridge: null, reason: `DuckDB bridge not bound: ${why}`, library: null };
    } else {
      const bridge = a as BridgeAddon;
      const failed = selfCheck(bridge);
      state = failed === null ? { bridge, reason: null, library } : { bridge: null, reason: `DuckDB bridge self-check failed: ${failed}`, library: null };
    }
  }
  return state;
}

/**
 * The libduckdb beside the bindings' duckdb.node that this process loaded (found in the CommonJS
 * module cache, so musl/glibc variants and nested installs are right), else the platform
 * package's. null when neither is found (the addon then tries the loaded "libduckdb.so" by name).
 */
function libduckdbPath(): string | null {
  const file = process.platform === "darwin" ? "libduckdb.dylib" : process.platform === "win32" ? "duckdb.dll" : "libduckdb.so";
  const require = createRequire(import.meta.url);
  const loaded = Object.keys(require.cache).find((k) => /@duckdb[\\/]node-bindings-[^\\/]+[\\/]duckdb\.node$/.test(k));
  if (loaded) return path.join(path.dirname(loaded), file);
  try {
    const fromBindings = createRequire(require.resolve("@duckdb/node-bindings"));
    return fromBindings.resolve(`@duckdb/node-bindings-${process.platform}-${process.arch}/${file}`);
  } catch {
    return null;
  }
}

/**
 * Writes values with the bindings' own functions and reads them with the bridge, and the other
 * way round, on a scratch data chunk: proves that the externals are the pointers the bridge
 * thinks they are and that both sides see the same DuckDB. Returns what differed, or null.
 */
function selfCheck(b: DuckDBBridge): string | null {
  try {
    const T = duckdb.Type;
    const chunk = duckdb.create_data_chunk([duckdb.create_logical_type(T.BIGINT), duckdb.create_logical_type(T.VARCHAR)]);
    const nums = duckdb.data_chunk_get_vector(chunk, 0);
    const strs = duckdb.data_chunk_get_vector(chunk, 1);

    // numbers + a NULL, written by the bindings, read by the bridge
    const values = new BigInt64Array([0x0102030405060708n, -2n, 3n]);
    duckdb.copy_data_to_vector(nums, 0, values.buffer, 0, values.byteLength);
    duckdb.vector_ensure_validity_writable(nums);
    duckdb.copy_data_to_vector_validity(nums, 0, new Uint8Array([0b101, 0, 0, 0, 0, 0, 0, 0]).buffer, 0, 8);
    const out = new BigInt64Array(3);
    const bitmap = new Uint8Array(1);
    const nulls = b.exportFixed(nums, 3, bitmap, 0, 8, out);
    if (nulls !== 1 || bitmap[0] !== 0b101 || out[0] !== values[0] || out[2] !== values[2]) {
      return `BIGINT read back as [${String(out)}] (${nulls} NULLs, bitmap ${bitmap[0]})`;
    }

    // strings written by the bindings (inline and heap), read by the bridge
    const long = "a string longer than twelve bytes ✓";
    duckdb.vector_assign_string_element(strs, 0, "short");
    duckdb.vector_assign_string_element(strs, 1, long);
    const offsets = new Int32Array(3);
    let data = new Uint8Array(0);
    let r = b.exportStrings(strs, 2, bitmap, 0, offsets, data);
    if (r < 0) {
      data = new Uint8Array(-r - 1);
      r = b.exportStrings(strs, 2, bitmap, 0, offsets, data);
    }
    const text = new TextDecoder().decode(data.subarray(0, offsets[2]));
    if (r !== 0 || offsets[1] !== 5 || text !== `short${long}`) return `VARCHAR read back as ${JSON.stringify(text)}`;

    // a heap string written by the bridge, read by the bindings
    const bytes = new TextEncoder().encode(long);
    b.importStrings(strs, 2, 1, bytes, new Int32Array([0, bytes.length]), 0, null);
    const raw = duckdb.vector_get_data(strs, 3 * 16);
    const len = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(32, true);
    const back = duckdb.get_data_from_pointer(raw.buffer as ArrayBuffer, raw.byteOffset + 32 + 8, len);
    if (len !== bytes.length || Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0) return "a VARCHAR written by the bridge reads back differently";
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
