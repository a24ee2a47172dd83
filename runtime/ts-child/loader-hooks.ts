/**
 * Module customization hooks of a TS model's child process (registered by register-hooks.ts).
 *
 * resolve:
 *  - `bauplan-ts` -> the bp package's built SDK (dist/sdk/index.js);
 *  - `apache-arrow` and `apache-arrow/...` -> resolved from the bp package root, so the model gets the
 *    very module instance the child (and the runtime) use: tables cross without conversion, and a
 *    project needs neither package installed;
 *  - anything else resolves normally from the importing file; when that fails for a relative import
 *    made by a .ts file, the TypeScript spellings are tried: `./x.js` -> `./x.ts`, `./x` -> `./x.ts`
 *    or `./x/index.ts` (.mjs -> .mts, .cjs -> .cts).
 * load:
 *  - `.ts`/`.mts`/`.cts` files are transpiled with esbuild (types stripped, ESM out, inline source map
 *    naming the real path, so `--enable-source-maps` stack traces show the user's TS lines).
 *    All three are loaded as ES modules (a .cts file cannot use `require`).
 * initialize({ preload }): the model file is transpiled at once, while the child waits for its job;
 *    load() uses that output when the file still has the same text. esbuild is loaded only when a
 *    file needs transpiling.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { InitializeHook, LoadHook, ResolveHook } from "node:module";
import { packageRoot } from "../../compiler/package-root.js";

const root = packageRoot();
const sdkUrl = pathToFileURL(path.join(root, "dist", "sdk", "index.js")).href;
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

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (specifier === "bauplan-ts") return { url: sdkUrl, format: "module", shortCircuit: true };
  if (specifier === "apache-arrow" || specifier.startsWith("apache-arrow/")) {
    return nextResolve(specifier, { ...context, parentURL: rootParentUrl });
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
}

/** Transpiled ahead, by file: the text it was made from and the output (or the failure). */
const ahead = new Map<string, Promise<{ source: string; code: string }>>();

export const initialize: InitializeHook<HooksData | undefined> = (data) => {
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
