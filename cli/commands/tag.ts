/** bp tag list | create NAME [REF]: immutable names for commits. */
import { createOut, textTable } from "../console.js";
import { lakeFailure, shortId } from "../lake-errors.js";
import { openProject } from "../project.js";

export interface TagCommandOptions {
  projectDir: string;
  json?: boolean;
}

export async function tagListCommand(opts: TagCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    const tags = await project.lake.tags();
    if (opts.json) out.result(JSON.stringify({ tags }, null, 2));
    else if (tags.length === 0) out.info("no tags yet: bp tag create <name> [ref]");
    else out.result(textTable(["tag", "commit"], tags.map((t) => [t.name, shortId(t.commit)])));
    return 0;
  } catch (err) {
    return lakeFailure(out, "tag list", err, opts.json);
  }
}

export async function tagCreateCommand(name: string, ref: string | undefined, opts: TagCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const at = ref ?? project.config.branch;
  try {
    const commit = await project.lake.createTag(name, at);
    if (opts.json) out.result(JSON.stringify({ ok: true, tag: name, ref: at, commit: commit.id }, null, 2));
    else out.info(`tagged ${shortId(commit.id)} (${at}) as ${name}`);
    return 0;
  } catch (err) {
    return lakeFailure(out, "tag create", err, opts.json);
  }
}
