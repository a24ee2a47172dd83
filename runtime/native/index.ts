/**
 * bp's native addon (native/, built by `npm run build:native`, which `prepare` runs): memory-mapped
 * files as ArrayBuffers, for zero-copy reads of Arrow IPC files. Loaded lazily, at most once; when
 * it is missing, stale or refused (or BP_NO_MMAP=1), callers get null and a reason, and read files
 * the ordinary way.
 *
 *   const { bytes, mode } = readFileBytes("/dev/shm/bp-run/x.arrow");  // mode "mmap" | "read"
 *   const table = tableFromIPC(bytes);   // fixed-width and string columns are views into `bytes`
 *
 * Arrow IPC files of any size (pieces under Node 20's 4 GiB ArrayBuffer limit): ./ipc-file.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { packageRoot } from "../../compiler/package-root.js";

/** Interface version the addon must report (BP_NATIVE_ABI in native/src/bp_native.c). */
const ABI = 2;

/** Set to "1" to never map files (read them with readFileSync): for tests and comparisons. */
export const NO_MMAP_ENV = "BP_NO_MMAP";

/**
 * "shared": PROT_READ + MAP_SHARED, strictly read-only (a write into the buffer kills the process
 * with SIGSEGV). "private": copy-on-write (MAP_PRIVATE): reads share the page cache exactly like
 * "shared"; a write copies only the page written, in this process, and never reaches the file.
 */
export type MapMode = "shared" | "private";

export type Advice = "normal" | "sequential" | "random" | "willneed";

export interface NativeAddon {
  /** Maps the whole file; the ArrayBuffer is unmapped when garbage collected. Empty file -> empty buffer. */
  mapFile(file: string, mode?: MapMode): ArrayBuffer;
  /**
   * Maps bytes [offset, offset + length) of the file: a Uint8Array of exactly those bytes over a
   * mapping that starts at the page holding `offset` (same modes, unmapping and errors as mapFile).
   */
  mapRange(file: string, offset: number, length: number, mode?: MapMode): Uint8Array;
  /** madvise() over a mapped buffer or a view of one. */
  advise(buffer: ArrayBuffer | ArrayBufferView, advice: Advice): void;
  /** True for a buffer (or a view of one) that mapFile or mapRange created. */
  isMapped(buffer: unknown): boolean;
  /**
   * Detaches a mapFile/mapRange buffer (or the buffer of a view): all its views become empty and
   * the mapping is unmapped right away (by the next turn of the event loop) rather than at a later
   * garbage collection. False when `buffer` is not a live mapping.
   */
  release(buffer: ArrayBuffer | ArrayBufferView): boolean;
  readonly abi: number;
}

/** Where the build puts the addon. */
export function addonPath(): string {
  return path.join(packageRoot(), "native", "build", "Release", "bp_native.node");
}

let loaded: { addon: NativeAddon | null; reason: string | null } | undefined;

/**
 * The addon whatever BP_NO_MMAP says (loaded at most once), or null and why. For the addon's other
 * users (the DuckDB <-> Arrow bridge, ./duckdb-bridge.ts), which have their own switch.
 */
export function loadNativeAddon(): { addon: NativeAddon | null; reason: string | null } {
  return load();
}

function load(): { addon: NativeAddon | null; reason: string | null } {
  if (loaded) return loaded;
  const file = addonPath();
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    if (addon.abi !== ABI || typeof addon.mapFile !== "function" || typeof addon.mapRange !== "function") {
      loaded = { addon: null, reason: `${file} is a stale build (abi ${String(addon.abi)}, expected ${ABI}); run \`npm run build:native\`` };
    } else {
      loaded = { addon, reason: null };
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    loaded = {
      addon: null,
      reason:
        e.code === "MODULE_NOT_FOUND"
          ? `the native addon is not built (${file}); run \`npm run build:native\``
          : `the native addon failed to load: ${e.message}`,
    };
  }
  return loaded;
}

/** The addon, or null when it is unavailable or disabled (see nativeUnavailableReason()). */
export function nativeAddon(): NativeAddon | null {
  if (process.env[NO_MMAP_ENV] === "1") return null;
  return load().addon;
}

/** Why nativeAddon() returns null (null when it does not). */
export function nativeUnavailableReason(): string | null {
  if (process.env[NO_MMAP_ENV] === "1") return `${NO_MMAP_ENV}=1`;
  return load().reason;
}

export type ReadMode = "mmap" | "read";

export interface FileBytes {
  /** The file's bytes: a view of the whole mapping ("mmap") or of a fresh Buffer ("read"). */
  readonly bytes: Uint8Array;
  readonly mode: ReadMode;
  /** Why the file was read rather than mapped (absent for "mmap"). */
  readonly reason?: string;
}

/**
 * The bytes of a file, mapped when the addon is available (default copy-on-write, see MapMode),
 * else read with readFileSync. A mapping failure (e.g. a file system that cannot map) falls back to
 * reading; an error that reading hits too (missing file, no permission) is thrown as readFileSync's.
 */
export function readFileBytes(file: string, opts: { mapMode?: MapMode } = {}): FileBytes {
  const addon = nativeAddon();
  if (addon === null) {
    return { bytes: readFileSync(file), mode: "read", reason: nativeUnavailableReason() ?? "no native addon" };
  }
  let mapError: unknown;
  try {
    return { bytes: new Uint8Array(addon.mapFile(file, opts.mapMode ?? "private")), mode: "mmap" };
  } catch (err) {
    mapError = err;
  }
  const mapMessage = (mapError as Error).message;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    // Missing file, no permission...: the usual fs error. Otherwise say that mapping failed first.
    const e = err as NodeJS.ErrnoException;
    if (e.code !== (mapError as NodeJS.ErrnoException).code) e.message += ` (mmap failed first: ${mapMessage})`;
    throw e;
  }
  return { bytes, mode: "read", reason: `mmap failed: ${mapMessage}` };
}
