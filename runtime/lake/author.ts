/** Who a commit is by, when the caller does not say. */
import { execFileSync } from "node:child_process";
import os from "node:os";

let cached: string | null = null;

/** `git config user.name` if git answers quickly, else $USER (or the OS user), else "unknown". Cached. */
export function defaultAuthor(): string {
  if (cached !== null) return cached;
  let name = "";
  try {
    name = execFileSync("git", ["config", "user.name"], {
      encoding: "utf8",
      timeout: 1000,
      stdio: ["ignore", "pipe", "ignore"],
      windowsHide: true,
    }).trim();
  } catch {
    name = "";
  }
  if (name === "") name = (process.env.USER ?? process.env.USERNAME ?? "").trim();
  if (name === "") {
    try {
      name = os.userInfo().username.trim();
    } catch {
      name = "";
    }
  }
  cached = name === "" ? "unknown" : name;
  return cached;
}
