/**
 * From the bound logical plan to the physical plan: one scan per source table used (projection =
 * union of what its consumers read, filter = OR of their pushed filters, or none if one reads all
 * rows), one node per model, one materialize node per materialized model, and the transport of
 * every edge. Output is deterministic: same project, same bytes.
 */
import { withCacheKeys, type Unkeyed } from "./cache-keys.js";
import type { ProjectDocs } from "./column-docs.js";
import { compareText } from "./diagnostics.js";
import type { BoundModel, InputRead } from "./bind-schemas.js";
import { topologicalOrder } from "./graph.js";
import { columnLineage } from "./sql/sql-lineage.js";
import type { LogicalPlan, LogicalSqlModel } from "./logical-plan.js";
import {
  nodeIds,
  PLAN_VERSION,
  type MaterializeNode,
  type Plan,
  type PlanEdge,
  type PlanNode,
  type PlanS3Settings,
  type ScanNode,
  type SqlNode,
  type Transport,
  type TsInput,
  type TsNode,
} from "./plan-types.js";

export interface PhysicalPlanInput {
  readonly projectName: string;
  readonly contentHash: string;
  readonly lake: string;
  /** Only for an `s3://` lake. */
  readonly s3?: PlanS3Settings;
  readonly branch: string;
  readonly vars: Readonly<Record<string, string>>;
  /** The lake commit the sources were read at, or null for an empty lake. */
  readonly sourceCommit: string | null;
  /** Sources pinned to a ref by their models (by source name): the ref as written and its commit. */
  readonly scanRefs?: ReadonlyMap<string, { readonly ref: string; readonly commit: string }>;
  /** sha256 of the non-model files under models/ (helpers a TS model may import), for cache keys. */
  readonly helpersHash: string;
  /** Checked descriptions of columns and sources (column-docs.ts); none when absent. */
  readonly docs?: Pick<ProjectDocs, "models" | "sources">;
}


export function buildPhysicalPlan(logical: LogicalPlan, bound: ReadonlyMap<string, BoundModel>, meta: PhysicalPlanInput): Plan {
  const nodes: Unkeyed<PlanNode>[] = [];
  const edges: PlanEdge[] = [];
  const idOf = (read: Pick<InputRead, "table" | "from">) => (read.from === "source" ? nodeIds.scan(read.table) : nodeIds.model(read.table));

  // Scans: one per source table read by any model.
  const readsBySource = new Map<string, InputRead[]>();
  for (const m of bound.values()) {
    for (const r of m.reads) if (r.from === "source") readsBySource.set(r.table, [...(readsBySource.get(r.table) ?? []), r]);
  }
  for (const [table, reads] of [...readsBySource].sort(([a], [b]) => compareText(a, b))) {
    const entry = logical.sources[table]!;
    const needed = new Set<string>();
    const all = reads.some((r) => r.columns === null);
    for (const r of reads) for (const c of [...(r.columns ?? []), ...r.filterColumns]) needed.add(c.toLowerCase());
    const schema = entry.schema.filter((c) => all || needed.has(c.name.toLowerCase()));
    const filters = reads.some((r) => r.filter === null) ? [] : [...new Set(reads.map((r) => r.filter!))].sort();
    const scan: Unkeyed<ScanNode> = {
      kind: "scan",
      id: nodeIds.scan(table),
      table,
      columns: schema.map((c) => c.name),
      filter: filters.length === 0 ? null : filters.length === 1 ? filters[0]! : filters.map(parenthesized).join(" OR "),
      ref: meta.scanRefs?.get(table)?.ref ?? null,
      commit: meta.scanRefs?.get(table)?.commit ?? meta.sourceCommit ?? "",
      files: entry.files.map((f) => f.path),
      schema,
      description: meta.docs?.sources.get(table)?.description ?? null,
      // every described column of the table (docs show the whole table), not only the projected ones
      columnDescriptions: meta.docs?.sources.get(table)?.columns ?? {},
    };
    nodes.push(scan);
  }

  // Model nodes.
  const kindOf = new Map<string, "sql" | "ts">();
  for (const m of bound.values()) kindOf.set(m.name, logical.models.get(m.name)!.kind);
  for (const m of bound.values()) {
    const model = logical.models.get(m.name)!;
    const id = nodeIds.model(m.name);
    if (model.kind === "sql") {
      const node: Unkeyed<SqlNode> = {
        kind: "sql",
        id,
        name: m.name,
        at: model.at,
        description: model.description,
        sql: model.sql,
        codeHash: model.codeHash,
        inputs: [...new Set(m.reads.map(idOf))].sort(),
        schema: m.schema,
        columnLineage: lineageOf(model, m, logical, bound),
        columnDescriptions: meta.docs?.models.get(m.name) ?? {},
        materialize: model.materialize,
      };
      nodes.push(node);
      for (const r of m.reads) edges.push({ from: idOf(r), to: id, transport: r.from === "model" && kindOf.get(r.table) === "ts" ? "shm-to-duckdb" : "duckdb" });
    } else {
      const inputs: TsInput[] = m.reads.map((r) => ({ param: r.param!, table: r.table, from: idOf(r), columns: r.columns, filter: r.filter }));
      const node: Unkeyed<TsNode> = {
        kind: "ts",
        id,
        name: m.name,
        at: model.at,
        description: model.description,
        codeHash: model.codeHash,
        inputs,
        schema: m.schema,
        columnDescriptions: meta.docs?.models.get(m.name) ?? {},
        materialize: model.materialize,
        memoryMb: model.settings.memoryMb,
        packages: sortedRecord(model.settings.packages),
      };
      nodes.push(node);
      for (const r of m.reads) edges.push({ from: idOf(r), to: id, transport: tsEdgeTransport(r, kindOf), param: r.param! });
    }
    if (model.materialize) {
      const mat: Unkeyed<MaterializeNode> = { kind: "materialize", id: nodeIds.materialize(m.name), table: m.name, from: id };
      nodes.push(mat);
      edges.push({ from: id, to: mat.id, transport: model.kind === "ts" ? "shm-to-duckdb" : "duckdb-to-parquet" });
    }
  }

  const deps = new Map<string, string[]>();
  for (const e of edges) deps.set(e.to, [...(deps.get(e.to) ?? []), e.from]);
  const order = topologicalOrder(
    nodes.map((n) => n.id),
    deps,
  )!;
  const position = new Map(order.map((id, i) => [id, i]));
  nodes.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  const sqlAstHash = new Map<string, string>();
  const tsCodeIdentity = new Map<string, string>();
  for (const m of logical.models.values()) {
    if (m.kind === "sql") sqlAstHash.set(m.name, m.astHash);
    else tsCodeIdentity.set(m.name, m.settings.codeIdentity);
  }
  const keyed = withCacheKeys(nodes, { sqlAstHash, tsCodeIdentity, helpersHash: meta.helpersHash });
  edges.sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.param ?? "", b.param ?? ""));

  return {
    planVersion: PLAN_VERSION,
    project: {
      name: meta.projectName,
      contentHash: meta.contentHash,
      lake: meta.lake,
      ...(meta.s3 === undefined ? {} : { s3: s3InOrder(meta.s3) }),
      branch: meta.branch,
      vars: sortedRecord(meta.vars),
    },
    nodes: keyed,
    edges,
  };
}

