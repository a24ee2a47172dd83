/**
 * An exclusive lock file for local compare-and-swap: created exclusively (hard link of a fully
 * written temp file, which fails if the lock exists, like `O_EXCL`), holder recorded as JSON
 * `{pid, host, token, time}`. A lock whose holder is a dead process on this host is stale and is
 * broken; so is an unreadable lock older than a few seconds (only possible with the O_EXCL
 * fallback, or a hand-made file). A lock held by another host is never broken automatically.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LakeLockedError } from "./errors.js";

export interface LockOptions {
  /** Give up after this long (default 10 s). The lock is normally held for milliseconds. */
  readonly timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
  time: string;
}

const UNREADABLE_STALE_MS = 5_000;

export interface HeldLock {
  release(): Promise<void>;
}

function parseHolder(text: string): Holder | null {
  try {
    const v = JSON.parse(text) as Partial<Holder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string") {
      return { pid: v.pid, host: v.host, token: v.token, time: String(v.time ?? "") };
    }
  } catch {
    // fall through
  }
  return null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Whether the current lock content (read a moment ago) belongs to nobody. */
async function isStale(lockPath: string, content: string): Promise<boolean> {
  const holder = parseHolder(content);
  if (holder === null) {
    const st = await fs.stat(lockPath).catch(() => null);
    return st !== null && Date.now() - st.mtimeMs > UNREADABLE_STALE_MS;
  }
  return holder.host === os.hostname() && !processAlive(holder.pid);
}

/**
 * Removes a stale lock without ever removing a live one: move it aside atomically, check that what
 * was moved is the content judged stale, and put it back (link, which never overwrites) otherwise.
 */
async function breakStale(lockPath: string, staleContent: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString("hex")}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // someone else broke it
    throw e;
  }
  const moved = await readOrNull(aside);
  if (moved !== staleContent) {
    // A live holder re-created the lock between our read and our rename: restore it.
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

function describe(content: string | null): string {
  const h = content === null ? null : parseHolder(content);
  return h ? `pid ${h.pid} on ${h.host} since ${h.time}` : "an unknown process";
}

/**
 * Creates `file` holding `content`, failing (false) if it exists. The content is written to a
 * private temp file first and hard-linked into place, so the lock is never seen empty; where hard
 * links are not supported, falls back to an O_EXCL create then write.
 */
async function createWithContent(file: string, content: string, token: string): Promise<boolean> {
  const tmp = `${file}-${token}.tmp`;
  await fs.writeFile(tmp, content, { flag: "wx" });
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    await handle.writeFile(content, "utf8");
  } finally {
    await handle.close();
  }
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const holder: Holder = {
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(12).toString("hex"),
    time: new Date().toISOString(),
  };
  const content = JSON.stringify(holder);
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    let created: boolean;
    try {
      created = await createWithContent(lockPath, content, holder.token);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      await fs.mkdir(path.dirname(lockPath), { recursive: true });
      continue;
    }
    if (created) {
      return {
        async release() {
          // Only remove the lock if it is still ours.
          if ((await readOrNull(lockPath)) === content) await fs.rm(lockPath, { force: true });
        },
      };
    }
    const current = await readOrNull(lockPath);
    if (current === null) continue; // released meanwhile
    if (await isStale(lockPath, current)) {
      await breakStale(lockPath, current);
      continue;
    }
    if (Date.now() >= deadline) throw new LakeLockedError(lockPath, describe(current));
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}
