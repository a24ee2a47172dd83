/** bp diff REF1 REF2: tables added, removed and changed (with row counts) from REF1 to REF2. */
import { createOut, formatCount, textTable } from "../console.js";
import { lakeFailure, shortId } from "../lake-errors.js";
import { openProject } from "../project.js";

export interface DiffCommandOptions {
  projectDir: string;
  json?: boolean;
}

export async function diffCommand(from: string, to: string, opts: DiffCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    const d = await project.lake.diff(from, to);
    if (opts.json) {
      out.result(JSON.stringify(d, null, 2));
      return 0;
    }
    out.info(`${from} (${shortId(d.from)}) -> ${to} (${shortId(d.to)})`);
    const rows = [
      ...d.added.map((a) => ["+", a.table, "added", "", formatCount(a.rows)]),
      ...d.removed.map((r) => ["-", r.table, "removed", formatCount(r.rows), ""]),
      ...d.changed.map((c) => ["~", c.table, c.schemaChanged ? "changed (schema)" : "changed", formatCount(c.rowsBefore), formatCount(c.rowsAfter)]),
    ].sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0));
    if (rows.length === 0) out.result("no table differs");
    else out.result(textTable(["", "table", "change", `rows ${from}`, `rows ${to}`], rows));
    return 0;
  } catch (err) {
    return lakeFailure(out, "diff", err, opts.json);
  }
}
