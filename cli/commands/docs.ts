/**
 * bp docs generate [--out target/docs]: the project's documentation as a static site (works from
 * file://, offline). bp docs serve [--port N] [--watch]: generates, serves it on 127.0.0.1, and
 * with --watch generates again when a model or bp_project.yml changes. Ctrl-C (SIGINT/SIGTERM)
 * closes the server and the watcher and exits 130, as bp watch does.
 */
import path from "node:path";
import type { VarValue } from "../../compiler/vars.js";
import { createOut, printDiagnostics, type Out } from "../console.js";
import { generateDocs } from "../docs/generate.js";
import { serveStatic } from "../docs/static-server.js";
import { openProject } from "../project.js";

export interface DocsGenerateOptions {
  projectDir: string;
  var: Record<string, VarValue>;
  out: string;
}

export interface DocsServeOptions extends DocsGenerateOptions {
  port: number;
  watch?: boolean;
}

async function generate(opts: DocsGenerateOptions, out: Out): Promise<number> {
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const outDir = path.resolve(project.dir, opts.out);
  const r = await generateDocs({ projectDir: project.dir, outDir, vars: opts.var, lake: project.lake });
  printDiagnostics(out, r.diagnostics, r.sourceFiles);
  if (!r.ok) return 1;
  const where = path.relative(process.cwd(), outDir) || outDir;
  out.info(`wrote ${r.pages} pages (${r.files} files) to ${where} in ${r.ms.compile + r.ms.layout + r.ms.render} ms (compile ${r.ms.compile}, layout ${r.ms.layout}${r.positioned ? "" : ": per focus, in the browser"}, render ${r.ms.render}); open ${path.join(where, "index.html")}`);
  return 0;
}

export async function docsGenerateCommand(opts: DocsGenerateOptions): Promise<number> {
  return generate(opts, createOut(false));
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
