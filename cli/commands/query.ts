/**
 * bp query "SQL": read-only SQL over the lake's tables at a ref. Only SELECT statements are
 * accepted (checked with DuckDB's parser). Prints a text table, or JSON rows with dates and
 * timestamps as ISO-8601 strings.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { createLakeViews } from "../../runtime/lake/lake-views.js";
import { createOut, formatCount, textTable } from "../console.js";
import { withDuckDB } from "../duckdb.js";
import { openProject } from "../project.js";
import { columnEncoders } from "../../runtime/json-values.js";

export interface QueryCommandOptions {
  projectDir: string;
  ref?: string;
  maxRows: number;
  json?: boolean;
}

export async function queryCommand(sql: string, opts: QueryCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const ref = opts.ref ?? project.config.branch;
  return withDuckDB(async (conn) => {
    const fail = (message: string) => {
      if (opts.json) out.result(JSON.stringify({ ok: false, error: message }, null, 2));
      out.error(`bp query: ${message}`);
      return 1;
    };
    const notSelect = await checkReadOnly(conn, sql);
    if (notSelect) return fail(notSelect);
    let reader;
    try {
      await createLakeViews(project.lake, conn, ref, { sql });
      reader = await conn.runAndReadUntil(sql, opts.maxRows + 1);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
    const names = reader.deduplicatedColumnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    const rows = reader.getRowsJson().slice(0, opts.maxRows);
    const truncated = reader.currentRowCount > opts.maxRows;
    if (opts.json) {
      const encode = columnEncoders(types, rows);
      const objects = rows.map((r) => Object.fromEntries(r.map((v, i) => [names[i]!, encode[i]!(v)])));
      out.result(JSON.stringify(objects, null, 2));
      return 0;
    }
    out.result(textTable(names, rows.map((r) => r.map((v) => (v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v))))));
    out.info(truncated ? `(first ${formatCount(opts.maxRows)} rows; raise --max-rows to see more)` : `(${formatCount(rows.length)} row${rows.length === 1 ? "" : "s"})`);
    return 0;
  });
}

/** Null when `sql` is exactly one SELECT; otherwise what is wrong. */
async function checkReadOnly(conn: DuckDBConnection, sql: string): Promise<string | null> {
  const reader = await conn.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [sql]);
  const parsed = JSON.parse(String(reader.getRows()[0]![0])) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (parsed.error) {
    return /Only SELECT/i.test(parsed.error_message ?? "")
      ? "only read-only SELECT queries are allowed (bp query never changes the lake)"
      : (parsed.error_message ?? "cannot parse the query");
  }
  if ((parsed.statements ?? []).length !== 1) return "give exactly one SELECT statement";
  return null;
}
