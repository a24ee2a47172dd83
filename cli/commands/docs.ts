/**
 * bp docs generate [--out target/docs] [--json]: the project's documentation as a static site
 * (works from file://, offline); --json prints one object on stdout saying what was written
 * (DocsGenerateJson), or why nothing was, and the human text goes to stderr.
 * bp docs serve [--port N] [--watch]: generates, serves it on 127.0.0.1, and with --watch
 * generates again when a model or bp_project.yml changes. Ctrl-C (SIGINT/SIGTERM) closes the
 * server and the watcher and exits 130, as bp watch does.
 */
import path from "node:path";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { VarValue } from "../../compiler/vars.js";
import { createOut, printDiagnostics, type Out } from "../console.js";
import { generateDocs, type GenerateResult } from "../docs/generate.js";
import { formatBytes } from "../docs/render.js";
import { lakeFailure } from "../lake-errors.js";
import { serveStatic } from "../docs/static-server.js";
import { openProject } from "../project.js";

export interface DocsGenerateOptions {
  projectDir: string;
  var: Record<string, VarValue>;
  out: string;
  json?: boolean;
}

export interface DocsServeOptions extends Omit<DocsGenerateOptions, "json"> {
  port: number;
  watch?: boolean;
}

/** `bp docs generate --json`: the one object printed on stdout. */
export type DocsGenerateJson =
  | ({ readonly ok: true; readonly diagnostics: readonly Diagnostic[] } & Pick<GenerateResult, "outDir" | "counts" | "files" | "bytes" | "graph" | "ms">)
  | { readonly ok: false; readonly error: string; readonly code?: string; readonly diagnostics: readonly Diagnostic[] };

async function generate(opts: DocsGenerateOptions, out: Out): Promise<number> {
  const json = (result: DocsGenerateJson) => {
    if (opts.json) out.result(JSON.stringify(result, null, 2));
  };
  const errors: string[] = [];
  using project = openProject(opts.projectDir, { ...out, error: (text) => (errors.push(text), out.error(text)) });
  if (!project) {
    json({ ok: false, error: errors.join("\n") || `cannot open the project in ${opts.projectDir}`, diagnostics: [] });
    return 1;
  }
  const outDir = path.resolve(project.dir, opts.out);
  let r: GenerateResult;
  try {
    r = await generateDocs({ projectDir: project.dir, outDir, vars: opts.var, lake: project.lake });
  } catch (err) {
    const failure = writeFailure(err, outDir);
    if (!failure) return lakeFailure(out, "docs generate", err, opts.json);
    json({ ok: false, error: failure.message, code: failure.code, diagnostics: [] });
    out.error(`bp docs generate: ${failure.message}`);
    return 1;
  }
  printDiagnostics(out, r.diagnostics, r.sourceFiles);
  if (!r.ok) {
    const errorCount = r.diagnostics.filter((d) => d.severity === "error").length;
    json({ ok: false, error: `the project does not compile (${errorCount} error${errorCount === 1 ? "" : "s"}): nothing was written`, diagnostics: r.diagnostics });
    return 1;
  }
  json({ ok: true, outDir: r.outDir, counts: r.counts, files: r.files, bytes: r.bytes, graph: r.graph, ms: r.ms, diagnostics: r.diagnostics });
  const where = path.relative(process.cwd(), outDir) || outDir;
  const layout = r.graph.layout === "generate-time" ? "" : ": per focus, in the browser";
  out.info(`wrote ${r.counts.pages} pages (${r.files} files, ${formatBytes(r.bytes)}) to ${where} in ${r.ms.total} ms (compile ${r.ms.compile}, layout ${r.ms.layout}${layout}, render ${r.ms.render}); open ${path.join(where, "index.html")}`);
  return 0;
}

/** A file system error while writing the site (no permission, disk full...): the user's to fix, exit 1. */
function writeFailure(err: unknown, outDir: string): { message: string; code: string } | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (!(err instanceof Error) || typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return null;
  return { message: `cannot write the site to ${outDir}: ${err.message}`, code };
}

export async function docsGenerateCommand(opts: DocsGenerateOptions): Promise<number> {
  return generate(opts, createOut(!!opts.json));
}

export async function docsServeCommand(opts: DocsServeOptions): Promise<number> {
  const out = createOut(false);
  const first = await generate(opts, out);
  if (first !== 0) return first;
  const root = path.resolve(opts.projectDir, opts.out);
  let served;
  try {
    served = await serveStatic(root, opts.port);
  } catch (err) {
    out.error(`bp docs serve: cannot listen on 127.0.0.1:${opts.port}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  out.result(`serving ${served.url}`);
  let watcher: { close(): Promise<void> } | null = null;
  if (opts.watch) watcher = await watchProject(opts, out);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await watcher?.close();
  served.server.closeAllConnections();
  await new Promise((r) => served.server.close(r));
  out.info("stopped");
  return 130;
}

/** chokidar on models/ and bp_project.yml: each burst of saves (debounced) regenerates once, one at a time. */
async function watchProject(opts: DocsGenerateOptions, out: Out): Promise<{ close(): Promise<void> }> {
  const { watch } = await import("chokidar");
  const dir = path.resolve(opts.projectDir);
  const watcher = watch([path.join(dir, "models"), path.join(dir, "bp_project.yml")], { ignoreInitial: true, atomic: false });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const regenerate = async () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        const t = performance.now();
        const code = await generate(opts, out);
        if (code === 0) out.info(`regenerated in ${Math.round(performance.now() - t)} ms`);
      } while (again);
    })();
    await running;
    running = null;
  };
  watcher.on("all", () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void regenerate(), 100);
  });
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  out.info("watching models/ and bp_project.yml");
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
}
