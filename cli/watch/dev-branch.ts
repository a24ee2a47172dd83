/**
 * The branch `bp watch` builds on: `--ref BRANCH`, else a per-user development branch `dev-<user>`,
 * made from the project's branch when missing. Watch never builds on the project's branch unless
 * asked to by name.
 */
import os from "node:os";
import type { Lake } from "../../runtime/lake/lake.js";
import { assertBranchName } from "../../runtime/lake/names.js";

/** `dev-<user>`, the user from the OS (else $USER) made a valid branch name. */
export function defaultDevBranch(user: string = currentUser()): string {
  const clean = user.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-]+|[-]+$/g, "").slice(0, 60);
  return `dev-${clean === "" ? "user" : clean}`;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["USERNAME"] ?? "user";
  }
}

/** The branch exists now; `created` when watch made it from `from`. Throws on a bad name or an empty lake. */
export async function ensureBranch(lake: Lake, branch: string, from: string): Promise<{ created: boolean }> {
  assertBranchName(branch);
  if ((await lake.headId(branch)) !== null) return { created: false };
  if (branch === from) return { created: false }; // the project's branch of an empty lake: the first run makes it
  if ((await lake.headId(from)) === null) return { created: false }; // nothing to branch from: the first run's commit starts it
  await lake.createBranch(branch, from);
  return { created: true };
}
