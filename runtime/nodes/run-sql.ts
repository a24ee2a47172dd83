/** A SQL model: `CREATE TABLE <name> AS <select>` in the run's DuckDB; nothing leaves DuckDB. Rows: CTAS's own count. */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SqlNode } from "../../compiler/plan-types.js";
import type { RunContext } from "../run-context.js";
import { quoteIdent } from "../sql-quote.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runSql(ctx: RunContext, node: SqlNode): Promise<{ rows: number | null }> {
  return ctx.withConnection(async (conn) => {
    let reader;
    try {
      // No parentheses around the SELECT: a trailing `;` or comment in the model stays valid.
      reader = await conn.runAndReadAll(`CREATE TABLE ${quoteIdent(node.name)} AS\n${node.sql}`);
    } catch (err) {
      // DuckDB counts our CREATE line: shift its "LINE n:" back to the model's own lines.
      const message = duckdbMessage(err).replace(/LINE (\d+):/, (_, n: string) => `LINE ${Number(n) - 1}:`);
      throw new NodeError({ cause: "sql", message, file: node.at.file, ...sourceLine(ctx, node, message) });
    }
    // CREATE TABLE AS answers with the rows it inserted (its "Count" column): no second query.
    const count = reader.getRows()[0]?.[0];
    if (typeof count === "bigint" || typeof count === "number") return { rows: Number(count) };
    const counted = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${quoteIdent(node.name)}`);
    return { rows: Number(counted.getRows()[0]![0]) };
  });
}

/**
 * The file line of DuckDB's `LINE n` (already shifted to the SELECT's lines). Only when the model has
 * no template tags: rendering can add or remove lines, and a wrong line is worse than none.
 */
function sourceLine(ctx: RunContext, node: SqlNode, message: string): { line?: number } {
  const m = /LINE (\d+):/.exec(message);
  if (!m) return {};
  try {
    const text = readFileSync(path.resolve(ctx.projectDir, node.at.file), "utf8");
    return text.includes("{{") ? {} : { line: Number(m[1]) };
  } catch {
    return {};
  }
}
