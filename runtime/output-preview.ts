/**
 * The first rows of a model's output, as JSON-safe values (RunOptions.preview; `bp watch` prints
 * them after each run). Read from DuckDB when the output is there, else from the first record
 * batch of the TS model's Arrow IPC file (nothing else of the file is read).
 */
import type { SqlNode, TsNode } from "../compiler/plan-types.js";
import { columnEncoders } from "./json-values.js";
import type { RunContext } from "./run-context.js";
import type { OutputPreview } from "./run-events.js";
import { quoteIdent } from "./sql-quote.js";

export async function previewOutput(ctx: RunContext, node: SqlNode | TsNode, rows: number): Promise<OutputPreview | undefined> {
  try {
    const file = node.kind === "ts" ? ctx.tsOutputs.get(node.id) : undefined;
    if (file !== undefined && !(await inDuckDB(ctx, node.name))) return await previewArrowFile(file.path, rows);
    return await ctx.withConnection(async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT * FROM ${quoteIdent(node.name)} LIMIT ${Math.max(0, Math.floor(rows))}`);
      const types = reader.columnTypes().map((t) => t.toString());
      const values = reader.getRowsJson();
      const encode = columnEncoders(types, values);
      return { columns: reader.columnNames(), rows: values.map((r) => r.map((v, i) => encode[i]!(v))) };
    });
  } catch {
    return undefined; // a preview is a courtesy: never fails the node
  }
}

async function inDuckDB(ctx: RunContext, name: string): Promise<boolean> {
  return ctx.withConnection(async (conn) => {
    const r = await conn.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${name.replace(/'/g, "''")}'`);
    return Number(r.getRows()[0]![0]) > 0;
  });
}

/** The first rows of an Arrow IPC file, mapped (only the pages of its first batches are touched). */
async function previewArrowFile(file: string, rows: number): Promise<OutputPreview> {
  const { mapIpcFile, ipcReader, readIpcTable } = await import("./native/ipc-file.js");
  const mapped = mapIpcFile(file);
  try {
    const batches = mapped ? ipcReader(mapped) : readIpcTable(file).table.batches;
    const out: unknown[][] = [];
    let columns: string[] = [];
    for (const batch of batches) {
      columns = batch.schema.fields.map((f) => f.name);
      for (let i = 0; i < batch.numRows && out.length < rows; i++) out.push(columns.map((_, c) => jsonSafe(batch.getChildAt(c)?.get(i))));
      if (out.length >= rows) break;
    }
    return { columns, rows: out };
  } finally {
    mapped?.release();
  }
}

function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return String(v);
  return v;
}
