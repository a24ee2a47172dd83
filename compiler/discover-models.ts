/**
 * Finds the model files of a project: `models/**\/*.sql` and `models/**\/*.ts`.
 * A model's name is its file's name without the extension. Files whose name starts with `_`,
 * `.d.ts` declarations and `*.test.ts` files are not models (helpers can live beside them).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { diagnostic, type Diagnostic } from "./diagnostics.js";

export const MODELS_DIR = "models";

export interface ModelFile {
  readonly name: string;
  readonly kind: "sql" | "ts";
  /** Relative to the project root, `/`-separated. */
  readonly file: string;
  readonly text: string;
  /** The file's bytes (`text` is their UTF-8 decoding). */
  readonly bytes: Buffer;
}

const MODEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isModelFileName(fileName: string): "sql" | "ts" | null {
  if (fileName.startsWith("_") || fileName.startsWith(".")) return null;
  if (fileName.endsWith(".sql")) return "sql";
  if (fileName.endsWith(".d.ts") || fileName.endsWith(".test.ts")) return null;
  if (fileName.endsWith(".ts")) return "ts";
  return null;
}

export function discoverModels(projectDir: string): {
  models: ModelFile[];
  diagnostics: Diagnostic[];
  /** Every file under models/, helpers included, sorted (see listModelFolderFiles). */
  folderFiles: string[];
} {
  const diagnostics: Diagnostic[] = [];
  const folderFiles = listModelFolderFiles(projectDir);
  const files = folderFiles.filter((file) => isModelFileName(path.posix.basename(file)) !== null);

  const models: ModelFile[] = [];
  const byName = new Map<string, ModelFile[]>();
  for (const file of files) {
    const base = path.posix.basename(file);
    const kind = isModelFileName(base)!;
    const name = base.slice(0, base.length - (kind === "sql" ? 4 : 3));
    if (!MODEL_NAME.test(name)) {
      const fixed = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^(?=\d)/, "m_");
      const rename = MODEL_NAME.test(fixed) && !fixed.startsWith("_") ? `; rename it, e.g. to ${fixed}${base.slice(name.length)}` : "";
      diagnostics.push(
        diagnostic("BP0003", `"${base}" is not a valid model name`, { file }, `model file names are identifiers: letters, digits and '_', not starting with a digit${rename}`),
      );
      continue;
    }
    const bytes = readFileSync(path.join(projectDir, file));
    const model: ModelFile = { name, kind, file, text: bytes.toString("utf8"), bytes };
    models.push(model);
    const key = name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), model]);
  }
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    for (const m of same) {
      const others = same.filter((o) => o !== m).map((o) => o.file);
      diagnostics.push(
        diagnostic("BP0402", `duplicate model name "${m.name}" (also defined in ${others.join(", ")})`, { file: m.file, line: 1, column: 1 }, "a model's name is its file's name; rename one of the files"),
      );
    }
  }
  if (models.length === 0 && diagnostics.length === 0) {
    diagnostics.push(diagnostic("BP0002", `no models found under ${MODELS_DIR}/`, undefined, "add models/<name>.sql (one SELECT) or models/<name>.ts (export default model({...}))"));
  }
  return { models, diagnostics, folderFiles };
}

/** Every file under models/ (helpers included), relative and sorted: what the project's content hash covers. */
export function listModelFolderFiles(projectDir: string): string[] {
  const out: string[] = [];
  walk(path.join(projectDir, MODELS_DIR), MODELS_DIR, out, () => true);
  return out.sort();
}

function walk(absDir: string, relDir: string, out: string[], keep: (fileName: string) => boolean = (n) => isModelFileName(n) !== null): void {
  let entries;
  try {
    entries = readdirSync(absDir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const rel = `${relDir}/${e.name}`;
    const abs = path.join(absDir, e.name);
    const kind = e.isSymbolicLink() ? statKind(abs) : e.isDirectory() ? "dir" : e.isFile() ? "file" : null;
    if (kind === "dir") {
      if (!e.name.startsWith(".") && e.name !== "node_modules") walk(abs, rel, out, keep);
    } else if (kind === "file" && keep(e.name)) {
      out.push(rel);
    }
  }
}

/** What a symbolic link points at (models may be symlinked in); null when it is dangling. */
function statKind(abs: string): "dir" | "file" | null {
  try {
    const st = statSync(abs);
    return st.isDirectory() ? "dir" : st.isFile() ? "file" : null;
  } catch {
    return null;
  }
}
