/**
 * The fast path: the env a declared set was recorded to resolve to, found with two small file reads
 * (the resolution record, the env's env.json) and marked used (env.json's mtime is its last use).
 */
import { readFile, utimes } from "node:fs/promises";
import path from "node:path";
import { envDir, recordPath, type EnvFile, type PackageVersion, type ResolutionRecord, type StorePaths } from "./store-layout.js";

export interface RecordedEnv {
  readonly dir: string;
  readonly hash: string;
  readonly resolved: PackageVersion[];
}

export async function recordedEnv(paths: StorePaths, declared: readonly [string, string][], markUsed = true): Promise<RecordedEnv | null> {
  let record: ResolutionRecord;
  try {
    record = JSON.parse(await readFile(recordPath(paths, declared), "utf8")) as ResolutionRecord;
  } catch {
    return null;
  }
  const dir = envDir(paths, record.env);
  const file = path.join(dir, "env.json");
  let env: EnvFile;
  try {
    env = JSON.parse(await readFile(file, "utf8")) as EnvFile;
  } catch {
    return null; // pruned: resolved again (offline when the store still holds the packages)
  }
  if (markUsed) {
    const now = new Date();
    await utimes(file, now, now).catch(() => {});
  }
  return { dir, hash: env.hash, resolved: [...env.packages] };
}
