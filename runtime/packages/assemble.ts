/**
 * The slow path of environmentFor (no recorded resolution, or its env is gone): resolve the declared
 * set (prefer-offline, resolve-tree.ts), put the missing entries into the store (concurrently, each
 * atomically under its lock), link the environment folder, and record the resolution so that the
 * next run finds the env with two small file reads.
 */
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import path from "node:path";
import { exists, placeDir, writeFileAtomic } from "./atomic.js";
import { installEntry, linkTo, modulePath } from "./install-entry.js";
import { pacoteOptions } from "./registry.js";
import { TreeResolver } from "./resolve-tree.js";
import { entryDir, entryKey, envDir, envHash, recordPath, type EnvFile, type ResolutionRecord, type StorePaths } from "./store-layout.js";
import type { PackageEnv } from "./index.js";

/** Store entries fetched at once. */
const FETCHES_AT_ONCE = 8;

export async function assembleEnv(
  paths: StorePaths,
  declared: readonly [string, string][],
  opts: { signal?: AbortSignal; cwd?: string },
): Promise<PackageEnv & { fetched: number }> {
  const resolver = new TreeResolver(paths, opts.signal, opts.cwd);
  const tree = await resolver.resolve(declared);
  if (tree.install.length > 0) {
    const options = await pacoteOptions(opts.signal, opts.cwd);
    const queue = [...tree.install];
    const worker = async () => {
      for (let e = queue.shift(); e; e = queue.shift()) await installEntry(paths, e, options, opts.signal);
    };
    await Promise.all(Array.from({ length: Math.min(FETCHES_AT_ONCE, queue.length) }, worker));
  }
  const hash = envHash(tree.packages, tree.entries);
  const dir = envDir(paths, hash);
  if (!(await exists(path.join(dir, "env.json")))) {
    await mkdir(paths.tmp, { recursive: true });
    const tmp = await mkdtemp(path.join(paths.tmp, `env-${hash.slice(0, 12)}-`));
    for (const p of tree.packages) {
      const target = modulePath(entryDir(paths, entryKey(p.name, p.version)), p.name);
      await linkTo(modulePath(tmp, p.name), target, path.dirname(modulePath(dir, p.name)));
    }
    const file: EnvFile = { hash, packages: tree.packages, entries: tree.entries, created: new Date().toISOString() };
    await writeFile(path.join(tmp, "env.json"), `${JSON.stringify(file, null, 2)}\n`);
    await mkdir(paths.envs, { recursive: true });
    await chmod(tmp, 0o755);
    await placeDir(tmp, dir);
  }
  const record: ResolutionRecord = { declared, env: hash, resolvedAt: new Date().toISOString() };
  await writeFileAtomic(recordPath(paths, declared), `${JSON.stringify(record, null, 2)}\n`);
  return { dir, hash, resolved: tree.packages, fetched: resolver.fetched };
}
