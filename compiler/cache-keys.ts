/**
 * Cache keys of plan nodes: a node whose key is unchanged computes the same table, so the runtime
 * may reuse its earlier output instead of running it (runtime/output-cache/).
 *
 * A key covers everything the node's output depends on, and nothing else:
 * - scan: the table's data files (immutable, content-addressed by the lake) and the projection and
 *   filter pushed into the scan;
 * - SQL model: its parse tree without positions (comments and whitespace do not count; vars do, as
 *   they change the rendered SQL) and, per input, the input's key: a model's key, or for a source
 *   the identity of its data (files), not the scan's shared projection, so that another model
 *   reading one more column of the same source does not invalidate this one;
 * - TS model: its file's tokens without comments, whitespace and the values of description and
 *   memory settings (ts/code-identity.ts), the project's helper modules under models/ (it may import them),
 *   its declared output columns, packages (name -> range), and per input its param, columns,
 *   filter and the input's key;
 * - materialize: the model's key.
 * Memory limits and descriptions are left out: they do not change the table.
 */
import { createHash } from "node:crypto";
import type { PlanNode, ScanNode } from "./plan-types.js";

/** Bump when what a key covers changes, so that older cache entries are never matched. */
export const CACHE_KEY_VERSION = "bp-cache-key/2";

/** What a node's key needs beyond the node itself. */
export interface KeySources {
  /** SQL models: the parse tree hash (`sqlAstHash`), by model name. */
  readonly sqlAstHash: ReadonlyMap<string, string>;
  /** TS models: the code identity (`codeIdentity`: tokens without comments and descriptions), by model name. */
  readonly tsCodeIdentity: ReadonlyMap<string, string>;
  /** sha256 of the non-model files under models/ (TS helpers). */
  readonly helpersHash: string;
}

/** A plan node before its key is known (distributes over the node union). */
export type Unkeyed<N extends PlanNode> = N extends PlanNode ? Omit<N, "cacheKey"> : never;

/** The nodes (in topological order) with their `cacheKey`, placed right after `id`. */
export function withCacheKeys(nodes: readonly Unkeyed<PlanNode>[], sources: KeySources): PlanNode[] {
  const keys = new Map<string, string>();
  /** What a consumer's key takes from an input: a source's data identity, a model's key. */
  const inputKey = new Map<string, string>();
  return nodes.map((node) => {
    const key = keyOf(node, sources, (id) => {
      const k = inputKey.get(id);
      if (k === undefined) throw new Error(`internal error: cache key of ${id} needed before it was computed`);
      return k;
    });
    keys.set(node.id, key);
    inputKey.set(node.id, node.kind === "scan" ? sourceDataKey(node) : key);
    const { kind, id, ...rest } = node;
    return { kind, id, cacheKey: key, ...rest } as PlanNode;
  });
}

function keyOf(node: Unkeyed<PlanNode>, sources: KeySources, inputKey: (id: string) => string): string {
  switch (node.kind) {
    case "scan":
      return hash(["scan", node.table, node.files, node.schema, node.columns, node.filter]);
    case "sql": {
      const ast = sources.sqlAstHash.get(node.name);
      if (ast === undefined) throw new Error(`internal error: no parse tree hash for SQL model ${node.name}`);
      return hash(["sql", ast, node.inputs.map((id) => [id, inputKey(id)])]);
    }
    case "ts": {
      const code = sources.tsCodeIdentity.get(node.name);
      if (code === undefined) throw new Error(`internal error: no code identity for TS model ${node.name}`);
      return hash([
        "ts",
        code,
        sources.helpersHash,
        node.schema,
        node.packages,
        node.inputs.map((i) => [i.param, i.from, i.columns, i.filter, inputKey(i.from)]),
      ]);
    }
    case "materialize":
      return hash(["materialize", node.table, inputKey(node.from)]);
  }
}

/** A source table's data as its consumers see it: which immutable files, whatever the scan projects. */
function sourceDataKey(scan: Unkeyed<ScanNode>): string {
  return hash(["source", scan.table, scan.files]);
}

function hash(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify([CACHE_KEY_VERSION, ...parts])).digest("hex");
}
