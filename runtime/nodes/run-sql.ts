/** A SQL model: `CREATE TABLE <name> AS <select>` in the run's DuckDB; nothing leaves DuckDB. */
import type { SqlNode } from "../../compiler/plan-types.js";
import type { RunContext } from "../run-context.js";
import { quoteIdent } from "../sql-quote.js";
import { duckdbMessage, NodeError } from "./node-error.js";

export async function runSql(ctx: RunContext, node: SqlNode): Promise<{ rows: number | null }> {
  return ctx.withConnection(async (conn) => {
    try {
      await conn.run(`CREATE TABLE ${quoteIdent(node.name)} AS (\n${node.sql}\n)`);
    } catch (err) {
      const message = duckdbMessage(err);
      const line = /LINE (\d+):/.exec(message);
      throw new NodeError({
        cause: "sql",
        message,
        file: node.at.file,
        ...(line ? { line: Number(line[1]) - 1 } : {}),
      });
    }
    const reader = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${quoteIdent(node.name)}`);
    return { rows: Number(reader.getRows()[0]![0]) };
  });
}
