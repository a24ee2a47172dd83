/**
 * Loads the TypeScript compiler API (typescript.js, ~9 MB of CommonJS) faster than
 * `import ts from "typescript"`, which took ~0.5 s of a small project's compile:
 * - through require(): an ES module importing a CommonJS package makes Node scan its whole source
 *   for export names first (~0.25 s for typescript.js); a require() does not;
 * - with a V8 code cache (vm.Script cachedData) in a folder set by setTypeScriptCodeCacheDir: V8 then
 *   skips compiling the file. The cache file is named after TypeScript's, V8's and the CPU's
 *   versions; data V8 rejects anyway (other flags) is replaced after the load. A cache that cannot be
 *   read or written is ignored: the load is only slower.
 * This module does not load TypeScript itself, so it can be imported by code that avoids loading it.
 */
import Module, { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { packageVersion, readOptional, writeFileAtomic } from "../project-cache.js";
import { requireCjs } from "../require-cjs.js";

interface CompilingModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

let codeCacheDir: string | undefined;
let loaded: unknown;
/** The compiled script and the file its code cache should go to, when it should be (re)written. */
let pendingCache: { script: vm.Script; file: string } | undefined;

/** Where the V8 code cache of typescript.js is kept (undefined: none); set before the first load. */
export function setTypeScriptCodeCacheDir(dir: string | undefined): void {
  codeCacheDir = dir;
}

/** The `typescript` module (once per process). */
export function loadTypeScript<T>(): T {
  if (loaded !== undefined) return loaded as T;
  const file = requireCjs.resolve("typescript");
  const cacheFile = codeCacheDir === undefined ? undefined : path.join(codeCacheDir, codeCacheName());
  const proto = Module.prototype as unknown as CompilingModule;
  const original = proto._compile;
  // Compile typescript.js (and only it) with the code cache, as Node's own require would otherwise.
  proto._compile = function (this: CompilingModule, content: string, filename: string): unknown {
    if (filename !== file || cacheFile === undefined) return original.call(this, content, filename);
    proto._compile = original;
    const cachedData = readOptional(cacheFile);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected === true) pendingCache = { script, file: cacheFile };
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, path.dirname(filename));
  };
  try {
    loaded = requireCjs(file);
  } finally {
    proto._compile = original;
  }
  return loaded as T;
}

/**
 * Writes the code cache of this load if there was none (or V8 rejected it). Called once TypeScript
 * has done its work, so that the functions compiled lazily while reading models are in it too.
 */
export function saveTypeScriptCodeCache(): void {
  const pending = pendingCache;
  pendingCache = undefined;
  if (pending) writeFileAtomic(pending.file, pending.script.createCachedData());
}

function codeCacheName(): string {
  return `typescript-${packageVersion("typescript")}-v8-${process.versions.v8}-${process.arch}.bin`;
}
