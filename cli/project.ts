/** Opens a project folder for the data commands: its config and its lake. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseProjectConfig, PROJECT_FILE, type ProjectConfig } from "../compiler/project-config.js";
import type { Lake } from "../runtime/lake/lake.js";
import { openLake } from "../runtime/lake/open-lake.js";
import { printDiagnostics, type Out } from "./console.js";

/** Disposable: `using project = openProject(...)` closes the lake's S3 client when the command ends. */
export interface OpenProject extends Disposable {
  readonly dir: string;
  readonly config: ProjectConfig;
  readonly lake: Lake;
}

export function openProject(projectDir: string, out: Out): OpenProject | null {
  const dir = path.resolve(projectDir);
  const file = path.join(dir, PROJECT_FILE);
  if (!existsSync(file)) {
    out.error(`bp: no ${PROJECT_FILE} in ${dir}\n  hint: run bp in a project folder, pass --project-dir, or create one with bp init`);
    return null;
  }
  const text = readFileSync(file, "utf8");
  const { config, diagnostics } = parseProjectConfig(text);
  if (!config) {
    printDiagnostics(out, diagnostics, new Map([[PROJECT_FILE, text]]));
    return null;
  }
  const lake = openLake(config, dir);
  return { dir, config, lake, [Symbol.dispose]: () => lake.close() };
}
