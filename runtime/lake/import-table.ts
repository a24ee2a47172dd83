/**
 * `importFile`: load a CSV/TSV or Parquet file (or a glob of them) into the lake as one new data
 * file and commit "import <table>", replacing the table. On any failure nothing is committed and
 * the data file is removed.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ImportError, firstLine } from "./errors.js";
import type { Lake } from "./lake.js";
import { DEFAULT_BRANCH, isValidTableName } from "./names.js";
import { quoteString } from "./sql-quote.js";
import type { Commit, TableEntry } from "./types.js";
import { copySelectToLake } from "./write-table.js";

export type ImportFormat = "csv" | "tsv" | "parquet";

export interface ImportOptions {
  /** Default "main". */
  readonly branch?: string;
  /** Default `import <table>`. */
  readonly message?: string;
  /** Default `defaultAuthor()`. */
  readonly author?: string;
  /** CSV/TSV only: the field separator (default `,` for .csv, tab for .tsv). */
  readonly delimiter?: string;
  /** CSV/TSV only: whether the first line is a header (default: detected). */
  readonly header?: boolean;
}

const GLOB_RE = /[*?[]/;

/** The format implied by a file name (or glob): `.csv`, `.tsv` (optionally `.gz`/`.zst`), `.parquet`, `.pq`. */
export function detectFormat(file: string): ImportFormat | null {
  const name = path.basename(file).toLowerCase().replace(/\.(gz|zst)$/, "");
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".tsv")) return "tsv";
  if (name.endsWith(".parquet") || name.endsWith(".pq")) return "parquet";
  return null;
}

/** The DuckDB table function reading the input. CSV dialect is pinned so malformed rows fail loudly. */
function sourceSql(format: ImportFormat, location: string, options: ImportOptions): string {
  if (format === "parquet") return `read_parquet(${quoteString(location)})`;
  const delim = options.delimiter ?? (format === "tsv" ? "\t" : ",");
  const args = [
    quoteString(location),
    `delim = ${quoteString(delim)}`,
    `quote = '"'`,
    `escape = '"'`,
    "skip = 0",
    "strict_mode = true",
  ];
  if (options.header !== undefined) args.push(`header = ${options.header}`);
  return `read_csv(${args.join(", ")})`;
}

async function checkInput(file: string, absolute: string): Promise<void> {
  if (GLOB_RE.test(path.basename(absolute))) return; // DuckDB expands it (and reports no match)
  let st: import("node:fs").Stats;
  try {
    st = await fs.stat(absolute);
  } catch {
    throw new ImportError("file-not-found", file, `cannot import ${file}: file not found`);
  }
  if (st.isDirectory()) {
    throw new ImportError(
      "file-not-found",
      file,
      `cannot import ${file}: it is a folder; pass a file or a glob such as ${path.join(file, "*.parquet")}`,
    );
  }
  if (st.size === 0) throw new ImportError("empty-input", file, `cannot import ${file}: the file is empty`);
}

/**
 * With the delimiter pinned, a `;`- or `|`-separated file reads as one wide column. If DuckDB's
 * sniffer finds several columns with another delimiter, refuse rather than import garbage.
 */
async function checkOtherDelimiter(conn: DuckDBConnection, file: string, absolute: string, pinned: string): Promise<void> {
  let sniffed: { delimiter: string; columns: number } | null = null;
  try {
    const r = await conn.runAndReadAll(`SELECT Delimiter, len(Columns) FROM sniff_csv(${quoteString(absolute)})`);
    const row = r.getRowsJS()[0];
    if (row) sniffed = { delimiter: String(row[0]), columns: Number(row[1]) };
  } catch {
    return; // the pinned read worked; the sniffer's opinion is only a hint
  }
  if (sniffed !== null && sniffed.delimiter !== pinned && sniffed.columns > 1) {
    throw new ImportError(
      "unreadable-input",
      file,
      `cannot import ${file}: it looks separated by ${JSON.stringify(sniffed.delimiter)} (${sniffed.columns} columns), not ${JSON.stringify(pinned)}; pass it with --delimiter ${JSON.stringify(sniffed.delimiter)}`,
    );
  }
}

function readFailure(file: string, format: ImportFormat, e: unknown): ImportError {
  const text = e instanceof Error ? e.message : String(e);
  if (/No files found that match the pattern/i.test(text)) {
    return new ImportError("file-not-found", file, `cannot import ${file}: no file matches`, { cause: e });
  }
  const what = format === "parquet" ? "Parquet" : format.toUpperCase();
  return new ImportError("unreadable-input", file, `cannot read ${file} as ${what}: ${firstLine(e)}`, { cause: e });
}

export async function importFile(
  lake: Lake,
  conn: DuckDBConnection,
  file: string,
  table: string,
  options: ImportOptions = {},
): Promise<{ commit: Commit; entry: TableEntry }> {
  if (!isValidTableName(table)) {
    throw new ImportError(
      "bad-table-name",
      file,
      `cannot import ${file}: invalid table name ${JSON.stringify(table)} (use letters, digits and _, not starting with a digit)`,
    );
  }
  const format = detectFormat(file);
  if (format === null) {
    throw new ImportError(
      "unsupported-format",
      file,
      `cannot import ${file}: unknown file type; expected .csv, .tsv, .parquet or .pq`,
    );
  }
  const absolute = path.resolve(file);
  await checkInput(file, absolute);

  const branch = options.branch ?? DEFAULT_BRANCH;
  const expectedHead = await lake.headId(branch);
  const source = sourceSql(format, absolute, options);

  // Read the input once before creating anything in the lake: most bad inputs fail here.
  let columnCount: number;
  try {
    columnCount = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRows().length;
  } catch (e) {
    throw readFailure(file, format, e);
  }
  if (format !== "parquet" && columnCount === 1 && options.delimiter === undefined && !GLOB_RE.test(path.basename(absolute))) {
    await checkOtherDelimiter(conn, file, absolute, format === "tsv" ? "\t" : ",");
  }

  let entry: TableEntry;
  try {
    entry = await copySelectToLake(lake, conn, `SELECT * FROM ${source}`, table);
  } catch (e) {
    throw readFailure(file, format, e);
  }

  try {
    const commit = await lake.commit({
      branch,
      expectedHead,
      message: options.message ?? `import ${table}`,
      ...(options.author === undefined ? {} : { author: options.author }),
      put: { [table]: entry },
    });
    return { commit, entry };
  } catch (e) {
    await discardUnreferenced(lake, branch, entry);
    throw e;
  }
}

/**
 * After a failed commit, removes the new data files unless the branch head references them (an
 * I/O error after the head moved must not delete committed data). When unsure, keeps them: an
 * orphan file is harmless.
 */
async function discardUnreferenced(lake: Lake, branch: string, entry: TableEntry): Promise<void> {
  try {
    const head = await lake.head(branch);
    const used = new Set(Object.values(head?.tables ?? {}).flatMap((t) => t.files.map((f) => f.path)));
    for (const f of entry.files) if (!used.has(f.path)) await lake.discardDataFile(f.path);
  } catch {
    // keep the files
  }
}
