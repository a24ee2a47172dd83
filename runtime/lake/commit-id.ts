/**
 * Canonical JSON and commit ids. A commit id is the sha256 (hex) of the canonical JSON of the
 * commit without its `id`: object keys sorted (by UTF-16 code units), no whitespace, arrays in order.
 */
import { createHash } from "node:crypto";
import type { CommitBody } from "./types.js";

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The id of a commit: sha256 of the canonical JSON of everything but the id. */
export function commitId(body: CommitBody): string {
  const { parents, time, message, author, tables } = body;
  return sha256Hex(canonicalJson({ parents, time, message, author, tables }));
}
