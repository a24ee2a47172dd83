/**
 * bp cache ls|clean: the columnar scan cache of a project's S3 lake (footers and column chunks of
 * remote data files, kept locally; see runtime/lake/scan-cache/).
 */
import { scanCacheFor } from "../../runtime/lake/open-lake.js";
import { createOut, formatBytes, textTable } from "../console.js";
import { openProject } from "../project.js";

export interface CacheCommandOptions {
  projectDir: string;
  json?: boolean;
}

export async function cacheLsCommand(opts: CacheCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const cache = scanCacheFor(project.config, project.dir);
  const objects = await cache.ls();
  const total = objects.reduce((n, o) => n + o.cachedBytes, 0);
  if (opts.json) {
    out.result(JSON.stringify({ dir: cache.dir, maxBytes: cache.maxBytes, bytes: total, objects: objects.map((o) => ({ ...o, lastUsed: o.lastUsed.toISOString() })) }, null, 2));
    return 0;
  }
  out.info(`scan cache ${cache.dir}: ${formatBytes(total)} of ${formatBytes(cache.maxBytes)} in ${objects.length} data file${objects.length === 1 ? "" : "s"}\n`);
  if (objects.length > 0) {
    out.result(
      textTable(
        ["data file", "cached", "of", "complete columns", "last used"],
        objects.map((o) => [o.source, formatBytes(o.cachedBytes), formatBytes(o.size), o.columns.join(", ") || "-", o.lastUsed.toISOString()]),
      ),
    );
  }
  return 0;
}

export async function cacheCleanCommand(opts: CacheCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const cache = scanCacheFor(project.config, project.dir);
  const { objects, bytes } = await cache.clean();
  if (opts.json) out.result(JSON.stringify({ dir: cache.dir, objects, bytes }, null, 2));
  else out.info(`removed ${objects} cached data file${objects === 1 ? "" : "s"} (${formatBytes(bytes)}) from ${cache.dir}`);
  return 0;
}
