/**
 * Which path copies values between DuckDB vectors and Arrow buffers: the native addon's
 * (runtime/native/duckdb-bridge.ts: one C call per vector) when available, else the JS loops of
 * duckdb-to-arrow.ts / arrow-to-duckdb.ts. Chosen once per query export or table load;
 * BP_NO_NATIVE=1 forces JS. Counters say which path ran (tests, benchmarks).
 */
import { duckdbBridge, type DuckDBBridge } from "../native/duckdb-bridge.js";

export { duckdbBridge, duckdbBridgeUnavailableReason, NO_NATIVE_ENV, type DuckDBBridge } from "../native/duckdb-bridge.js";

export type CopyPath = "native" | "js";

/**
 * Values (rows x columns) copied by each path since the process started (or
 * resetBridgeCounters()). Into DuckDB, columns of types that always use JS (DECIMAL(<=18),
 * rescaled times, all-NULL columns: no values) count as "js" or not at all.
 */
export const bridgeCounters = { exportNative: 0, exportJs: 0, importNative: 0, importJs: 0 };

export function resetBridgeCounters(): void {
  bridgeCounters.exportNative = 0;
  bridgeCounters.exportJs = 0;
  bridgeCounters.importNative = 0;
  bridgeCounters.importJs = 0;
}

/** The bridge for one operation (null: use JS), and its name. */
export function chooseBridge(): { bridge: DuckDBBridge | null; path: CopyPath } {
  const bridge = duckdbBridge();
  return { bridge, path: bridge ? "native" : "js" };
}
