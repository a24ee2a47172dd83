/**
 * A tiny test language for projects: write a project from a map of path -> text into a fresh temp
 * folder, import source tables made by DuckDB SQL, run the real CLI.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BP = path.join(ROOT, "bin", "bp.js");

export function writeProject(files: Record<string, string>, name = "proj"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bp-test-${name}-`));
  const withConfig = { "bp_project.yml": `name: ${name}\n`, ...files };
  for (const [rel, text] of Object.entries(withConfig)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/**
 * Creates `<dir>/data/<table>.parquet` from a DuckDB SELECT and imports it with `bp import`
 * (`args`: more options, e.g. `["--branch", "dev"]`).
 */
export async function importSql(dir: string, table: string, select: string, args: readonly string[] = []): Promise<void> {
  const file = path.join(dir, "data", `${table}.parquet`);
  mkdirSync(path.dirname(file), { recursive: true });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  const r = await bp(["import", file, "--table", table, "-p", dir, ...args]);
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}${r.stdout}`);
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (`node bin/bp.js ...`) as a real process. */
export function bp(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BP, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** sha256 of every folder and file under `dir` (path + bytes): equal digests mean byte-identical trees. */
export function treeDigest(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) {
        hash.update(`${path.relative(dir, p)}/\0`); // empty folders count too
        walk(p);
      }
      else hash.update(path.relative(dir, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/** Every file under `dir` (project-relative path -> sha256 of its bytes). */
export function treeFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p).split(path.sep).join("/")] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** Rows of a query run directly in DuckDB (the reference the tests compare bp's results with). */
export async function duckdbRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The lines of `bp build --json` (NDJSON), parsed. */
export function jsonEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The RunResult of `bp build --json`: its last line, the run-end event. */
export function runResultOf<T = import("../../runtime/run-events.js").RunResult>(stdout: string): T {
  const last = jsonEvents(stdout).at(-1);
  if (last?.["type"] !== "run-end" || last["result"] === null) throw new Error(`no run-end event with a result at the end of:\n${stdout}`);
  return last["result"] as T;
}
