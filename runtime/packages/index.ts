/**
 * Per-model package environments. A TS model declares `packages: { name: range }`; its child process
 * imports them from an environment folder assembled from the local content-addressed store (see
 * store-layout.ts for the layout).
 *
 *   const env = await environmentFor({ "simple-statistics": "^7" }, { signal });
 *   env.dir     // envs/<hash>: node_modules/<name> links into the store (the child resolves from it)
 *   env.hash    // sha256 of the resolved tree (declared packages' versions + every entry reached)
 *
 * When a range is resolved (again): a declared set resolves once and its resolution is recorded
 * (resolutions/<hash of the set>.json): later runs reuse it, without the network, as long as the
 * env exists — like a lockfile. A set resolves anew when it changes (any name or range; only that
 * set) or when `bp env prune` removed its env; resolving prefers versions already in the store
 * (a stored version that satisfies the range wins over a newer one on the registry), so the
 * registry is asked only for ranges nothing in the store satisfies, and for dist-tags ("latest").
 * To move to a newer version, change the range (e.g. pin it).
 *
 * A model without packages gets EMPTY_ENV at once (no disk access, nothing loaded). This module
 * stays light: npm's libraries load only when something must be fetched.
 */
import { recordedEnv } from "./recorded-env.js";
import { canonicalDeclared, declaredHash, envHash, storePaths, type PackageVersion } from "./store-layout.js";

export { PackageInstallError } from "./errors.js";
export type { PackageVersion } from "./store-layout.js";

export interface PackageEnv {
  /** The environment folder (its node_modules holds the declared packages); "" for EMPTY_ENV. */
  readonly dir: string;
  /** sha256 of the resolved tree: equal hashes mean the same package versions all the way down. */
  readonly hash: string;
  /** The declared packages with the versions they resolved to, by name. */
  readonly resolved: readonly PackageVersion[];
}

/** The environment of a model without packages. */
export const EMPTY_ENV: PackageEnv = Object.freeze({ dir: "", hash: envHash([], []), resolved: Object.freeze([]) as readonly PackageVersion[] });

export interface EnvironmentOptions {
  /** Cancels resolving and fetching (the result then rejects). */
  readonly signal?: AbortSignal;
  /** Where npm's configuration (.npmrc) is read when the registry must be asked; default the cwd. */
  readonly cwd?: string;
}

/** Environments being assembled in this process, by store and declared set (two models, one set: one install). */
const pending = new Map<string, Promise<PackageEnv>>();

export function environmentFor(packages: Readonly<Record<string, string>>, options: EnvironmentOptions = {}): Promise<PackageEnv> {
  if (Object.keys(packages).length === 0) return Promise.resolve(EMPTY_ENV);
  const paths = storePaths();
  const declared = canonicalDeclared(packages);
  const key = `${paths.root}\0${declaredHash(declared)}`;
  let env = pending.get(key);
  if (!env) {
    env = (async (): Promise<PackageEnv> => {
      const found = await recordedEnv(paths, declared);
      if (found) return found;
      const { assembleEnv } = await import("./assemble.js");
      const { dir, hash, resolved } = await assembleEnv(paths, declared, options);
      return { dir, hash, resolved };
    })();
    pending.set(key, env);
    void env.then(
      () => pending.delete(key),
      () => pending.delete(key),
    );
  }
  return abortable(env, options.signal);
}

/** `p`, or a rejection as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The env hash a declared set is recorded to resolve to, without assembling anything (null: none yet). */
export async function recordedEnvHash(packages: Readonly<Record<string, string>>): Promise<string | null> {
  if (Object.keys(packages).length === 0) return EMPTY_ENV.hash;
  return (await recordedEnv(storePaths(), canonicalDeclared(packages), false))?.hash ?? null;
}
