/**
 * A SQL model's code identity for cache keys: sha256 of DuckDB's parse tree without its source
 * positions (`query_location`). Comments, whitespace and line breaks never reach the tree, so editing
 * them keeps the hash; any change to what the query means (a filter, a column, a literal) changes it.
 */
import { createHash } from "node:crypto";

export function sqlAstHash(ast: unknown): string {
  const text = JSON.stringify(ast, (key, value: unknown) => {
    if (key === "query_location") return undefined;
    return typeof value === "bigint" ? value.toString() : value;
  });
  return createHash("sha256").update(text).digest("hex");
}
