/**
 * The docs site as plain data: one page per model and per source, made from the compiled plan,
 * the model files' texts and the lake catalog (the branch head). No HTML here (render.ts).
 */
import type { ColumnSchema, Plan, PlanNode, ScanNode, SqlNode, TsNode } from "../../compiler/plan-types.js";
import type { Commit, TableEntry } from "../../runtime/lake/types.js";

export interface ColumnSource {
  readonly table: string;
  readonly column: string;
  /** Page of the table (a model or a source), or null when the site has no page for it. */
  readonly href: string | null;
}

export interface SiteColumn {
  readonly name: string;
  readonly type: string;
  /** From the plan's columnDescriptions, or null. */
  readonly description: string | null;
  /** Sources: whether a model reads the column (it is in the scan's projection); null for models. */
  readonly scanned: boolean | null;
  /** From the plan's columnLineage (plan version 4) when present, else null. */
  readonly sources: readonly ColumnSource[] | null;
}

export interface SiteLink {
  readonly id: string;
  readonly label: string;
  readonly href: string;
}

/** The lake's view of a table at the branch head. */
export interface SiteTableStats {
  readonly rows: number;
  readonly bytes: number;
  readonly files: number;
  /** The newest commit (along first parents, within the walked history) that changed the table. */
  readonly lastCommit: { readonly id: string; readonly time: string; readonly message: string } | null;
}

export interface SitePage {
  /** Plan id: `model:<name>` or `scan:<table>`. */
  readonly id: string;
  readonly kind: "sql" | "ts" | "source";
  readonly name: string;
  /** Relative to the site root: `models/<name>.html`, `sources/<table>.html`. */
  readonly href: string;
  readonly description: string | null;
  readonly file: string | null;
  readonly materialized: boolean;
  readonly code: string | null;
  readonly language: "sql" | "typescript" | null;
  readonly columns: readonly SiteColumn[] | null;
  readonly upstream: readonly SiteLink[];
  readonly downstream: readonly SiteLink[];
  /** Scans: the pushed-down projection and filter; TS inputs: the declared ones. */
  readonly pushdown: readonly { readonly table: string; readonly columns: readonly string[] | null; readonly filter: string | null }[];
  readonly memoryMb: number | null;
  readonly packages: readonly { readonly name: string; readonly range: string }[];
  readonly table: SiteTableStats | null;
}

export interface SiteData {
  readonly project: { readonly name: string; readonly branch: string; readonly commit: string | null };
  readonly pages: readonly SitePage[];
  /** Model-level edges between pages (materialize nodes folded into their model). */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

export interface CatalogView {
  readonly head: Commit | null;
  /** First-parent history, newest first (may be cut short: lastCommit is then null for older changes). */
  readonly history: readonly Commit[];
}

export function pageHref(id: string): string {
  const [kind, name] = splitId(id);
  return kind === "scan" ? `sources/${fileName(name)}.html` : `models/${fileName(name)}.html`;
}

function splitId(id: string): [string, string] {
  const i = id.indexOf(":");
  return [id.slice(0, i), id.slice(i + 1)];
}

/** A page file name for a table name (bp names are [A-Za-z0-9_.-], but be safe). */
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

type PageNode = ScanNode | SqlNode | TsNode;
const isPageNode = (n: PlanNode): n is PageNode => n.kind === "scan" || n.kind === "sql" || n.kind === "ts";

/** bp_project.yml's `sources:` descriptions by table and column name in lowercase, for the lake's tables no model reads (not in the plan). */
export type UnreadSourceDocs = ReadonlyMap<string, { readonly description: string | null; readonly columns: Readonly<Record<string, string>> }>;

/**
 * `sourceDocs` (by table name, lowercase): descriptions of sources, used for tables of the catalog
 * that no model reads (they have a page too, without edges).
 */
export function buildSiteData(plan: Plan, files: ReadonlyMap<string, string>, catalog: CatalogView, sourceDocs: UnreadSourceDocs = new Map()): SiteData {
  const pageNodes = plan.nodes.filter(isPageNode);
  const ids = new Set(pageNodes.map((n) => n.id));
  const edges = plan.edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => ({ from: e.from, to: e.to }));
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const e of edges) {
    (up.get(e.to) ?? up.set(e.to, []).get(e.to)!).push(e.from);
    (down.get(e.from) ?? down.set(e.from, []).get(e.from)!).push(e.to);
  }
  const label = (id: string) => splitId(id)[1];
  const link = (id: string): SiteLink => ({ id, label: label(id), href: pageHref(id) });
  const byTable = new Map<string, string>();
  for (const n of pageNodes) byTable.set(n.kind === "scan" ? n.table : n.name, n.id);
  const lastChange = lastCommits(catalog);
  const stats = (table: string): SiteTableStats | null => {
    const entry: TableEntry | undefined = catalog.head?.tables[table];
    if (!entry) return null;
    return { rows: entry.rows, bytes: entry.bytes, files: entry.files.length, lastCommit: lastChange.get(table) ?? null };
  };
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));

  const pages = pageNodes.map((node): SitePage => {
    const common = { id: node.id, href: pageHref(node.id), upstream: (up.get(node.id) ?? []).map(link), downstream: (down.get(node.id) ?? []).map(link) };
    switch (node.kind) {
      case "scan": {
        // the whole table (the catalog's schema at the head), each column marked read or not;
        // a source pinned to another ref: the scanned columns only
        const scanned = new Set(node.columns);
        const table = node.ref === null ? catalog.head?.tables[node.table]?.schema ?? node.schema : node.schema;
        return {
          ...common, kind: "source", name: node.table, description: node.description, file: null, materialized: true, code: null, language: null,
          columns: table.map((c) => ({ name: c.name, type: c.type, description: node.columnDescriptions[c.name] ?? null, scanned: scanned.has(c.name), sources: null })),
          pushdown: [{ table: node.table, columns: node.columns, filter: node.filter }],
          memoryMb: null, packages: [], table: stats(node.table),
        };
      }
      case "sql": {
        const lineage = node.columnLineage;
        return {
          ...common, kind: "sql", name: node.name, description: node.description, file: node.at.file, materialized: node.materialize,
          code: node.sql, language: "sql",
          columns: node.schema?.map((c) => ({ ...c, description: node.columnDescriptions[c.name] ?? null, scanned: null, sources: lineageOf(lineage, c, byTable) })) ?? null,
          pushdown: node.inputs.map((i) => byId.get(i)).filter((n): n is ScanNode => n?.kind === "scan").map((s) => ({ table: s.table, columns: s.columns, filter: s.filter })),
          memoryMb: null, packages: [], table: node.materialize ? stats(node.name) : null,
        };
      }
      case "ts":
        return {
          ...common, kind: "ts", name: node.name, description: node.description, file: node.at.file, materialized: node.materialize,
          code: files.get(node.at.file) ?? null, language: "typescript",
          columns: node.schema?.map((c) => ({ ...c, description: node.columnDescriptions[c.name] ?? null, scanned: null, sources: null })) ?? null,
          pushdown: node.inputs.map((i) => ({ table: i.table, columns: i.columns, filter: i.filter })),
          memoryMb: node.memoryMb, packages: Object.entries(node.packages).map(([name, range]) => ({ name, range })),
          table: node.materialize ? stats(node.name) : null,
        };
    }
  });
  pages.push(...unreadSourcePages(plan, catalog, sourceDocs, stats));
  return { project: { name: plan.project.name, branch: plan.project.branch, commit: catalog.head?.id ?? null }, pages, edges };
}

