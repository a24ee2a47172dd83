/**
 * generateDocs: project -> static site. Compiles the project (the plan), reads the catalog at the
 * plan's branch head (+ a bounded first-parent history for "last commit that changed the table"),
 * builds the site's data, lays out the graph and renders the pages. Says what it wrote (counts,
 * bytes, timings, how the graph is laid out): `bp docs generate` prints it, as JSON with --json.
 */
import path from "node:path";
import { compileProject } from "../../compiler/compile-project.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { VarValue } from "../../compiler/vars.js";
import type { Lake } from "../../runtime/lake/lake.js";
import { CACHE_DIR } from "../../compiler/project-cache.js";
import { LAYOUT_CACHE_FILE, layoutGraph } from "./layout.js";
import { renderSite } from "./render.js";
import { buildSiteData, type CatalogView, type SiteData } from "./site-data.js";

/** Commits walked back from the head to find each table's last change (older changes: unknown). */
const HISTORY_LIMIT = 200;

export interface GenerateOptions {
  readonly projectDir: string;
  readonly outDir: string;
  readonly vars?: Readonly<Record<string, VarValue>>;
  readonly lake: Lake;
}

/**
 * Where the graph's layout is computed: once, at generate time (the whole graph is drawn), or in
 * the page's Web Worker for each focused subgraph (too many nodes for dagre at generate time).
 */
export type GraphLayoutMode = "generate-time" | "per-focus-in-worker";

export interface SiteCounts {
  /** SQL and TS models. */
  readonly models: number;
  readonly sources: number;
  /** HTML pages: one per model and source, the index and the graph page. */
  readonly pages: number;
  /** Columns over every page (a model without declared columns counts none). */
  readonly columns: number;
}

export interface GenerateResult {
  /** False when the project does not compile (see diagnostics); nothing was written. */
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** The project's file texts (for printing diagnostics). */
  readonly sourceFiles: ReadonlyMap<string, string>;
  readonly outDir: string;
  readonly counts: SiteCounts;
  /** Files written and their total size. */
  readonly files: number;
  readonly bytes: number;
  readonly graph: { readonly layout: GraphLayoutMode; readonly nodes: number; readonly edges: number };
  readonly ms: { readonly total: number; readonly compile: number; readonly layout: number; readonly render: number };
}

export async function generateDocs(opts: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const outDir = path.resolve(opts.outDir);
  const compiled = await compileProject({ projectDir: opts.projectDir, vars: opts.vars ?? {} });
  const t1 = performance.now();
  const base = { diagnostics: compiled.diagnostics, sourceFiles: compiled.files, outDir };
  if (!compiled.plan) {
    const compile = Math.round(t1 - t0);
    return { ...base, ok: false, counts: { models: 0, sources: 0, pages: 0, columns: 0 }, files: 0, bytes: 0, graph: { layout: "generate-time", nodes: 0, edges: 0 }, ms: { total: compile, compile, layout: 0, render: 0 } };
  }
  const plan = compiled.plan;
  const history = await opts.lake.log(plan.project.branch, { limit: HISTORY_LIMIT }).catch(() => []);
  const catalog: CatalogView = { head: history[0] ?? null, history };
  const unreadDocs = new Map((compiled.config?.sources ?? []).map((d) => [d.table.toLowerCase(), { description: d.description, columns: Object.fromEntries(d.columns.map((c) => [c.column.toLowerCase(), c.description])) }]));
  const site = buildSiteData(plan, compiled.files, catalog, unreadDocs);
  const layout = layoutGraph(site, { cacheFile: path.join(path.resolve(opts.projectDir), CACHE_DIR, LAYOUT_CACHE_FILE) });
  const t2 = performance.now();
  const { files, pages, bytes } = renderSite(site, layout, outDir);
  const t3 = performance.now();
  return {
    ...base,
    ok: true,
    counts: { ...pageCounts(site), pages },
    files,
    bytes,
    graph: { layout: layout.positioned ? "generate-time" : "per-focus-in-worker", nodes: layout.nodes.length, edges: layout.edges.length },
    ms: { total: Math.round(t3 - t0), compile: Math.round(t1 - t0), layout: Math.round(t2 - t1), render: Math.round(t3 - t2) },
  };
}

function pageCounts(site: SiteData): Omit<SiteCounts, "pages"> {
  const sources = site.pages.filter((p) => p.kind === "source").length;
  return { models: site.pages.length - sources, sources, columns: site.pages.reduce((n, p) => n + (p.columns?.length ?? 0), 0) };
}
