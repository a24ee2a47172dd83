/**
 * bp cache ls|clean: the project's local caches.
 * - outputs: model outputs kept by cache key (runtime/output-cache/), `.bp/cache/outputs/`;
 * - scans: the columnar scan cache of an S3 lake (footers and column chunks of remote data files,
 *   runtime/lake/scan-cache/).
 * `--outputs` or `--scans` picks one; both by default.
 */
import { scanCacheFor } from "../../runtime/lake/open-lake.js";
import { projectOutputCache } from "../../runtime/output-cache/store.js";
import { createOut, formatBytes, textTable } from "../console.js";
import { openProject } from "../project.js";

export interface CacheCommandOptions {
  projectDir: string;
  json?: boolean;
  outputs?: boolean;
  scans?: boolean;
}

function which(opts: CacheCommandOptions): { outputs: boolean; scans: boolean } {
  const none = !opts.outputs && !opts.scans;
  return { outputs: none || !!opts.outputs, scans: none || !!opts.scans };
}

export async function cacheLsCommand(opts: CacheCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const want = which(opts);
  const result: Record<string, unknown> = {};
  if (want.outputs) {
    const cache = projectOutputCache(project.dir);
    const entries = cache.list();
    const total = entries.reduce((n, e) => n + e.meta.bytes, 0);
    result.outputs = {
      dir: cache.dir,
      maxBytes: cache.maxBytes,
      bytes: total,
      entries: entries.map((e) => ({ ...e.meta, lastUsed: e.used.toISOString() })),
    };
    if (!opts.json) {
      out.info(`output cache ${cache.dir}: ${formatBytes(total)} of ${formatBytes(cache.maxBytes)} in ${entries.length} output${entries.length === 1 ? "" : "s"}\n`);
      if (entries.length > 0) {
        out.result(
          textTable(
            ["node", "key", "format", "rows", "size", "last used"],
            entries.map((e) => [e.meta.node, e.meta.key.slice(0, 12), e.meta.format, e.meta.rows === null ? "-" : String(e.meta.rows), formatBytes(e.meta.bytes), e.used.toISOString()]),
          ),
        );
        out.info("");
      }
    }
  }
  if (want.scans) {
    const cache = scanCacheFor(project.config, project.dir);
    const objects = await cache.ls();
    const total = objects.reduce((n, o) => n + o.cachedBytes, 0);
    result.scans = { dir: cache.dir, maxBytes: cache.maxBytes, bytes: total, objects: objects.map((o) => ({ ...o, lastUsed: o.lastUsed.toISOString() })) };
    if (!opts.json) {
      out.info(`scan cache ${cache.dir}: ${formatBytes(total)} of ${formatBytes(cache.maxBytes)} in ${objects.length} data file${objects.length === 1 ? "" : "s"}\n`);
      if (objects.length > 0) {
        out.result(
          textTable(
            ["data file", "cached", "of", "complete columns", "last used"],
            objects.map((o) => [o.source, formatBytes(o.cachedBytes), formatBytes(o.size), o.columns.join(", ") || "-", o.lastUsed.toISOString()]),
          ),
        );
      }
    }
  }
  if (opts.json) out.result(JSON.stringify(result, null, 2));
  return 0;
}

export async function cacheCleanCommand(opts: CacheCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const want = which(opts);
  const result: Record<string, unknown> = {};
  if (want.outputs) {
    const cache = projectOutputCache(project.dir);
    const { entries, bytes } = cache.clean();
    result.outputs = { dir: cache.dir, entries, bytes };
    if (!opts.json) out.info(`removed ${entries} cached output${entries === 1 ? "" : "s"} (${formatBytes(bytes)}) from ${cache.dir}`);
  }
  if (want.scans) {
    const cache = scanCacheFor(project.config, project.dir);
    const { objects, bytes } = await cache.clean();
    result.scans = { dir: cache.dir, objects, bytes };
    if (!opts.json) out.info(`removed ${objects} cached data file${objects === 1 ? "" : "s"} (${formatBytes(bytes)}) from ${cache.dir}`);
  }
  if (opts.json) out.result(JSON.stringify(result, null, 2));
  return 0;
}
