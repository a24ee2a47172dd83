/**
 * Module customization hooks of a TS model's child process (registered by register-hooks.ts).
 *
 * resolve:
 *  - `bauplan-ts` -> the bp package's built SDK (dist/sdk/index.js);
 *  - `apache-arrow` and `apache-arrow/...` -> resolved from the bp package root, so the model gets the
 *    very module instance the child (and the runtime) use: tables cross without conversion, and a
 *    project needs neither package installed;
 *  - with a package environment (the job's, via `usePackageEnv`): a bare specifier imported by the
 *    model's own files (any file outside a node_modules folder and bp's dist/) resolves from the environment's
 *    node_modules, and only when its package is among the model's `packages`; otherwise the import
 *    fails naming `packages:`. Node's builtins stay available; packages in the store resolve their
 *    own dependencies normally (each store entry links them beside it);
 *  - anything else resolves normally from the importing file; when that fails for a relative import
 *    made by a .ts file, the TypeScript spellings are tried: `./x.js` -> `./x.ts`, `./x` -> `./x.ts`
 *    or `./x/index.ts` (.mjs -> .mts, .cjs -> .cts).
 * load:
 *  - `.ts`/`.mts`/`.cts` files are transpiled with esbuild (types stripped, ESM out, inline source map
 *    naming the real path, so `--enable-source-maps` stack traces show the user's TS lines).
 *    All three are loaded as ES modules (a .cts file cannot use `require`).
 * initialize({ preload, port }): the package environment arrives on `port`; the model file is transpiled at once, while the child waits for its job;
 *    load() uses that output when the file still has the same text. esbuild is loaded only when a
 *    file needs transpiling.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isBuiltin, type InitializeHook, type LoadHook, type ResolveHook } from "node:module";
import type { MessagePort } from "node:worker_threads";
import type { ChildEnv } from "./protocol.js";
import { packageRoot } from "../../compiler/package-root.js";

const root = packageRoot();
const sdkUrl = pathToFileURL(path.join(root, "dist", "sdk", "index.js")).href;
/** bp's own modules (this hooks thread imports esbuild from here): never under a model's env. */
const distUrl = pathToFileURL(path.join(root, "dist")).href + "/";
/** Parent URL used to resolve apache-arrow "as the bp package would". */
const rootParentUrl = pathToFileURL(path.join(root, "package.json")).href;

const TS_FILE = /\.(?:ts|mts|cts)$/;

function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..";
}

/** TypeScript spellings to try for a relative import that Node could not resolve. */
function tsCandidates(specifier: string): string[] {
  const ext = /\.(js|mjs|cjs)$/.exec(specifier);
  if (ext) {
    const base = specifier.slice(0, -ext[0].length);
    return [base + { js: ".ts", mjs: ".mts", cjs: ".cts" }[ext[1] as "js" | "mjs" | "cjs"]];
  }
  if (TS_FILE.test(specifier)) return [];
  const dir = specifier.endsWith("/") ? specifier.slice(0, -1) : specifier;
  return [`${dir}.ts`, `${dir}/index.ts`];
}

/** The package environment of the job, once it arrived (undefined: resolve as Node does). */
let env: { readonly packages: ReadonlySet<string>; readonly parentUrl: string | null } | undefined;

/** The package a bare specifier names (`lodash/fp` -> lodash, `@s/n/x` -> @s/n), or null when not bare. */
function bareName(specifier: string): string | null {
  if (isRelative(specifier) || specifier.startsWith("/") || specifier.startsWith("#") || /^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier)) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function notDeclared(name: string): Error {
  return Object.assign(
    new Error(
      `cannot import "${name}": it is not among the model's packages. Declare it in the model, e.g. ` +
        `packages: { "${name}": "<version range>" } in model({ ... }) (a TS model imports npm packages only from its own ` +
        `environment; bauplan-ts, apache-arrow and Node's builtins are always available)`,
    ),
    { code: "ERR_MODULE_NOT_FOUND" },
  );
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (specifier === "bauplan-ts") return { url: sdkUrl, format: "module", shortCircuit: true };
  if (specifier === "apache-arrow" || specifier.startsWith("apache-arrow/")) {
    return nextResolve(specifier, { ...context, parentURL: rootParentUrl });
  }
  const importer = context.parentURL ?? "";
  if (env !== undefined && !importer.includes("/node_modules/") && !importer.startsWith(distUrl)) {
    const name = bareName(specifier);
    if (name !== null && !isBuiltin(specifier)) {
      if (!env.packages.has(name) || env.parentUrl === null) throw notDeclared(name);
      return nextResolve(specifier, { ...context, parentURL: env.parentUrl });
    }
  }
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const parent = context.parentURL;
    if (
      (code === "ERR_MODULE_NOT_FOUND" || code === "ERR_UNSUPPORTED_DIR_IMPORT") &&
      isRelative(specifier) &&
      parent !== undefined &&
      parent.startsWith("file:") &&
      TS_FILE.test(fileURLToPath(parent))
    ) {
      for (const candidate of tsCandidates(specifier)) {
        try {
          return await nextResolve(candidate, context);
        } catch {
          // try the next spelling
        }
      }
    }
    throw err;
  }
};

let esbuild: Promise<typeof import("esbuild")> | undefined;

async function transpile(file: string, source: string): Promise<string> {
  const { transform } = await (esbuild ??= import("esbuild"));
  const out = await transform(source, {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    sourcefile: file,
  });
  return out.code;
}

/** Data passed by register-hooks.ts. */
export interface HooksData {
  /** The model file, transpiled ahead of its import. */
  readonly preload?: string;
  /** Where the job's package environment arrives (answered with "ok" once in effect). */
  readonly port?: MessagePort;
}

/** Transpiled ahead, by file: the text it was made from and the output (or the failure). */
const ahead = new Map<string, Promise<{ source: string; code: string }>>();

export const initialize: InitializeHook<HooksData | undefined> = (data) => {
  const port = data?.port;
  if (port) {
    port.on("message", (e: ChildEnv) => {
      // Resolved "from a file in the env folder": Node looks in <dir>/node_modules.
      env = { packages: new Set(e.packages), parentUrl: e.dir === null ? null : pathToFileURL(path.join(e.dir, "env.json")).href };
      port.postMessage("ok");
    });
    port.unref();
  }
  const file = data?.preload;
  if (!file || !TS_FILE.test(file)) return;
  const made = readFile(file, "utf8").then(async (source) => ({ source, code: await transpile(file, source) }));
  made.catch(() => {}); // a failure is reported by the import, from load()
  ahead.set(file, made);
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url.startsWith("file:")) {
    const file = fileURLToPath(url);
    if (TS_FILE.test(file) && !file.endsWith(".d.ts")) {
      const source = await readFile(file, "utf8");
      const early = await ahead.get(file)?.catch(() => undefined);
      ahead.delete(file);
      const code = early?.source === source ? early.code : await transpile(file, source);
      return { format: "module", source: code, shortCircuit: true };
    }
  }
  return nextLoad(url, context);
};
