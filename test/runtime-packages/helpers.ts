/**
 * Fixtures for the package-environment tests: a temp package store per test file (BP_PACKAGE_STORE,
 * set for this process and handed to the CLI), an unreachable registry for "offline" runs, and a
 * digest of the store to prove nothing was fetched or changed.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A registry nobody answers at (connection refused at once): a run that needs the network fails. */
export const UNREACHABLE_REGISTRY = "http://127.0.0.1:9/";

export interface TempStore {
  readonly root: string;
  /** Env vars for a CLI run on this store (`offline`: with an unreachable registry). */
  env(offline?: boolean): Record<string, string>;
  dispose(): void;
}

export function tempStore(): TempStore {
  const root = mkdtempSync(path.join(os.tmpdir(), "bp-pkg-store-"));
  process.env["BP_PACKAGE_STORE"] = root;
  return {
    root,
    env: (offline = false) => ({ BP_PACKAGE_STORE: root, ...(offline ? { npm_config_registry: UNREACHABLE_REGISTRY } : {}) }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs `fn` with npm's registry unreachable (for code running in this process). */
export async function offline<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env["npm_config_registry"];
  process.env["npm_config_registry"] = UNREACHABLE_REGISTRY;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env["npm_config_registry"];
    else process.env["npm_config_registry"] = before;
  }
}

/** Store entries (`name@version` folders) in the store. */
export function storeEntries(root: string): string[] {
  try {
    return readdirSync(path.join(root, "store")).sort();
  } catch {
    return [];
  }
}

/** Every path under `dir` with its kind (file size, link target): equal listings mean nothing changed. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const rel = path.relative(dir, p);
      const st = statSync(p, { throwIfNoEntry: false });
      let isLink = false;
      try {
        isLink = readlinkSync(p) !== "";
      } catch {
        // not a link
      }
      if (isLink) out.push(`${rel} -> ${readlinkSync(p)}`);
      else if (st?.isDirectory()) {
        out.push(`${rel}/`);
        walk(p);
      } else out.push(`${rel} ${st?.size}`);
    }
  };
  walk(dir);
  return out;
}
