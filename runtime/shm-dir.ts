/**
 * The run's shared-memory folder: Arrow IPC files exchanged between DuckDB and TS processes.
 * /dev/shm when it is a writable tmpfs, else the OS temp folder (said in the run-start event).
 * Removed when the run ends, on success, failure or Ctrl-C.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface ShmDir {
  readonly path: string;
  /** True when /dev/shm was not usable and a disk-backed temp folder is used instead. */
  readonly fallback: boolean;
  remove(): void;
}

export function createShmDir(runId: string, preferred = process.env.BP_SHM_DIR ?? "/dev/shm"): ShmDir {
  let base = preferred;
  let fallback = false;
  try {
    accessSync(base, constants.W_OK);
  } catch {
    base = os.tmpdir();
    fallback = true;
  }
  let dir: string;
  try {
    dir = mkdtempSync(path.join(base, `bp-${runId}-`));
  } catch {
    base = os.tmpdir();
    fallback = true;
    mkdirSync(base, { recursive: true });
    dir = mkdtempSync(path.join(base, `bp-${runId}-`));
  }
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  return { path: dir, fallback, remove };
}
