/**
 * The lineage graph's layout, computed once at generate time with dagre (left to right), so the
 * page only draws: node boxes and edge polylines are plain numbers in the site's graph data.
 * dagre grows faster than linearly, so above `FULL_LAYOUT_LIMIT` nodes only sizes are written and
 * the page lays out each focused subgraph in a Web Worker (templates/docs/worker/layout-worker.js);
 * unfocused, it offers a model to focus on (templates/docs/assets/graph-picker.js).
 *
 * Measured on the synthetic project of test/docs/docs-large.test.ts (N models + 1 source, 1.2 N
 * edges), in Node (2 cores):
 *   - as here (network-simplex ranker, crossing reduction): 1,500 nodes 3.7 s, 2,000 6.4 s,
 *     3,000 13.5 s, 5,000 67 s;
 *   - `ranker: "longest-path"` without crossing reduction (`disableOptimalOrderHeuristic`): 1,500
 *     2.9 s, 2,000 5.1 s, 3,000 11.2 s, 5,000 30-38 s; "tight-tree": 5,000 25 s. At 5,000, 27.6 of
 *     37.6 s are dagre's coordinate assignment (Brandes-Köpf), which no option skips; ranking takes
 *     0.1 s, building the layer graphs 5 s even without crossing reduction.
 *   - in a Chromium Web Worker, the same options: 3,000 nodes 4.4-7.3 s, 4,000 9.5 s, and at 5,000
 *     dagre throws "Maximum call stack size exceeded" (a worker's stack is smaller than Node's).
 * So above the limit the whole graph is not laid out here. The page can still draw it on request
 * (templates/docs/assets/graph-whole.js): ELK's layered algorithm (elkjs 0.12.1, `SIMPLE` node
 * placement, thoroughness 1, polyline edges: templates/docs/worker/elk-worker.js) in a Web Worker.
 * In Node it takes 1.5 s at 1,500 nodes, 1.9 s at 3,000, 2.8 s at 5,000; in a headless Chromium
 * worker at 5,000 (docs-large.test.ts, 2 cores) 6.4-8.0 s, then 1.3-1.6 s to draw the SVG 400
 * elements per frame, no main-thread task over ~100 ms. Below the limit, the layout is kept in the project's
 * .bp/cache/ keyed by the graph's shape (node ids and sizes, edges, dagre's version and options): a
 * regenerate after an edit that does not change the DAG (`bp docs serve --watch`) reuses it.
 */
import { packageVersion, readEntry, sha256, writeEntry } from "../../compiler/project-cache.js";
import { requireCjs } from "../../compiler/require-cjs.js";
import type { SiteData } from "./site-data.js";

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly kind: "sql" | "ts" | "source";
  readonly href: string;
  /** Center and size, in layout units. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Polyline, flattened [x0, y0, x1, y1, ...] (rounded to 0.1). */
  readonly points: readonly number[];
}

export interface GraphLayout {
  /** False: too big to lay out at generate time; x, y and points are left empty (0, []). */
  readonly positioned: boolean;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly width: number;
  readonly height: number;
}

export const FULL_LAYOUT_LIMIT = 1500;
const NODE_H = 30;
const CHAR_W = 7;

interface DagreGraph {
  setGraph(g: object): void;
  setDefaultEdgeLabel(f: () => object): void;
  setNode(id: string, v: object): void;
  setEdge(from: string, to: string): void;
  node(id: string): { x: number; y: number; width: number; height: number };
  edge(from: string, to: string): { points: { x: number; y: number }[] };
  graph(): { width?: number; height?: number };
}
interface Dagre {
  graphlib: { Graph: new (opts?: object) => DagreGraph };
  layout(g: DagreGraph, opts?: object): void;
}

/** The project cache file of the last layout (`.bp/cache/<this>`). */
export const LAYOUT_CACHE_FILE = "docs-layout.json";

const GRAPH_OPTIONS = { rankdir: "LR", nodesep: 14, ranksep: 70, marginx: 20, marginy: 20 };
const width = (name: string) => Math.max(80, 24 + name.length * CHAR_W);

/** `cacheFile`: where the last layout is kept (none: always lay out). */
export function layoutGraph(site: SiteData, options: { limit?: number; cacheFile?: string } = {}): GraphLayout {
  const limit = options.limit ?? FULL_LAYOUT_LIMIT;
  if (site.pages.length > limit || options.cacheFile === undefined) return computeLayout(site, limit);
  const shape = JSON.stringify([
    `@dagrejs/dagre ${packageVersion("@dagrejs/dagre")}`,
    GRAPH_OPTIONS,
    NODE_H,
    CHAR_W,
    site.pages.map((p) => [p.id, p.name, p.kind, p.href]),
    site.edges.map((e) => [e.from, e.to]),
  ]);
  const key = sha256(shape);
  const kept = readEntry(options.cacheFile, key, isLayout);
  if (kept) return kept;
  const layout = computeLayout(site, limit);
  writeEntry(options.cacheFile, key, layout);
  return layout;
}

function isLayout(value: unknown): value is GraphLayout {
  const v = value as Partial<GraphLayout> | null;
  return typeof v === "object" && v !== null && v.positioned === true && Array.isArray(v.nodes) && Array.isArray(v.edges);
}

function computeLayout(site: SiteData, limit: number): GraphLayout {
  if (site.pages.length > limit) {
    return {
      positioned: false,
      nodes: site.pages.map((p) => ({ id: p.id, label: p.name, kind: p.kind, href: p.href, x: 0, y: 0, w: width(p.name), h: NODE_H })),
      edges: site.edges.map((e) => ({ from: e.from, to: e.to, points: [] })),
      width: 0,
      height: 0,
    };
  }
  const dagre = requireCjs("@dagrejs/dagre") as Dagre;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ ...GRAPH_OPTIONS });
  g.setDefaultEdgeLabel(() => ({}));
  for (const p of site.pages) g.setNode(p.id, { width: width(p.name), height: NODE_H });
  for (const e of site.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const r = (v: number) => Math.round(v * 10) / 10;
  const nodes = site.pages.map((p): GraphNode => {
    const n = g.node(p.id);
    return { id: p.id, label: p.name, kind: p.kind, href: p.href, x: r(n.x), y: r(n.y), w: n.width, h: n.height };
  });
  const edges = site.edges.map((e): GraphEdge => ({ from: e.from, to: e.to, points: g.edge(e.from, e.to).points.flatMap((pt) => [r(pt.x), r(pt.y)]) }));
  const size = g.graph();
  return { positioned: true, nodes, edges, width: r(size.width ?? 0), height: r(size.height ?? 0) };
}