/** The catalog's tables that no model reads and no model of the project produces, as source pages without edges. */
function unreadSourcePages(plan: Plan, catalog: CatalogView, sourceDocs: UnreadSourceDocs, stats: (table: string) => SiteTableStats | null): SitePage[] {
  const inPlan = new Set(plan.nodes.flatMap((n) => (n.kind === "scan" ? [n.table] : n.kind === "sql" || n.kind === "ts" ? [n.name] : [])).map((t) => t.toLowerCase()));
  return Object.entries(catalog.head?.tables ?? {})
    .filter(([table]) => !inPlan.has(table.toLowerCase()))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([table, entry]): SitePage => {
      const id = `scan:${table}`;
      const docs = sourceDocs.get(table.toLowerCase());
      return {
        id, kind: "source", name: table, href: pageHref(id), description: docs?.description ?? null, file: null, materialized: true, code: null, language: null,
        columns: entry.schema.map((c) => ({ name: c.name, type: c.type, description: docs?.columns[c.name.toLowerCase()] ?? null, scanned: false, sources: null })),
        upstream: [], downstream: [], pushdown: [], memoryMb: null, packages: [], table: stats(table),
      };
    });
}

/** A column's sources from `columnLineage` (plan v4): `[{ column, from: [{ table, column }] }]`. */
function lineageOf(lineage: unknown, column: ColumnSchema, byTable: ReadonlyMap<string, string>): ColumnSource[] | null {
  if (!Array.isArray(lineage)) return null;
  const entry = lineage.find((l): l is { column: string; from: { table: string; column: string }[] } => !!l && typeof l === "object" && (l as { column?: unknown }).column === column.name);
  if (!entry || !Array.isArray(entry.from)) return null;
  return entry.from.map((f) => {
    const id = byTable.get(f.table);
    return { table: f.table, column: f.column, href: id ? pageHref(id) : null };
  });
}

/** For each table of the head: the newest commit whose entry differs from its first parent's. */
function lastCommits(catalog: CatalogView): Map<string, { id: string; time: string; message: string }> {
  const out = new Map<string, { id: string; time: string; message: string }>();
  const history = catalog.history;
  for (let i = 0; i < history.length; i++) {
    const c = history[i]!;
    const parent = history[i + 1];
    for (const [table, entry] of Object.entries(c.tables)) {
      if (out.has(table)) continue;
      const before = parent?.tables[table];
      // a root commit counts; a cut-short history (no parent loaded but one exists) does not
      if (parent === undefined && c.parents.length > 0) continue;
      if (!before || !sameFiles(entry, before)) out.set(table, { id: c.id, time: c.time, message: c.message });
    }
  }
  return out;
}

function sameFiles(a: TableEntry, b: TableEntry): boolean {
  return a.files.length === b.files.length && a.files.every((f, i) => f.path === b.files[i]!.path);
}
