/**
 * A zod schema of the plan format (plan-types.ts), so the runtime can refuse a hand-edited or
 * truncated plan with a clear message instead of failing half-way through a run.
 */
import { z } from "zod";
import { PLAN_VERSION, type Plan } from "./plan-types.js";

const column = z.object({ name: z.string(), type: z.string() });
const at = z.object({ file: z.string(), line: z.number().int(), column: z.number().int() });
const nodeId = z.string().min(1);
const cacheKey = z.string().regex(/^[0-9a-f]{64}$/);
const columnDescriptions = z.record(z.string());

const scan = z.object({
  kind: z.literal("scan"),
  id: nodeId,
  cacheKey,
  table: z.string(),
  columns: z.array(z.string()),
  filter: z.string().nullable(),
  ref: z.string().min(1).nullable(),
  commit: z.string(),
  files: z.array(z.string()),
  schema: z.array(column),
  description: z.string().nullable(),
  columnDescriptions,
});
const sql = z.object({
  kind: z.literal("sql"),
  id: nodeId,
  cacheKey,
  name: z.string(),
  at,
  description: z.string().nullable(),
  sql: z.string(),
  codeHash: z.string(),
  inputs: z.array(nodeId),
  schema: z.array(column).nullable(),
  columnLineage: z.array(z.object({ column: z.string(), from: z.array(z.object({ table: z.string(), column: z.string() })) })).nullable(),
  columnDescriptions,
  materialize: z.boolean(),
});
const ts = z.object({
  kind: z.literal("ts"),
  id: nodeId,
  cacheKey,
  name: z.string(),
  at,
  description: z.string().nullable(),
  codeHash: z.string(),
  inputs: z.array(
    z.object({ param: z.string(), table: z.string(), from: nodeId, columns: z.array(z.string()).nullable(), filter: z.string().nullable() }),
  ),
  schema: z.array(column).nullable(),
  columnDescriptions,
  materialize: z.boolean(),
  memoryMb: z.number().positive(),
  packages: z.record(z.string()),
});
const materialize = z.object({ kind: z.literal("materialize"), id: nodeId, cacheKey, table: z.string(), from: nodeId });

const planSchema = z.object({
  planVersion: z.literal(PLAN_VERSION),
  project: z.object({
    name: z.string(),
    contentHash: z.string(),
    lake: z.string(),
    s3: z
      .object({
        endpoint: z.string().optional(),
        region: z.string().optional(),
        force_path_style: z.boolean().optional(),
        conditional_writes: z.enum(["auto", "required", "host-lock"]).optional(),
        cache_dir: z.string().optional(),
        cache_max_size: z.string().optional(),
      })
      .strict()
      .optional(),
    branch: z.string(),
    vars: z.record(z.string()),
  }),
  nodes: z.array(z.discriminatedUnion("kind", [scan, sql, ts, materialize])),
  edges: z.array(
    z.object({
      from: nodeId,
      to: nodeId,
      transport: z.enum(["duckdb", "duckdb-to-shm", "shm", "shm-to-duckdb", "shm-via-duckdb", "duckdb-to-parquet"]),
      param: z.string().optional(),
    }),
  ),
});

/** The plan, or the first problems found (path: message), with every edge pointing at known nodes. */
export function validatePlan(value: unknown): { plan: Plan } | { problems: string[] } {
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    return { problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`) };
  }
  const plan = parsed.data as Plan;
  const ids = new Set(plan.nodes.map((n) => n.id));
  const problems = plan.edges.flatMap((e) => [e.from, e.to].filter((id) => !ids.has(id)).map((id) => `edges: unknown node "${id}"`));
  return problems.length ? { problems } : { plan };
}
