/** bp branch list | create NAME [--from REF] | delete NAME. */
import { createOut, textTable } from "../console.js";
import { lakeFailure, shortId } from "../lake-errors.js";
import { openProject } from "../project.js";

export interface BranchCommandOptions {
  projectDir: string;
  from?: string;
  json?: boolean;
}

export async function branchListCommand(opts: BranchCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    const branches = await project.lake.branches();
    if (opts.json) {
      out.result(JSON.stringify({ default: project.config.branch, branches }, null, 2));
      return 0;
    }
    if (branches.length === 0) {
      out.info("the lake has no branches yet: import a table with bp import <file> --table <name>");
      return 0;
    }
    out.result(textTable(["branch", "head"], branches.map((b) => [`${b.name === project.config.branch ? "* " : "  "}${b.name}`, shortId(b.commit)])));
    return 0;
  } catch (err) {
    return lakeFailure(out, "branch list", err, opts.json);
  }
}

export async function branchCreateCommand(name: string, opts: BranchCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  const from = opts.from ?? project.config.branch;
  try {
    const commit = await project.lake.createBranch(name, from);
    if (opts.json) out.result(JSON.stringify({ ok: true, branch: name, from, commit: commit.id }, null, 2));
    else out.info(`created branch ${name} at ${shortId(commit.id)} (from ${from})`);
    return 0;
  } catch (err) {
    return lakeFailure(out, "branch create", err, opts.json);
  }
}

export async function branchDeleteCommand(name: string, opts: BranchCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  using project = openProject(opts.projectDir, out);
  if (!project) return 1;
  try {
    const head = await project.lake.deleteBranch(name, [project.config.branch]);
    if (opts.json) out.result(JSON.stringify({ ok: true, branch: name, head }, null, 2));
    else out.info(`deleted branch ${name} (was at ${shortId(head)}; bp branch create ${name} --from ${head.slice(0, 12)} restores it)`);
    return 0;
  } catch (err) {
    return lakeFailure(out, "branch delete", err, opts.json);
  }
}
