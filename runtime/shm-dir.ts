/**
 * The run's shared-memory folder: Arrow IPC files exchanged between DuckDB and TS processes.
 * /dev/shm when it is a writable tmpfs, else the OS temp folder (said in the run-start event).
 * Removed when the run ends, on success, failure or Ctrl-C; folders left by a run whose process
 * was killed outright (its pid is in the folder name) are removed by the next run.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
  removeOrphans(base);
  const prefix = `bp-${process.pid}-${runId}-`;
  let dir: string;
  try {
    dir = mkdtempSync(path.join(base, prefix));
  } catch {
    base = os.tmpdir();
    fallback = true;
    mkdirSync(base, { recursive: true });
    dir = mkdtempSync(path.join(base, prefix));
  }
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  return { path: dir, fallback, remove };
}

/** Removes `bp-<pid>-...` folders whose process no longer exists. */
function removeOrphans(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^bp-(\d+)-\d{8}T\d{6}-[0-9a-f]{6}-/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(path.join(base, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
