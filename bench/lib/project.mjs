// Temp bp projects: write files, import a Parquet source with `bp import`, find lake files.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bp } from "./proc.mjs";

/** Writes `files` (relative path -> text) under `dir`, with a bp_project.yml unless given. */
export function writeProject(dir, name, files) {
  const all = { "bp_project.yml": `name: ${name}\n`, ...files };
  for (const [rel, text] of Object.entries(all)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** `bp import FILE --table TABLE -p DIR`; returns the path of the lake's data file for the table. */
export async function importSource(dir, file, table) {
  await bp(["import", file, "--table", table, "-p", dir]);
  const files = lakeDataFiles(dir, table);
  if (files.length !== 1) throw new Error(`expected one lake data file for ${table} after import, found ${files.length}`);
  return files[0];
}

/** The Parquet data files of `table` under the project's default lake (.bp/lake). */
export function lakeDataFiles(dir, table) {
  const folder = path.join(dir, ".bp", "lake", "data", table);
  return readdirSync(folder).filter((f) => f.endsWith(".parquet")).map((f) => path.join(folder, f));
}
