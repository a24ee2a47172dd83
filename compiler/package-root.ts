import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The bp package's root folder (holds package.json), whether running from sources or from dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("bp: cannot find its package.json");
    dir = parent;
  }
  return dir;
}

/** A file of the built package (dist/...), for things that must run as plain JS (child processes). */
export function distFile(relative: string): string {
  return path.join(packageRoot(), "dist", relative);
}
