/**
 * The run's shared-memory folder: Arrow IPC files exchanged between DuckDB and TS processes.
 * /dev/shm (or $BP_SHM_DIR) when it is writable, else the OS temp folder (said in the run-start
 * event). When shared memory is short for one table, that table goes to a disk-backed folder in the
 * OS temp folder instead (made on first use; still mapped by the children). Both are removed when
 * the run ends, on success, failure or Ctrl-C; folders left by a run whose process was killed
 * outright (its pid is in the folder name) are removed by the next run.
 *
 * Room in shared memory is the folder's free space (statfs) less a small margin, capped by
 * $BP_SHM_LIMIT_BYTES (bytes this run may keep in shared memory at once), less what writers in
 * flight have reserved.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type FileLocation = "shm" | "disk";

/** Where one file is to be written, with its room reserved until `release()`. */
export interface Placement {
  readonly dir: string;
  readonly location: FileLocation;
  /** Usable shared memory when the placement was made (null when /dev/shm was not usable at all). */
  readonly free: number | null;
  release(): void;
}

export interface ShmDir {
  readonly path: string;
  /** True when /dev/shm was not usable and a disk-backed temp folder is used instead. */
  readonly fallback: boolean;
  /** The folder that was asked for: $BP_SHM_DIR or /dev/shm. */
  readonly wanted: string;
  /** $BP_SHM_LIMIT_BYTES, when set. */
  readonly limit: number | null;
  /** Usable bytes left in shared memory now (0 when shared memory is not used at all). */
  free(): number;
  /** Shared memory when `bytes` fit in `free()` (and reserves them), else the disk folder. */
  place(bytes: number): Placement;
  /** The disk-backed folder for tables that do not fit in shared memory (made on first call). */
  diskDir(): string;
  /** True when this run keeps more in shared memory than $BP_SHM_LIMIT_BYTES allows. */
  overLimit(): boolean;
  remove(): void;
}

/** Free space kept in shared memory for everything else on the machine: 5% of it, at most 64 MiB. */
const MAX_MARGIN = 64 * 1024 * 1024;

export function createShmDir(runId: string, preferred = process.env.BP_SHM_DIR ?? "/dev/shm"): ShmDir {
  const limit = parseLimit(process.env.BP_SHM_LIMIT_BYTES);
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
    removeOrphans(base);
    dir = mkdtempSync(path.join(base, prefix));
  }

  let disk: string | null = fallback ? dir : null;
  let reserved = 0;
  const used = () => folderBytes(dir);
  const free = () => {
    if (fallback) return 0;
    let room: number;
    try {
      const s = statfsSync(dir);
      const size = s.blocks * s.bsize;
      room = s.bavail * s.bsize - Math.min(MAX_MARGIN, size * 0.05);
    } catch {
      room = 0;
    }
    if (limit !== null) room = Math.min(room, limit - used());
    return Math.max(0, Math.floor(room - reserved));
  };
  const diskDir = () => {
    if (disk === null) {
      const tmp = os.tmpdir();
      mkdirSync(tmp, { recursive: true });
      removeOrphans(tmp);
      disk = mkdtempSync(path.join(tmp, `${prefix}disk-`));
    }
    return disk;
  };

  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
    if (disk !== null && disk !== dir) rmSync(disk, { recursive: true, force: true });
  };
  return {
    path: dir,
    fallback,
    wanted: preferred,
    limit,
    free,
    diskDir,
    place(bytes: number): Placement {
      if (fallback) return { dir, location: "disk", free: null, release() {} };
      const room = free();
      if (bytes > room) return { dir: diskDir(), location: "disk", free: room, release() {} };
      reserved += bytes;
      let released = false;
      return {
        dir,
        location: "shm",
        free: room,
        release() {
          if (released) return;
          released = true;
          reserved -= bytes;
        },
      };
    },
    overLimit: () => !fallback && limit !== null && used() > limit,
    remove,
  };
}

function parseLimit(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`BP_SHM_LIMIT_BYTES must be a number of bytes, got "${text}"`);
  return Math.floor(n);
}

/** Bytes of the files in `dir` (files being written included). */
function folderBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      total += statSync(path.join(dir, name)).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
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
