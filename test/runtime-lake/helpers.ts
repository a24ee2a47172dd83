import { createHash } from "node:crypto";
import { mkdtempSync, promises as fs, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Lake } from "../../runtime/lake/lake.js";
import type { TableEntry } from "../../runtime/lake/types.js";

const made: string[] = [];

/** A fresh temp folder, removed by `cleanupTemp()`. */
export function tempDir(prefix = "bp-lake-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Every file (path -> sha256) and folder (path -> "dir") under `root`; a missing root is `{}`.
 * Two equal snapshots mean the lake is byte-identical.
 */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const ent of entries) {
      const key = rel === "" ? ent.name : `${rel}/${ent.name}`;
      const abs = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        out[key] = "dir";
        await walk(abs, key);
      } else {
        out[key] = createHash("sha256").update(await fs.readFile(abs)).digest("hex");
      }
    }
  };
  await walk(root, "");
  return out;
}

export interface Duck {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  return {
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Rows as JSON-able values (bigints and decimals as strings), in result order. */
export async function rows(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowsJson() as unknown[][];
}

/** Column names and types of a query. */
export async function describe(conn: DuckDBConnection, sql: string): Promise<{ name: string; type: string }[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${sql}`);
  return r.getRowObjectsJS().map((o) => ({ name: String(o["column_name"]), type: String(o["column_type"]) }));
}

/** Number of rows in the symmetric multiset difference of two queries (0 = same rows). */
export async function symmetricDiff(conn: DuckDBConnection, a: string, b: string): Promise<number> {
  const r = await rows(
    conn,
    `SELECT count(*) FROM (((${a}) EXCEPT ALL (${b})) UNION ALL ((${b}) EXCEPT ALL (${a})))`,
  );
  return Number(r[0]?.[0]);
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A data file with arbitrary bytes (the catalog never looks inside data files). */
export function fakeEntry(lake: Lake, table: string, rows = 3, content = `fake ${Math.random()}`): TableEntry {
  const f = lake.newDataFile(table);
  writeFileSync(f.absolute, content);
  const bytes = Buffer.byteLength(content);
  return { schema: [{ name: "id", type: "BIGINT" }], rows, bytes, files: [{ path: f.path, rows, bytes }] };
}

