/**
 * Puts one package@version into the store: unpacked by pacote (npm's own fetcher: registry tarball,
 * integrity checked, npm's HTTP cache) into a temporary folder with its dependency links and
 * entry.json, then renamed into place, under the entry's install lock. No install scripts run.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { requireCjs } from "../../compiler/require-cjs.js";
import { exists, placeDir, withLock } from "./atomic.js";
import { npmReason, PackageInstallError } from "./errors.js";
import type { PlannedEntry } from "./resolve-tree.js";
import { entryDir, entryKey, type EntryFile, type StorePaths } from "./store-layout.js";

/** Where a package sits inside an entry or env folder: node_modules/<name> (scoped: node_modules/@s/n). */
export function modulePath(folder: string, name: string): string {
  return path.join(folder, "node_modules", ...name.split("/"));
}

/** A relative symlink at `link` to `target` (both absolute), its parent folders made. */
export async function linkTo(link: string, target: string, finalLinkDir = path.dirname(link)): Promise<void> {
  await mkdir(path.dirname(link), { recursive: true });
  await symlink(path.relative(finalLinkDir, target), link, "dir");
}

export async function installEntry(paths: StorePaths, entry: PlannedEntry, options: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
  const key = entryKey(entry.name, entry.version);
  const dir = entryDir(paths, key);
  if (await exists(dir)) return;
  await withLock(
    path.join(paths.locks, `${key}.lock`),
    async () => {
      if (await exists(dir)) return; // another process installed it while this one waited
      await Promise.all([mkdir(paths.tmp, { recursive: true }), mkdir(paths.store, { recursive: true })]);
      const tmp = await mkdtemp(path.join(paths.tmp, `${key}-`));
      try {
        const pacote = requireCjs("pacote") as typeof import("pacote");
        try {
          await pacote.extract(`${entry.name}@${entry.version}`, modulePath(tmp, entry.name), {
            ...options,
            ...(entry.tarball ? { resolved: entry.tarball } : {}),
            ...(entry.integrity ? { integrity: entry.integrity } : {}),
          });
        } catch (err) {
          if (signal?.aborted) throw err;
          const { code, reason } = npmReason(err);
          throw new PackageInstallError(entry.name, entry.version, code, reason);
        }
        for (const [dep, version] of Object.entries(entry.dependencies)) {
          // Linked as it will sit once renamed: store/<key>/node_modules/<dep> -> store/<dep key>/node_modules/<dep>.
          const finalLink = modulePath(dir, dep);
          await linkTo(modulePath(tmp, dep), modulePath(entryDir(paths, entryKey(dep, version)), dep), path.dirname(finalLink));
        }
        const file: EntryFile = { name: entry.name, version: entry.version, dependencies: entry.dependencies };
        await writeFile(path.join(tmp, "entry.json"), `${JSON.stringify(file, null, 2)}\n`);
        await chmod(tmp, 0o755); // mkdtemp made it private
        await placeDir(tmp, dir);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
    signal,
  );
}
