/** bp import FILE --table NAME: a CSV or Parquet file becomes a source table in a new commit. */
import path from "node:path";
import { importFile } from "../../runtime/lake/import-table.js";
import { createOut, formatCount } from "../console.js";
import { withDuckDB } from "../duckdb.js";
import { openProject } from "../project.js";

export interface ImportCommandOptions {
  projectDir: string;
  table: string;
  branch?: string;
  delimiter?: string;
  json?: boolean;
}

export async function importCommand(file: string, opts: ImportCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const branch = opts.branch ?? project.config.branch;
  try {
    if (branch !== project.config.branch && (await project.lake.headId(branch)) === null) {
      out.error(`bp import: no branch ${branch} in the lake\n  hint: create it first with bp branch create ${branch} [--from REF]`);
      return 1;
    }
    const { commit, entry } = await withDuckDB((conn) => importFile(project.lake, conn, path.resolve(file), opts.table, { branch, ...(opts.delimiter ? { delimiter: opts.delimiter } : {}) }));
    if (opts.json) out.result(JSON.stringify({ ok: true, table: opts.table, commit: commit.id, branch, rows: entry.rows, schema: entry.schema }, null, 2));
    else out.info(`imported ${formatCount(entry.rows)} rows into ${opts.table} (${entry.schema.length} columns) on ${branch}, commit ${commit.id.slice(0, 12)}`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (opts.json) out.result(JSON.stringify({ ok: false, error: message }, null, 2));
    out.error(`bp import: ${message}\n  nothing was committed`);
    return 1;
  }
}
