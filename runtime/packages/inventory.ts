/**
 * What the store holds, and pruning it (for `bp env list|prune`): environments with their packages,
 * size and last use (env.json's mtime, touched by every run that uses the env), store entries and
 * which env reaches them. Sizes are of the files themselves (links are not followed).
 */
import { lstat, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { entryDir, envDir, parseEntryKey, type EnvFile, type PackageVersion, type ResolutionRecord, type StorePaths } from "./store-layout.js";

export interface EnvInfo {
  readonly hash: string;
  readonly dir: string;
  readonly packages: readonly PackageVersion[];
  /** Store entries it reaches (its packages and their dependencies). */
  readonly entries: readonly string[];
  /** Bytes of the store entries it reaches (entries shared with other envs count in each). */
  readonly bytes: number;
  readonly lastUsed: Date;
}

export interface StoreInfo {
  readonly root: string;
  readonly envs: EnvInfo[];
  /** Store entries (`name@version`) with their size. */
  readonly entries: { key: string; bytes: number }[];
  /** Bytes of every store entry. */
  readonly storeBytes: number;
}

/** Bytes of the files under `p` (symlinks count as themselves, never followed). */
async function du(p: string): Promise<number> {
  let info;
  try {
    info = await lstat(p);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.size;
  const names = await readdir(p).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map((n) => du(path.join(p, n))));
  return sizes.reduce((a, b) => a + b, info.size);
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return null;
  }
}

export async function inspectStore(paths: StorePaths): Promise<StoreInfo> {
  const keys = (await readdir(paths.store).catch(() => [] as string[])).filter((k) => parseEntryKey(k) !== null).sort();
  const entries = await Promise.all(keys.map(async (key) => ({ key, bytes: await du(entryDir(paths, key)) })));
  const sizeOf = new Map(entries.map((e) => [e.key, e.bytes]));
  const hashes = await readdir(paths.envs).catch(() => [] as string[]);
  const envs: EnvInfo[] = [];
  for (const hash of hashes.sort()) {
    const dir = envDir(paths, hash);
    const file = path.join(dir, "env.json");
    const env = await readJson<EnvFile>(file);
    if (!env) continue;
    const lastUsed = (await stat(file)).mtime;
    envs.push({ hash, dir, packages: env.packages, entries: env.entries, bytes: env.entries.reduce((n, k) => n + (sizeOf.get(k) ?? 0), 0), lastUsed });
  }
  envs.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  return { root: paths.root, envs, entries, storeBytes: entries.reduce((n, e) => n + e.bytes, 0) };
}

export interface PruneOptions {
  /** Remove envs not used since this time. */
  readonly unusedSince?: Date;
  /** Remove every env whose hash is not in this set (e.g. the envs of the current project's models). */
  readonly keep?: ReadonlySet<string>;
  /** Report what would go, remove nothing. */
  readonly dryRun?: boolean;
  /**
   * Store entries changed more recently than this are kept even when no env reaches them (another
   * bp may be installing them, its env not linked yet). Default 10 minutes.
   */
  readonly entryGraceMs?: number;
}

export interface PruneResult {
  readonly envs: EnvInfo[];
  readonly entries: { key: string; bytes: number }[];
  /** Bytes freed (store entries; env folders hold only links). */
  readonly bytes: number;
}

const LEFTOVER_TMP_MS = 60 * 60_000;

export async function pruneStore(paths: StorePaths, opts: PruneOptions): Promise<PruneResult> {
  const info = await inspectStore(paths);
  const goes = (e: EnvInfo) => (opts.keep !== undefined && !opts.keep.has(e.hash)) || (opts.unusedSince !== undefined && e.lastUsed < opts.unusedSince);
  const removedEnvs = info.envs.filter(goes);
  const reached = new Set(info.envs.filter((e) => !goes(e)).flatMap((e) => e.entries));
  const grace = opts.entryGraceMs ?? 10 * 60_000;
  const now = Date.now();
  const removedEntries: { key: string; bytes: number }[] = [];
  for (const e of info.entries) {
    if (reached.has(e.key)) continue;
    const changed = (await stat(entryDir(paths, e.key)).catch(() => null))?.mtimeMs ?? 0;
    if (now - changed >= grace) removedEntries.push(e);
  }
  if (!opts.dryRun) {
    // Records first (a run then resolves again rather than finding a half-removed env), then envs, then entries.
    const kept = new Set(info.envs.filter((e) => !goes(e)).map((e) => e.hash));
    for (const name of await readdir(paths.resolutions).catch(() => [] as string[])) {
      const record = await readJson<ResolutionRecord>(path.join(paths.resolutions, name));
      if (!record || !kept.has(record.env)) await rm(path.join(paths.resolutions, name), { force: true });
    }
    for (const e of removedEnvs) await rm(e.dir, { recursive: true, force: true });
    for (const e of removedEntries) await rm(entryDir(paths, e.key), { recursive: true, force: true });
    for (const name of await readdir(paths.tmp).catch(() => [] as string[])) {
      const p = path.join(paths.tmp, name);
      const changed = (await stat(p).catch(() => null))?.mtimeMs ?? now;
      if (now - changed >= LEFTOVER_TMP_MS) await rm(p, { recursive: true, force: true });
    }
  }
  return { envs: removedEnvs, entries: removedEntries, bytes: removedEntries.reduce((n, e) => n + e.bytes, 0) };
}
