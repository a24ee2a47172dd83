/** bp merge FROM [--into BRANCH]: fast-forward, or a three-way merge at table granularity. */
import { createOut } from "../console.js";
import { lakeFailure, shortId } from "../lake-errors.js";
import { openProject } from "../project.js";

export interface MergeCommandOptions {
  projectDir: string;
  into?: string;
  message?: string;
  json?: boolean;
}

export async function mergeCommand(from: string, opts: MergeCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const into = opts.into ?? project.config.branch;
  try {
    const r = await project.lake.merge({ from, into, ...(opts.message ? { message: opts.message } : {}) });
    if (opts.json) {
      out.result(JSON.stringify({ ok: true, kind: r.kind, into, from, commit: r.commit.id, previousHead: r.previousHead, mergeBase: r.mergeBase }, null, 2));
    } else if (r.kind === "up-to-date") out.info(`${into} already contains ${from}: nothing to merge`);
    else if (r.kind === "fast-forward") out.info(`fast-forward ${into}: ${shortId(r.previousHead)} -> ${shortId(r.commit.id)}`);
    else out.info(`merged ${from} into ${into}: commit ${shortId(r.commit.id)} (parents ${r.commit.parents.map(shortId).join(", ")}; base ${shortId(r.mergeBase)})`);
    return 0;
  } catch (err) {
    return lakeFailure(out, "merge", err, opts.json);
  }
}
