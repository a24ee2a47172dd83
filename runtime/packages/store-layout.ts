/**
 * Where the package store lives and how it is laid out (pnpm-like, so Node's own resolver works):
 *
 *   <root>/store/<name>@<version>/node_modules/<name>/     the unpacked package (scope/name: `@s+n@1.0.0`)
 *   <root>/store/<name>@<version>/node_modules/<dep>       symlink -> ../../<dep>@<v>/node_modules/<dep>
 *   <root>/store/<name>@<version>/entry.json               name, version, dependencies (name -> version)
 *   <root>/envs/<hash>/node_modules/<name>                 symlink -> the store entry of a declared package
 *   <root>/envs/<hash>/env.json                            packages, store entries (closure); mtime = last used
 *   <root>/resolutions/<declared hash>.json                a declared set -> its env hash (the recorded resolution)
 *   <root>/tmp/, <root>/locks/                             entries being written, install locks
 *
 * A store entry or env folder exists only complete (written in tmp/, then renamed into place).
 * Root: $BP_PACKAGE_STORE, else ~/.cache/bp/packages.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";

export interface StorePaths {
  readonly root: string;
  readonly store: string;
  readonly envs: string;
  readonly resolutions: string;
  readonly tmp: string;
  readonly locks: string;
}

export function storePaths(root = process.env["BP_PACKAGE_STORE"] || path.join(os.homedir(), ".cache", "bp", "packages")): StorePaths {
  const r = path.resolve(root);
  return {
    root: r,
    store: path.join(r, "store"),
    envs: path.join(r, "envs"),
    resolutions: path.join(r, "resolutions"),
    tmp: path.join(r, "tmp"),
    locks: path.join(r, "locks"),
  };
}

export interface PackageVersion {
  readonly name: string;
  readonly version: string;
}

/** `@scope/name` + `1.2.3` -> `@scope+name@1.2.3` (one folder name). */
export function entryKey(name: string, version: string): string {
  return `${name.replace("/", "+")}@${version}`;
}

/** The inverse of entryKey, or null for a name that is not an entry. */
export function parseEntryKey(key: string): PackageVersion | null {
  const at = key.lastIndexOf("@");
  if (at <= 0) return null;
  return { name: key.slice(0, at).replace("+", "/"), version: key.slice(at + 1) };
}

export function entryDir(paths: StorePaths, key: string): string {
  return path.join(paths.store, key);
}

export function envDir(paths: StorePaths, hash: string): string {
  return path.join(paths.envs, hash);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The declared set in one canonical order (by name). */
export function canonicalDeclared(packages: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(packages)
    .map(([n, r]): [string, string] => [n, r.trim()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Names the recorded resolution of a declared set. */
export function declaredHash(declared: readonly [string, string][]): string {
  return sha256(JSON.stringify(declared));
}

/** The environment's identity: its declared packages' versions and every store entry it reaches. */
export function envHash(packages: readonly PackageVersion[], entries: readonly string[]): string {
  return sha256(JSON.stringify({ packages: packages.map((p) => [p.name, p.version]), entries }));
}

export function recordPath(paths: StorePaths, declared: readonly [string, string][]): string {
  return path.join(paths.resolutions, `${declaredHash(declared)}.json`);
}

/** What env.json holds. */
export interface EnvFile {
  readonly hash: string;
  /** The declared packages with the versions they resolved to, by name. */
  readonly packages: readonly PackageVersion[];
  /** Every store entry the environment reaches (its declared packages and their dependencies), sorted. */
  readonly entries: readonly string[];
  readonly created: string;
}

/** What a store entry's entry.json holds. */
export interface EntryFile {
  readonly name: string;
  readonly version: string;
  /** Dependencies linked in the entry: name -> version (each a store entry). */
  readonly dependencies: Readonly<Record<string, string>>;
}

/** What a resolution record holds. */
export interface ResolutionRecord {
  readonly declared: readonly [string, string][];
  readonly env: string;
  readonly resolvedAt: string;
}
