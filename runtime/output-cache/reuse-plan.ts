/**
 * Which nodes of a plan run and which reuse an earlier output, decided before the run starts.
 *
 * Run keys: the plan's `cacheKey` covers code, settings and source data; the run key adds what only
 * the runtime knows (a TS model's resolved package environment) and the inputs' run keys, so a
 * change found at run time reaches everything downstream.
 *
 * A model is *cached* when the output cache holds its run key, or, for a materialized model, when
 * the target branch's table was written with that key. Its output must be readable when some node
 * downstream runs: from the cache entry's data, or for a SQL model from the lake's table; when it
 * is not (an entry without data), the model runs after all. The lake's recent history counts too: a
 * table written with the same key before (lake-outputs.ts) is put back without being computed. A model none of whose readers runs is
 * not run either (their keys cover its key), even with no entry of its own. A materialize node is cached when the
 * table at the target's head carries the model's run key (nothing is re-written); a scan is cached
 * when nothing that reads it runs. Decided from the last node back, so that each node knows whether
 * anything downstream runs.
 */
import { createHash } from "node:crypto";
import type { Plan, PlanNode } from "../../compiler/plan-types.js";
import type { TableEntry } from "../lake/types.js";
import type { LakeOutputs } from "./lake-outputs.js";
import type { OutputCache, OutputEntry } from "./store.js";

/** Bump when the runtime changes how it computes or stores outputs: older entries are not matched. */
export const RUNTIME_CACHE_FORMAT = "bp-runtime-output/1";

export type Restore =
  /** The cache entry's data file (Parquet for a SQL model, Arrow IPC for a TS model). */
  | { readonly from: "entry"; readonly entry: OutputEntry }
  /** A materialized SQL model's table in the lake, written with the same key. */
  | { readonly from: "lake"; readonly table: TableEntry };

export type Reuse =
  | { readonly run: true }
  | {
      readonly run: false;
      readonly rows: number | null;
      /** Where the output is read from when something downstream runs; null when nothing needs it. */
      readonly restore: Restore | null;
      /** A materialize node whose table was written with the same key in recent history: the commit points at those files again. */
      readonly relink?: TableEntry;
    };

/** The ids of the nodes a node reads. */
export function inputIds(node: PlanNode): string[] {
  switch (node.kind) {
    case "scan":
      return [];
    case "sql":
      return [...node.inputs];
    case "ts":
      return [...new Set(node.inputs.map((i) => i.from))].sort();
    case "materialize":
      return [node.from];
  }
}

/** Run keys in plan order; `envHashes`: a TS node's resolved package environment, by node id. */
export function runKeys(plan: Plan, envHashes: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  const keys = new Map<string, string>();
  for (const node of plan.nodes) {
    const inputs = inputIds(node).map((id) => [id, keys.get(id)]);
    const parts = [RUNTIME_CACHE_FORMAT, node.cacheKey, envHashes.get(node.id) ?? "", inputs];
    keys.set(node.id, createHash("sha256").update(JSON.stringify(parts)).digest("hex"));
  }
  return keys;
}

/** The decision for every node. `cache` null (`--no-cache`): everything runs. */
export function planReuse(plan: Plan, keys: ReadonlyMap<string, string>, cache: OutputCache | null, lake: LakeOutputs): Map<string, Reuse> {
  const decisions = new Map<string, Reuse>();
  if (cache === null) {
    for (const n of plan.nodes) decisions.set(n.id, { run: true });
    return decisions;
  }
  const consumers = new Map<string, string[]>();
  for (const e of plan.edges) consumers.set(e.from, [...(consumers.get(e.from) ?? []), e.to]);
  /** The lake's table written by this model's key: at the head, or in recent history. */
  const inLakeOf = (table: string, modelId: string): { entry: TableEntry; atHead: boolean } | null => {
    const key = keys.get(modelId);
    if (key === undefined) return null;
    if (lake.head[table]?.cacheKey === key) return { entry: lake.head[table]!, atHead: true };
    const earlier = lake.find(table, key);
    return earlier === null ? null : { entry: earlier, atHead: false };
  };

  for (const node of [...plan.nodes].reverse()) {
    const needed = (consumers.get(node.id) ?? []).some((c) => decisions.get(c)?.run !== false);
    switch (node.kind) {
      case "scan":
        decisions.set(node.id, needed ? { run: true } : { run: false, rows: null, restore: null });
        break;
      case "materialize": {
        const inLake = inLakeOf(node.table, node.from);
        if (inLake === null) decisions.set(node.id, { run: true });
        else decisions.set(node.id, { run: false, rows: inLake.entry.rows, restore: null, ...(inLake.atHead ? {} : { relink: inLake.entry }) });
        break;
      }
      case "sql":
      case "ts": {
        const entry = cache.get(keys.get(node.id)!);
        const inLake = node.materialize ? (inLakeOf(node.name, node.id)?.entry ?? null) : null;
        const readers = consumers.get(node.id) ?? [];
        if (readers.length > 0 && !needed) {
          // Everything reading it is reused, with keys that cover this model's key: it is not needed.
          decisions.set(node.id, { run: false, rows: entry?.meta.rows ?? inLake?.rows ?? null, restore: null });
          break;
        }
        if (entry === null && inLake === null) {
          decisions.set(node.id, { run: true });
          break;
        }
        const rows = entry?.meta.rows ?? inLake?.rows ?? null;
        if (!needed) {
          decisions.set(node.id, { run: false, rows, restore: null });
          break;
        }
        const restore: Restore | null =
          entry?.dataPath != null ? { from: "entry", entry } : inLake !== null && node.kind === "sql" ? { from: "lake", table: inLake } : null;
        decisions.set(node.id, restore === null ? { run: true } : { run: false, rows, restore });
        break;
      }
    }
  }
  return decisions;
}
