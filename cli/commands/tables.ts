/** bp tables: the lake's tables at a ref, with row counts and schemas. */
import { compareText } from "../../compiler/diagnostics.js";
import { createOut, formatCount, textTable } from "../console.js";
import { openProject } from "../project.js";

export interface TablesCommandOptions {
  projectDir: string;
  ref?: string;
  json?: boolean;
}

export async function tablesCommand(opts: TablesCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const ref = opts.ref ?? project.config.branch;
  let commit;
  try {
    commit = await project.lake.resolve(ref);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (opts.json) out.result(JSON.stringify({ ok: false, error: message }, null, 2));
    out.error(`bp tables: ${message}`);
    return 1;
  }
  if (!commit) {
    if (opts.json) out.result(JSON.stringify({ ref, commit: null, tables: [] }, null, 2));
    else out.info(`the lake has no commits on "${ref}" yet: import a table with bp import <file> --table <name>`);
    return opts.ref && opts.ref !== project.config.branch ? 1 : 0;
  }
  const tables = Object.entries(commit.tables).sort(([a], [b]) => compareText(a, b));
  if (opts.json) {
    out.result(JSON.stringify({ ref, commit: commit.id, tables: tables.map(([name, t]) => ({ name, rows: t.rows, bytes: t.bytes, files: t.files.length, producedBy: t.producedBy ?? null, schema: t.schema })) }, null, 2));
    return 0;
  }
  out.info(`${ref} @ ${commit.id.slice(0, 12)} (${commit.time}) ${commit.message}\n`);
  out.result(
    textTable(
      ["table", "rows", "columns", "kind"],
      tables.map(([name, t]) => [name, formatCount(t.rows), t.schema.map((c) => `${c.name} ${c.type}`).join(", "), t.producedBy ? "model" : "source"]),
    ),
  );
  return 0;
}