/** A SQL model's column lineage over its inputs' schemas, or null (unknown input schema, unsupported SQL). */
function lineageOf(model: LogicalSqlModel, m: BoundModel, logical: LogicalPlan, bound: ReadonlyMap<string, BoundModel>): SqlNode["columnLineage"] {
  if (m.schema === null || model.ast === null) return null;
  const resolved = logical.resolved.get(model.name)!;
  return columnLineage(model.ast, m.schema, (name) => {
    const r = resolved.get(name.toLowerCase());
    if (!r) return undefined;
    const schema = r.kind === "source" ? logical.sources[r.name]?.schema : bound.get(r.name)?.schema;
    return schema ? { table: r.name, columns: schema.map((c) => c.name) } : undefined;
  });
}

function tsEdgeTransport(read: InputRead, kindOf: ReadonlyMap<string, "sql" | "ts">): Transport {
  if (read.from === "model" && kindOf.get(read.table) === "ts") return read.filter === null ? "shm" : "shm-via-duckdb";
  return "duckdb-to-shm";
}

/** `f` in parentheses, unless one pair already encloses all of it. */
function parenthesized(f: string): string {
  if (f.startsWith("(") && f.endsWith(")")) {
    let depth = 0;
    let quote: string | null = null;
    for (let i = 0; i < f.length; i++) {
      const ch = f[i]!;
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "(") depth++;
      else if (ch === ")" && --depth === 0 && i < f.length - 1) return `(${f})`;
    }
    return f;
  }
  return `(${f})`;
}

/** The s3 settings with keys in a fixed order and absent ones left out (the plan text is stable). */
function s3InOrder(s3: PlanS3Settings): PlanS3Settings {
  const keys = ["cache_dir", "cache_max_size", "conditional_writes", "endpoint", "force_path_style", "region"] as const;
  return Object.fromEntries(keys.filter((k) => s3[k] !== undefined).map((k) => [k, s3[k]])) as PlanS3Settings;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
