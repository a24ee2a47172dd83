/**
 * Writing the store safely: files and folders are made under a temporary name and renamed into
 * place (a killed install never leaves a half entry), and an install lock per store entry keeps two
 * bp processes from fetching the same package at once (the second waits, then finds it there).
 */
import { watch } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";

/** Writes `text` to `file` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Renames the complete folder `tmp` to `dir`. When another process put `dir` there first, that one
 * wins and `tmp` is removed (both hold the same content). Returns whether ours was placed.
 */
export async function placeDir(tmp: string, dir: string): Promise<boolean> {
  try {
    await rename(tmp, dir);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await rm(tmp, { recursive: true, force: true });
    if (code === "EEXIST" || code === "ENOTEMPTY" || code === "EPERM") {
      if (await exists(dir)) return false;
    }
    throw err;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** A lock older than this is taken over whoever holds it (an install never takes that long). */
const STALE_LOCK_MS = 10 * 60_000;
/** How long to wait for a change of a lock before checking it again (a holder on another machine writes none). */
const RECHECK_MS = 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file's holder is gone (dead pid on this host) or it is older than STALE_LOCK_MS. */
async function isStale(file: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    const [host, pid] = text.split(" ");
    if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
    return host === hostTag() && !alive(Number(pid));
  } catch {
    return false; // gone meanwhile (or half written): try again
  }
}

function hostTag(): string {
  return os.hostname().replace(/\s/g, "_");
}

/** Resolves when `file` changes or disappears (fs.watch on its folder), or after RECHECK_MS. */
function lockChanged(file: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const name = path.basename(file);
    let watcher: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, RECHECK_MS);
    try {
      watcher = watch(path.dirname(file), (_event, changed) => {
        if (changed === null || changed === name) done();
      });
      watcher.on("error", done);
    } catch {
      // no watching here: the timer re-checks
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Runs `fn` holding the lock file `file` (created exclusively; removed afterwards). */
export async function withLock<T>(file: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${hostTag()} ${process.pid}`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await isStale(file)) {
      await rm(file, { force: true });
      continue;
    }
    await lockChanged(file, signal);
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
