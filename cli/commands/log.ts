/** bp log [--ref REF] [--table T] [-n N]: the first-parent history of a ref. */
import pc from "picocolors";
import { createOut } from "../console.js";
import { lakeFailure } from "../lake-errors.js";
import { openProject } from "../project.js";

export interface LogCommandOptions {
  projectDir: string;
  ref?: string;
  table?: string;
  maxCount?: number;
  json?: boolean;
}

export async function logCommand(opts: LogCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const ref = opts.ref ?? project.config.branch;
  try {
    const commits = await project.lake.log(ref, { ...(opts.table ? { table: opts.table } : {}), ...(opts.maxCount ? { limit: opts.maxCount } : {}) });
    if (opts.json) {
      out.result(
        JSON.stringify(
          commits.map((c) => ({ id: c.id, parents: c.parents, time: c.time, author: c.author, message: c.message, tables: Object.fromEntries(Object.entries(c.tables).map(([t, e]) => [t, { rows: e.rows }])) })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (commits.length === 0) {
      out.info(opts.table ? `no commit on ${ref} changed table ${opts.table}` : `${ref} has no commits yet`);
      return 0;
    }
    out.result(
      commits
        .map((c) => {
          const merge = c.parents.length > 1 ? `\nMerge: ${c.parents.map((p) => p.slice(0, 12)).join(" ")}` : "";
          const rows = opts.table && c.tables[opts.table] ? `\n    ${opts.table}: ${c.tables[opts.table]!.rows} rows` : opts.table ? `\n    ${opts.table}: removed` : "";
          return `${pc.yellow(`commit ${c.id}`)}${merge}\nAuthor: ${c.author}\nDate:   ${c.time}\n\n    ${c.message}${rows}\n`;
        })
        .join("\n"),
    );
    return 0;
  } catch (err) {
    return lakeFailure(out, "log", err, opts.json);
  }
}
