/**
 * generateDocs: project -> static site. Compiles the project (the plan), reads the catalog at the
 * plan's branch head (+ a bounded first-parent history for "last commit that changed the table"),
 * builds the site's data, lays out the graph and renders the pages.
 */
import path from "node:path";
import { compileProject } from "../../compiler/compile-project.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { VarValue } from "../../compiler/vars.js";
import type { Lake } from "../../runtime/lake/lake.js";
import { layoutGraph } from "./layout.js";
import { renderSite } from "./render.js";
import { buildSiteData, type CatalogView } from "./site-data.js";

/** Commits walked back from the head to find each table's last change (older changes: unknown). */
const HISTORY_LIMIT = 200;

export interface GenerateOptions {
  readonly projectDir: string;
  readonly outDir: string;
  readonly vars?: Readonly<Record<string, VarValue>>;
  readonly lake: Lake;
}

export interface GenerateResult {
  /** False when the project does not compile (see diagnostics); nothing was written. */
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** The project's file texts (for printing diagnostics). */
  readonly sourceFiles: ReadonlyMap<string, string>;
  readonly pages: number;
  readonly files: number;
  /** Whether the graph was laid out at generate time (else per focus, in the page's worker). */
  readonly positioned: boolean;
  readonly ms: { readonly compile: number; readonly layout: number; readonly render: number };
}

export async function generateDocs(opts: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const compiled = await compileProject({ projectDir: opts.projectDir, vars: opts.vars ?? {} });
  if (!compiled.plan) return { ok: false, diagnostics: compiled.diagnostics, sourceFiles: compiled.files, pages: 0, files: 0, positioned: false, ms: { compile: Math.round(performance.now() - t0), layout: 0, render: 0 } };
  const plan = compiled.plan;
  const t1 = performance.now();
  const history = await opts.lake.log(plan.project.branch, { limit: HISTORY_LIMIT }).catch(() => []);
  const catalog: CatalogView = { head: history[0] ?? null, history };
  const site = buildSiteData(plan, compiled.files, catalog);
  const layout = layoutGraph(site);
  const t2 = performance.now();
  const { files } = renderSite(site, layout, path.resolve(opts.outDir));
  const t3 = performance.now();
  return {
    ok: true, pages: site.pages.length, files, positioned: layout.positioned,
    ms: { compile: Math.round(t1 - t0), layout: Math.round(t2 - t1), render: Math.round(t3 - t2) },
    diagnostics: compiled.diagnostics, sourceFiles: compiled.files,
  };
}
