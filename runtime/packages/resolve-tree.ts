/**
 * Resolution of a declared set of packages into a dependency tree, prefer-offline:
 *  - a range that a version already in the store satisfies resolves to the highest such version,
 *    without the network (`semver.maxSatisfying`); a stored entry's own dependencies are the ones
 *    linked in it (entry.json), so its whole subtree resolves offline;
 *  - anything else (no stored version fits, a dist-tag like "latest") asks the registry for the
 *    package's packument and picks as npm does (npm-pick-manifest: the `latest` tag when it fits,
 *    else the highest matching version); the new entry's dependencies and optionalDependencies
 *    resolve the same way (an optional one that fails, or does not fit this platform, is left out).
 * Peer dependencies are not linked, and install scripts are not run.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { requireCjs } from "../../compiler/require-cjs.js";
import { npmReason, PackageInstallError } from "./errors.js";
import { pacoteOptions } from "./registry.js";
import { entryDir, entryKey, parseEntryKey, type EntryFile, type PackageVersion, type StorePaths } from "./store-layout.js";

const semver = requireCjs("semver") as typeof import("semver");

/** A package to fetch into the store: where npm says its tarball is, and its resolved dependencies. */
export interface PlannedEntry {
  readonly name: string;
  readonly version: string;
  readonly tarball: string | undefined;
  readonly integrity: string | undefined;
  /** name -> version, filled while resolving. */
  readonly dependencies: Record<string, string>;
}

export interface ResolvedTree {
  /** The declared packages' versions, by name. */
  readonly packages: PackageVersion[];
  /** Every store entry the tree reaches, sorted. */
  readonly entries: string[];
  /** Entries not in the store yet. */
  readonly install: PlannedEntry[];
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bundleDependencies?: string[] | boolean;
  bundledDependencies?: string[] | boolean;
  os?: string[];
  cpu?: string[];
  dist?: { tarball?: string; integrity?: string };
}

/** A packument as pacote returns it (abbreviated metadata). */
type Packument = object;

type PickManifest = (packument: Packument, wanted: string, opts?: object) => Manifest;

/** Whether an npm `os`/`cpu` list admits this value (`["!win32"]` excludes, `["linux"]` includes). */
function platformOk(list: readonly string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((x) => !x.startsWith("!"));
  return positive.length === 0 || positive.includes(value);
}

export class TreeResolver {
  private stored: Promise<Map<string, string[]>> | undefined;
  private readonly planned = new Map<string, PlannedEntry>();
  private readonly reached = new Set<string>();
  private readonly packuments = new Map<string, Promise<Packument>>();
  private options: Promise<Record<string, unknown>> | undefined;
  /** Packages fetched from the registry (packuments): 0 when the tree resolved offline. */
  fetched = 0;

  constructor(
    private readonly paths: StorePaths,
    private readonly signal?: AbortSignal,
    private readonly cwd?: string,
  ) {}

  async resolve(declared: readonly [string, string][]): Promise<ResolvedTree> {
    const versions = await Promise.all(declared.map(([name, range]) => this.visit(name, range, false, undefined)));
    return {
      packages: declared.map(([name], i) => ({ name, version: versions[i]! })),
      entries: [...this.reached].sort(),
      install: [...this.planned.values()],
    };
  }

  /** Resolves name@range and everything below it; the version, or null for a skipped optional one. */
  private async visit(name: string, range: string, optional: boolean, neededBy: string | undefined): Promise<string | null> {
    this.signal?.throwIfAborted();
    let picked: { version: string; manifest?: Manifest };
    try {
      picked = await this.pick(name, range);
      if (optional && picked.manifest && (!platformOk(picked.manifest.os, process.platform) || !platformOk(picked.manifest.cpu, process.arch))) return null;
    } catch (err) {
      if (this.signal?.aborted) throw err;
      if (optional) return null;
      const { code, reason } = npmReason(err);
      throw new PackageInstallError(name, range, code, reason, neededBy);
    }
    const key = entryKey(name, picked.version);
    if (this.reached.has(key)) return picked.version;
    this.reached.add(key);
    const here = `${name}@${picked.version}`;
    if (!picked.manifest) {
      // In the store: its dependencies are the ones linked in it (each an exact version).
      const entry = JSON.parse(await readFile(path.join(entryDir(this.paths, key), "entry.json"), "utf8")) as EntryFile;
      await Promise.all(Object.entries(entry.dependencies).map(([dep, version]) => this.visit(dep, version, false, here)));
      return picked.version;
    }
    const m = picked.manifest;
    const planned: PlannedEntry = { name, version: m.version, tarball: m.dist?.tarball, integrity: m.dist?.integrity, dependencies: {} };
    this.planned.set(key, planned);
    const bundled = new Set(Array.isArray(m.bundleDependencies) ? m.bundleDependencies : Array.isArray(m.bundledDependencies) ? m.bundledDependencies : []);
    const deps = new Map<string, { range: string; optional: boolean }>();
    for (const [dep, r] of Object.entries(m.dependencies ?? {})) deps.set(dep, { range: r, optional: false });
    for (const [dep, r] of Object.entries(m.optionalDependencies ?? {})) deps.set(dep, { range: r, optional: true });
    await Promise.all(
      [...deps].map(async ([dep, d]) => {
        if (bundled.has(dep) || dep === name) return;
        const version = await this.visit(dep, d.range, d.optional, here);
        if (version !== null) planned.dependencies[dep] = version;
      }),
    );
    return m.version;
  }

  /** The version for name@range: a stored or already planned one when it fits, else the registry's pick. */
  private async pick(name: string, range: string): Promise<{ version: string; manifest?: Manifest }> {
    if (semver.validRange(range) !== null) {
      const stored = (await this.storedVersions()).get(name) ?? [];
      const best = semver.maxSatisfying(stored, range);
      if (best !== null) return { version: best };
      const plannedVersions = [...this.planned.values()].filter((p) => p.name === name).map((p) => p.version);
      const inPlan = semver.maxSatisfying(plannedVersions, range);
      if (inPlan !== null) return { version: inPlan, manifest: { name, version: inPlan } };
    } else if (/^[a-z+]+:/i.test(range) || range.includes("/")) {
      throw Object.assign(new Error(`"${range}" is not a registry version range or dist-tag (bp installs packages from the npm registry only)`), { code: "EUNSUPPORTED" });
    }
    const pickManifest = requireCjs("npm-pick-manifest") as PickManifest;
    const manifest = pickManifest(await this.packument(name), range);
    return { version: manifest.version, manifest };
  }

  private packument(name: string): Promise<Packument> {
    let p = this.packuments.get(name);
    if (p === undefined) {
      this.fetched++;
      p = (async () => {
        const pacote = requireCjs("pacote") as typeof import("pacote");
        return pacote.packument(name, await (this.options ??= pacoteOptions(this.signal, this.cwd)));
      })();
      this.packuments.set(name, p);
    }
    return p;
  }

  /** Versions in the store, by package name (read once per resolution). */
  private storedVersions(): Promise<Map<string, string[]>> {
    this.stored ??= readdir(this.paths.store)
      .catch(() => [] as string[])
      .then((keys) => {
        const byName = new Map<string, string[]>();
        for (const key of keys) {
          const p = parseEntryKey(key);
          if (p) byName.set(p.name, [...(byName.get(p.name) ?? []), p.version]);
        }
        return byName;
      });
    return this.stored;
  }
}
