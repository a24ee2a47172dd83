/**
 * bp init [dir]: copies templates/starter into dir (rendering *.hbs with handlebars), then imports
 * its sample CSV as the source table `orders`, so `bp build` runs as is.
 */
import Handlebars from "handlebars";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../compiler/package-root.js";
import { createOut } from "../console.js";
import { importCommand } from "./import.js";

export interface InitCommandOptions {
  import: boolean;
}

const RENAMES: Record<string, string> = { "gitignore": ".gitignore" };

export async function initCommand(dir: string, opts: InitCommandOptions): Promise<number> {
  const out = createOut(false);
  const target = path.resolve(dir);
  if (existsSync(path.join(target, "bp_project.yml"))) {
    out.error(`bp init: ${target} already holds a bp project (bp_project.yml); nothing was changed`);
    return 1;
  }
  const name = path.basename(target).replace(/[^A-Za-z0-9_.-]/g, "_") || "my_project";
  const template = path.join(packageRoot(), "templates", "starter");
  const written: string[] = [];
  copyTree(template, target, { name }, written);
  out.info(`created ${written.length} files in ${target}`);
  if (opts.import) {
    const code = await importCommand(path.join(target, "data", "orders.csv"), { projectDir: target, table: "orders" });
    if (code !== 0) return code;
  }
  out.info(`next: cd ${path.relative(process.cwd(), target) || "."} && bp build`);
  return 0;
}

function copyTree(from: string, to: string, context: Record<string, string>, written: string[]): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      copyTree(source, path.join(to, entry.name), context, written);
      continue;
    }
    const isTemplate = entry.name.endsWith(".hbs");
    const base = isTemplate ? entry.name.slice(0, -4) : entry.name;
    const dest = path.join(to, RENAMES[base] ?? base);
    if (existsSync(dest)) continue; // never overwrite the user's files
    if (isTemplate) writeFileSync(dest, Handlebars.compile(readFileSync(source, "utf8"), { noEscape: true })(context));
    else copyFileSync(source, dest);
    written.push(dest);
  }
}
