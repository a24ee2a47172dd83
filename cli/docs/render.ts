/**
 * Writes the static site: SiteData + GraphLayout -> HTML pages (handlebars templates in
 * templates/docs/), highlighted code (highlight.js, at generate time), the search index and the
 * graph data as plain JS files (`window.BP_...`: they load from file:// where fetch cannot), and
 * the CSS/JS assets. Everything the pages use is in the output folder: no server, no CDN.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../compiler/package-root.js";
import { requireCjs } from "../../compiler/require-cjs.js";
import type { GraphLayout } from "./layout.js";
import type { SiteData, SitePage } from "./site-data.js";

type Handlebars = typeof import("handlebars");
interface Hljs {
  highlight(code: string, options: { language: string; ignoreIllegals?: boolean }): { value: string };
}

export interface RenderResult {
  /** Files written, of which HTML pages, and their total size in bytes. */
  readonly files: number;
  readonly pages: number;
  readonly bytes: number;
}

/** Renders the site into `outDir` (replaced as a whole: written next to it, then renamed). */
export function renderSite(site: SiteData, layout: GraphLayout, outDir: string): RenderResult {
  const templates = path.join(packageRoot(), "templates", "docs");
  const hb = (requireCjs("handlebars") as Handlebars).create();
  const hljs = requireCjs("highlight.js/lib/core") as Hljs & { registerLanguage(name: string, lang: unknown): void };
  hljs.registerLanguage("sql", requireCjs("highlight.js/lib/languages/sql"));
  hljs.registerLanguage("typescript", requireCjs("highlight.js/lib/languages/typescript"));
  registerHelpers(hb);
  const compile = (name: string) => hb.compile(readFileSync(path.join(templates, `${name}.hbs`), "utf8"));
  const layoutT = compile("layout");
  const indexT = compile("index");
  const pageT = compile("page");
  const graphT = compile("graph");

  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // The site's own folder is made without `recursive`: where it cannot be made (e.g. under /proc),
  // Node's recursive mkdir spins forever instead of failing.
  makeSiteFolder(tmp);
  let files = 0;
  let pages = 0;
  let bytes = 0;
  const write = (rel: string, text: string) => {
    const file = path.join(tmp, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    files++;
    if (rel.endsWith(".html")) pages++;
    bytes += Buffer.byteLength(text);
  };
  const copy = (from: string, rel: string) => {
    copyFileSync(from, path.join(tmp, rel));
    files++;
    bytes += statSync(from).size;
  };
  const project = site.project;
  const wrap = (root: string, title: string, body: string, scripts: string[] = [], bodyClass = "") =>
    layoutT({ root, title, project, body, scripts, bodyClass });

  const models = site.pages.filter((p) => p.kind !== "source");
  const sources = site.pages.filter((p) => p.kind === "source");
  const counts = {
    models: models.length,
    sql: models.filter((p) => p.kind === "sql").length,
    ts: models.filter((p) => p.kind === "ts").length,
    sources: sources.length,
    materialized: models.filter((p) => p.materialized).length,
  };
  write("index.html", wrap("", "Overview", indexT({ project, counts, models, sources })));
  for (const page of site.pages) {
    const root = "../";
    const highlighted = page.code !== null && page.language ? hljs.highlight(page.code, { language: page.language, ignoreIllegals: true }).value : null;
    const hasLineage = page.columns?.some((c) => c.sources !== null) ?? false;
    const hasColumnDescriptions = page.columns?.some((c) => c.description !== null) ?? false;
    write(page.href, wrap(root, page.name, pageT({ ...page, root, highlighted, hasLineage, hasColumnDescriptions, isSource: page.kind === "source", pushdownTitle: PUSHDOWN_TITLE[page.kind] })));
  }
  write("graph.html", wrap("", "Lineage graph", graphT({}), ["assets/graph-data.js", "assets/layout-worker.js", "assets/graph-keys.js", "assets/graph-picker.js", "assets/graph-whole.js", "assets/graph.js"], "graph-page"));
  write("assets/search-index.js", `window.BP_SEARCH = ${JSON.stringify({ entries: searchEntries(site.pages) })};\n`);
  write("assets/graph-data.js", `window.BP_GRAPH = ${JSON.stringify(graphData(site, layout))};\n`);
  for (const name of readdirSync(path.join(templates, "assets"))) copy(path.join(templates, "assets", name), path.join("assets", name));
  copy(path.join(path.dirname(requireCjs.resolve("highlight.js/package.json")), "styles", "github.css"), path.join("assets", "highlight.css"));
  // The worker's source as a string: a page opened from file:// cannot start a Worker from a file
  // URL, but can from a Blob.
  const dagreJs = readFileSync(path.join(path.dirname(requireCjs.resolve("@dagrejs/dagre/package.json")), "dist", "dagre.min.js"), "utf8");
  const workerJs = readFileSync(path.join(templates, "worker", "layout-worker.js"), "utf8");
  write("assets/layout-worker.js", `window.BP_LAYOUT_WORKER_SRC = ${JSON.stringify(`${dagreJs}\n${workerJs}`)};\n`);
  // Above the limit, the whole graph on request: ELK (elkjs, ~1.6 MB) + templates/docs/worker/elk-worker.js,
  // as a string too, loaded by graph-whole.js only when its button is clicked.
  if (!layout.positioned) {
    const elkJs = readFileSync(path.join(path.dirname(requireCjs.resolve("elkjs/package.json")), "lib", "elk.bundled.js"), "utf8");
    const elkWorkerJs = readFileSync(path.join(templates, "worker", "elk-worker.js"), "utf8");
    write("assets/elk-layout.js", `window.BP_ELK_WORKER_SRC = ${JSON.stringify(`${elkJs}\n${elkWorkerJs}`)};\n`);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  return { files, pages, bytes };
}

const PUSHDOWN_TITLE: Record<SitePage["kind"], string> = {
  source: "Scan (pushed down: the columns and rows every reader needs)",
  sql: "Sources scanned (pushed down: shared by every reader of the source)",
  ts: "Inputs (declared projection and filter)",
};

function registerHelpers(hb: Handlebars): void {
  hb.registerHelper("short", (id: unknown) => String(id ?? "").slice(0, 12));
  hb.registerHelper("count", (n: unknown) => Number(n).toLocaleString("en-US"));
  hb.registerHelper("bytes", (n: unknown) => formatBytes(Number(n)));
  hb.registerHelper("isNull", (v: unknown) => v === null || v === undefined);
  hb.registerHelper("encode", (s: unknown) => encodeURIComponent(String(s)));
  hb.registerHelper("kindLabel", (k: unknown) => (k === "sql" ? "SQL model" : k === "ts" ? "TS model" : "source"));
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** [type, name, href, text]: models and sources (with descriptions) and their columns. */
function searchEntries(pages: readonly SitePage[]): [string, string, string, string][] {
  const out: [string, string, string, string][] = [];
  for (const p of pages) out.push([p.kind === "source" ? "source" : "model", p.name, p.href, p.description ?? ""]);
  for (const p of pages) for (const c of p.columns ?? []) out.push(["column", `${p.name}.${c.name}`, `${p.href}#col-${c.name}`, c.description === null ? c.type : `${c.type} — ${c.description}`]);
  return out;
}

/** The graph page's data, compact: nodes as arrays, edges by node index, lineage by node id. */
function graphData(site: SiteData, layout: GraphLayout): object {
  const index = new Map(layout.nodes.map((n, i) => [n.id, i]));
  const lineage: Record<string, Record<string, [string, string][]>> = {};
  const tables: Record<string, string> = {};
  for (const p of site.pages) {
    tables[p.name] = p.id;
    const cols = p.columns?.filter((c) => c.sources !== null) ?? [];
    if (cols.length) lineage[p.id] = Object.fromEntries(cols.map((c) => [c.name, c.sources!.map((s): [string, string] => [s.table, s.column])]));
  }
  return {
    positioned: layout.positioned,
    width: layout.width,
    height: layout.height,
    nodes: layout.nodes.map((n) => [n.id, n.label, n.kind, n.href, n.x, n.y, n.w, n.h]),
    edges: layout.edges.map((e) => [index.get(e.from), index.get(e.to), e.points]),
    tables,
    lineage,
  };
}

/** `dir` made, its parents too if missing; a file in the way is ENOTDIR on every Node version. */
function makeSiteFolder(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir);
  }
}
