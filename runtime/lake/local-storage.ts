/**
 * `LakeStorage` over a local folder.
 *
 * - putIfAbsent: write `<key>.tmp-<random>`, fsync, `link()` it to the key (fails if the key
 *   exists, so nothing is ever overwritten), remove the temp name, fsync the folder.
 * - putIfVersion: take `<key>.lock` (O_EXCL, stale detection by pid), re-read and compare, write
 *   `<key>.tmp`, fsync, rename over the key, fsync the folder, release.
 * Versions are the sha256 of the content.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, promises as fs } from "node:fs";
import path from "node:path";
import { sha256Hex } from "./commit-id.js";
import { acquireLock, type LockOptions } from "./file-lock.js";
import type { LakeStorage, StoredObject } from "./storage.js";

export interface LocalLakeStorageOptions {
  /** How long a compare-and-swap waits for the lock of a ref. */
  readonly lockTimeoutMs?: number;
}

const TEMP_RE = /\.(tmp(-[0-9a-f]+)?|lock(\.stale-[0-9a-f]+)?)$/;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function fsyncDir(dir: string): Promise<void> {
  // Not supported everywhere (Windows); durability of the rename is best effort there.
  let h: fs.FileHandle | null = null;
  try {
    h = await fs.open(dir, "r");
    await h.sync();
  } catch {
    // ignore
  } finally {
    await h?.close().catch(() => undefined);
  }
}

async function writeDurably(file: string, data: Buffer, flag: "w" | "wx"): Promise<void> {
  const h = await fs.open(file, flag);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

export class LocalLakeStorage implements LakeStorage {
  readonly root: string;
  private readonly lock: LockOptions;

  constructor(root: string, options: LocalLakeStorageOptions = {}) {
    this.root = path.resolve(root);
    this.lock = options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs };
  }

  /** Absolute path of a key; refuses keys that would escape the root. */
  pathOf(key: string): string {
    const parts = key.split("/");
    if (key === "" || key.startsWith("/") || key.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new Error(`invalid lake key ${JSON.stringify(key)}`);
    }
    return path.join(this.root, ...parts);
  }

  async read(key: string): Promise<StoredObject | null> {
    try {
      const data = await fs.readFile(this.pathOf(key));
      return { data, version: sha256Hex(data) };
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
      throw e;
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
    await writeDurably(tmp, data, "wx");
    try {
      await fs.link(tmp, file);
    } catch (e) {
      if (errno(e) === "EEXIST") return false;
      throw e;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await fsyncDir(dir);
    return true;
  }

  async putIfVersion(key: string, data: Buffer, expectedVersion: string | null): Promise<boolean> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const held = await acquireLock(`${file}.lock`, this.lock);
    let written = false;
    try {
      const current = await this.read(key);
      if ((current?.version ?? null) !== expectedVersion) return false;
      const tmp = `${file}.tmp`;
      await writeDurably(tmp, data, "w");
      await fs.rename(tmp, file);
      written = true;
      await fsyncDir(dir);
      return true;
    } finally {
      // Once the rename happened the write succeeded; a failing release must not say otherwise
      // (a lock left behind by this live process is reported by the next writer's timeout).
      await held.release().catch((e: unknown) => {
        if (!written) throw e;
      });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf("/");
    const base = slash < 0 ? "" : prefix.slice(0, slash);
    const start = base === "" ? this.root : this.pathOf(base);
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return;
        throw e;
      }
      for (const ent of entries) {
        const key = rel === "" ? ent.name : `${rel}/${ent.name}`;
        if (ent.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix)) {
            await walk(path.join(dir, ent.name), key);
          }
        } else if (ent.isFile() && key.startsWith(prefix) && !TEMP_RE.test(ent.name)) {
          out.push(key);
        }
      }
    };
    await walk(start, base);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async size(key: string): Promise<number | null> {
    try {
      const st = await fs.stat(this.pathOf(key));
      return st.isFile() ? st.size : null;
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
      throw e;
    }
  }

  location(key: string): string {
    return this.pathOf(key);
  }

  prepareWrite(key: string): string {
    const file = this.pathOf(key);
    mkdirSync(path.dirname(file), { recursive: true });
    return file;
  }

  async sync(key: string): Promise<void> {
    const file = this.pathOf(key);
    const h = await fs.open(file, "r");
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    await fsyncDir(path.dirname(file));
  }

  /**
   * Removes the empty folders between `key`'s folder and the root (not the root itself), best
   * effort: used after discarding a data file nobody will reference.
   */
  async pruneEmptyParents(key: string): Promise<void> {
    let dir = path.dirname(this.pathOf(key));
    while (dir.startsWith(this.root + path.sep) && dir !== this.root) {
      try {
        await fs.rmdir(dir);
      } catch {
        return; // not empty (or gone): stop
      }
      dir = path.dirname(dir);
    }
  }
}
