/**
 * npm's registry and the options bp gives npm's libraries (pacote, npm-pick-manifest). The registry
 * is npm's configured one: `npm_config_registry` in the environment, else `npm config get registry`
 * (run once per process, and only when something must be fetched: it reads the project's, the
 * user's and the global .npmrc), else registry.npmjs.org. Loaded only when the store lacks a package.
 */
import { execFile } from "node:child_process";

const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

let configured: Promise<string> | undefined;

export function npmRegistry(cwd?: string): Promise<string> {
  const fromEnv = process.env["npm_config_registry"] ?? process.env["NPM_CONFIG_REGISTRY"];
  if (fromEnv) return Promise.resolve(fromEnv);
  configured ??= new Promise((resolve) => {
    execFile("npm", ["config", "get", "registry"], { cwd: cwd ?? process.cwd(), timeout: 10_000 }, (err, stdout) => {
      const url = String(stdout ?? "").trim();
      resolve(!err && /^https?:\/\//.test(url) ? url : DEFAULT_REGISTRY);
    });
  });
  return configured;
}

/** pacote's options: the registry, npm's HTTP cache (pacote's default ~/.npm/_cacache), cancellation. */
export async function pacoteOptions(signal?: AbortSignal, cwd?: string): Promise<Record<string, unknown>> {
  return {
    registry: await npmRegistry(cwd),
    fullMetadata: false,
    ...(process.env["npm_config_cache"] ? { cache: `${process.env["npm_config_cache"]}/_cacache` } : {}),
    ...(signal ? { signal } : {}),
  };
}
