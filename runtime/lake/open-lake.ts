/**
 * The lake a project names: a local folder, or `s3://bucket/prefix` with the project's `s3:`
 * settings (credentials come from the SDK's usual chain: env, profile, instance role).
 */
import path from "node:path";
import { Lake } from "./lake.js";
import { LocalLakeStorage } from "./local-storage.js";
import { S3LakeStorage } from "./s3-storage.js";
import { ScanCache } from "./scan-cache/scan-cache.js";
import type { LakeStorage } from "./storage.js";

/** bp_project.yml's `s3:` block (see compiler/project-config.ts). */
export interface S3LakeSettings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly force_path_style?: boolean;
  readonly conditional_writes?: "auto" | "required" | "host-lock";
  readonly cache_dir?: string;
  readonly cache_max_size?: string;
}

export interface LakeSettings {
  /** A folder (relative to `baseDir`) or `s3://bucket/prefix`. */
  readonly lake: string;
  readonly s3?: S3LakeSettings;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `10GB`, `500MiB`, `1024` -> bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? "").toLowerCase() || "b"];
  if (m === null || unit === undefined) throw new Error(`invalid size ${JSON.stringify(text)} (expected e.g. 10GB or 500MiB)`);
  return Math.floor(Number(m[1]) * unit);
}

export const isS3Lake = (lake: string): boolean => lake.startsWith("s3://");

/** The scan cache of these settings (also what `bp cache ls|clean` works on). */
export function scanCacheFor(settings: LakeSettings, baseDir: string): ScanCache {
  const s3 = settings.s3 ?? {};
  return new ScanCache({
    ...(s3.cache_dir === undefined ? {} : { dir: path.resolve(baseDir, s3.cache_dir) }),
    ...(s3.cache_max_size === undefined ? {} : { maxBytes: parseSize(s3.cache_max_size) }),
  });
}

export function openLakeStorage(settings: LakeSettings, baseDir: string): LakeStorage {
  if (!isS3Lake(settings.lake)) return new LocalLakeStorage(path.resolve(baseDir, settings.lake));
  const s3 = settings.s3 ?? {};
  return new S3LakeStorage({
    url: settings.lake,
    ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
    ...(s3.region === undefined ? {} : { region: s3.region }),
    ...(s3.force_path_style === undefined ? {} : { forcePathStyle: s3.force_path_style }),
    ...(s3.conditional_writes === undefined ? {} : { conditionalWrites: s3.conditional_writes }),
    scanCache: scanCacheFor(settings, baseDir),
  });
}

/** `Lake.open` for a project's settings: local folder or S3. Creates nothing until the first write. */
export function openLake(settings: LakeSettings, baseDir: string): Lake {
  return new Lake(openLakeStorage(settings, baseDir));
}
