import { existsSync, promises as fs, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchMovedError, ImportError, type ImportFailure } from "../../runtime/lake/errors.js";
import { importFile } from "../../runtime/lake/import-table.js";
import { Lake, type CommitArgs } from "../../runtime/lake/lake.js";
import { scanSql } from "../../runtime/lake/lake-views.js";
import type { Commit } from "../../runtime/lake/types.js";
import { cleanupTemp, describe as describeSql, openDuck, rows, snapshotTree, sqlString, symmetricDiff, tempDir, type Duck } from "./helpers.js";

let duck: Duck;
beforeAll(async () => {
  duck = await openDuck();
});
afterAll(() => {
  duck.close();
  cleanupTemp();
});

/** A CSV with awkward values: quotes, commas, newlines in fields, unicode, empty cells (NULL). */
function salesCsv(n: number, seed = 0): string {
  const lines = ["id,customer,amount,day,at,paid,note"];
  for (let i = 0; i < n; i++) {
    const k = i + seed;
    const note = k % 7 === 0 ? "" : k % 5 === 0 ? `"say ""hi"", ${k}"` : k % 11 === 0 ? `"two\nlines"` : `n${k % 13}`;
    const day = `2024-${String((k % 12) + 1).padStart(2, "0")}-${String((k % 28) + 1).padStart(2, "0")}`;
    lines.push([k, k % 3 === 0 ? "Zoë" : `cust_${k % 17}`, (k * 1.25).toFixed(2), day, `${day} 12:${String(k % 60).padStart(2, "0")}:00`, k % 2 === 0, note].join(","));
  }
  return `${lines.join("\n")}\n`;
}

describe("importFile", () => {
  it("imports a CSV that reads back identical to DuckDB reading the original", async () => {
    const dir = tempDir();
    const csv = path.join(dir, "sales.csv");
    writeFileSync(csv, salesCsv(3000));
    const lake = Lake.open(path.join(dir, "lake"));
    const { commit, entry } = await importFile(lake, duck.conn, csv, "sales");

    expect(commit.message).toBe("import sales");
    expect(commit.parents).toEqual([]);
    expect(commit.tables).toEqual({ sales: entry });
    expect((await lake.head())!.id).toBe(commit.id);
    expect(entry.rows).toBe(3000);
    expect(entry.files).toHaveLength(1);
    const file = entry.files[0]!;
    expect(file.path).toMatch(/^data\/sales\/[0-9a-f-]{36}\.parquet$/);
    expect(file.bytes).toBe((await fs.stat(path.join(lake.root, file.path))).size);
    expect(entry.bytes).toBe(file.bytes);

    const original = `SELECT * FROM read_csv_auto(${sqlString(csv)})`;
    const imported = scanSql(lake, entry);
    expect(await describeSql(duck.conn, imported)).toEqual(await describeSql(duck.conn, original));
    expect(entry.schema).toEqual(await describeSql(duck.conn, original));
    expect(entry.schema.map((c) => c.type)).toEqual(["BIGINT", "VARCHAR", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR"]);
    expect(await symmetricDiff(duck.conn, original, imported)).toBe(0);
    expect(await rows(duck.conn, imported)).toEqual(await rows(duck.conn, original)); // same order too
    expect(await rows(duck.conn, `SELECT count(*) FILTER (WHERE note IS NULL) FROM (${imported})`)).toEqual([["429"]]);
  });

  it("imports Parquet (.parquet and .pq) with nested and exact types", async () => {
    const dir = tempDir();
    const src = path.join(dir, "events.pq");
    await duck.conn.run(`COPY (
      SELECT i::INTEGER AS id, (i * 1.5)::DECIMAL(18,3) AS price, 'ev_' || i AS name,
             TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) MINUTE AS at,
             [i, i + 1] AS tags, {'a': i, 'b': 'x' || i} AS info,
             CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS flag, i::UBIGINT AS big
      FROM range(2500) t(i)) TO ${sqlString(src)} (FORMAT parquet)`);
    const lake = Lake.open(path.join(dir, "lake"));
    const { entry, commit } = await importFile(lake, duck.conn, src, "events", { message: "load events", author: "loader" });
    expect(commit.message).toBe("load events");
    expect(commit.author).toBe("loader");
    expect(entry.rows).toBe(2500);
    const original = `SELECT * FROM read_parquet(${sqlString(src)})`;
    const imported = scanSql(lake, entry);
    expect(entry.schema).toEqual(await describeSql(duck.conn, original));
    expect(entry.schema.find((c) => c.name === "price")!.type).toBe("DECIMAL(18,3)");
    expect(await symmetricDiff(duck.conn, original, imported)).toBe(0);
    expect(await rows(duck.conn, imported)).toEqual(await rows(duck.conn, original));

    const copy = path.join(dir, "events.parquet");
    await fs.copyFile(src, copy);
    const second = await importFile(lake, duck.conn, copy, "events_copy");
    expect(second.commit.parents).toEqual([commit.id]);
    expect(Object.keys(second.commit.tables).sort()).toEqual(["events", "events_copy"]);
  });

  it("imports TSV files and globs of CSV files", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "people.tsv"), "name\tage\nann\t31\nbo, jr\t42\n");
    mkdirSync(path.join(dir, "parts"));
    writeFileSync(path.join(dir, "parts", "part-1.csv"), "k,v\n1,a\n2,b\n");
    writeFileSync(path.join(dir, "parts", "part-2.csv"), "k,v\n3,c\n");
    const lake = Lake.open(path.join(dir, "lake"));
    const tsv = await importFile(lake, duck.conn, path.join(dir, "people.tsv"), "people");
    expect(tsv.entry.schema).toEqual([{ name: "name", type: "VARCHAR" }, { name: "age", type: "BIGINT" }]);
    expect(await rows(duck.conn, scanSql(lake, tsv.entry))).toEqual([["ann", "31"], ["bo, jr", "42"]]);
    const glob = await importFile(lake, duck.conn, path.join(dir, "parts", "part-*.csv"), "parts");
    expect(glob.entry.rows).toBe(3);
    expect(await rows(duck.conn, `${scanSql(lake, glob.entry)} ORDER BY k`)).toEqual([["1", "a"], ["2", "b"], ["3", "c"]]);
    // a header-only CSV is a typed empty table
    writeFileSync(path.join(dir, "none.csv"), "a,b\n");
    const none = await importFile(lake, duck.conn, path.join(dir, "none.csv"), "none");
    expect(none.entry.rows).toBe(0);
    expect(await rows(duck.conn, scanSql(lake, none.entry))).toEqual([]);
  });

  it("refuses a CSV separated by another delimiter unless it is given", async () => {
    const dir = tempDir();
    const lake = Lake.open(path.join(dir, "lake"));
    const file = path.join(dir, "semi.csv");
    writeFileSync(file, "a;b;c\n1;2;3\n4;5;6\n");
    const err = await importFile(lake, duck.conn, file, "semi").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as Error).message).toMatch(/looks separated by ";" \(3 columns\)/);
    expect(await snapshotTree(lake.root)).toEqual({});
    const { entry } = await importFile(lake, duck.conn, file, "semi", { delimiter: ";", header: true });
    expect(entry.schema.map((c) => c.name)).toEqual(["a", "b", "c"]);
    expect(await rows(duck.conn, scanSql(lake, entry))).toEqual([["1", "2", "3"], ["4", "5", "6"]]);
  });

  it("re-importing replaces the table in a new commit; the old commit still reads the old data", async () => {
    const dir = tempDir();
    const lake = Lake.open(path.join(dir, "lake"));
    writeFileSync(path.join(dir, "v1.csv"), "x\n1\n2\n");
    writeFileSync(path.join(dir, "v2.csv"), "x,y\n10,a\n");
    writeFileSync(path.join(dir, "other.csv"), "z\n5\n");
    const other = await importFile(lake, duck.conn, path.join(dir, "other.csv"), "other");
    const v1 = await importFile(lake, duck.conn, path.join(dir, "v1.csv"), "t");
    const v2 = await importFile(lake, duck.conn, path.join(dir, "v2.csv"), "t");
    expect(v2.commit.parents).toEqual([v1.commit.id]);
    expect(v2.commit.tables["other"]).toEqual(other.entry);
    expect(v2.entry.files[0]!.path).not.toBe(v1.entry.files[0]!.path);
    const old = (await lake.tables(v1.commit.id))["t"]!;
    expect(await rows(duck.conn, scanSql(lake, old))).toEqual([["1"], ["2"]]);
    expect(await rows(duck.conn, scanSql(lake, (await lake.tables())["t"]!))).toEqual([["10", "a"]]);
  });
});

describe("a failed import commits nothing and leaves the lake byte-identical", () => {
  let dir: string;
  let lake: Lake;
  beforeAll(async () => {
    dir = tempDir();
    lake = Lake.open(path.join(dir, "lake"));
    writeFileSync(path.join(dir, "good.csv"), "a\n1\n");
    await importFile(lake, duck.conn, path.join(dir, "good.csv"), "good");
  });

  async function expectFailure(file: string, table: string, reason: ImportFailure, message?: RegExp): Promise<ImportError> {
    const before = await snapshotTree(lake.root);
    const head = await lake.headId();
    const err = await importFile(lake, duck.conn, file, table).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    const e = err as ImportError;
    expect(e.reason).toBe(reason);
    expect(e.code).toBe("import-failed");
    if (message) expect(e.message).toMatch(message);
    expect(await snapshotTree(lake.root)).toEqual(before);
    expect(await lake.headId()).toBe(head);
    return e;
  }

  it("missing file or glob", async () => {
    await expectFailure(path.join(dir, "nope.csv"), "t", "file-not-found", /nope\.csv: file not found/);
    await expectFailure(path.join(dir, "nope-*.parquet"), "t", "file-not-found", /no file matches/);
    mkdirSync(path.join(dir, "folder.parquet"));
    await expectFailure(path.join(dir, "folder.parquet"), "t", "file-not-found", /is a folder/);
  });

  it("bad table names", async () => {
    for (const name of ["1abc", "a-b", "", "a b", "zoë", "t;drop", "../x"]) {
      await expectFailure(path.join(dir, "good.csv"), name, "bad-table-name", /invalid table name/);
    }
  });

  it("unsupported or empty input", async () => {
    writeFileSync(path.join(dir, "data.json"), "[]");
    await expectFailure(path.join(dir, "data.json"), "t", "unsupported-format", /expected \.csv, \.tsv, \.parquet or \.pq/);
    writeFileSync(path.join(dir, "empty.csv"), "");
    await expectFailure(path.join(dir, "empty.csv"), "t", "empty-input");
  });

  it("malformed CSV (inconsistent columns, unterminated quote, not UTF-8)", async () => {
    writeFileSync(path.join(dir, "cols.csv"), "id,name,score\n1,alice,3.5\n2,bob,4\n3,carol,x,9\n4,dan,1\n");
    const e = await expectFailure(path.join(dir, "cols.csv"), "t", "unreadable-input", /cannot read .*cols\.csv as CSV/);
    expect(e.cause).toBeDefined();
    writeFileSync(path.join(dir, "quote.csv"), 'a,b\n1,2\n"unterminated,3\n');
    await expectFailure(path.join(dir, "quote.csv"), "t", "unreadable-input");
    writeFileSync(path.join(dir, "binary.csv"), Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x00, 0x81, 0x0a]));
    await expectFailure(path.join(dir, "binary.csv"), "t", "unreadable-input");
  });

  it("a CSV that fails half-way through writing (after the sniffer) removes the data file", async () => {
    const lines = ["id,name"];
    for (let i = 0; i < 120_000; i++) lines.push(`${i},n${i}`);
    lines.push("120000,bad,extra");
    writeFileSync(path.join(dir, "late.csv"), `${lines.join("\n")}\n`);
    await expectFailure(path.join(dir, "late.csv"), "late", "unreadable-input", /Line/);
  });

  it("a file that is not Parquet", async () => {
    writeFileSync(path.join(dir, "fake.parquet"), "this is not parquet at all");
    await expectFailure(path.join(dir, "fake.parquet"), "t", "unreadable-input", /as Parquet/);
  });

  it("a failure in a lake that does not exist yet leaves no files", async () => {
    const root = path.join(tempDir(), "lake");
    const fresh = Lake.open(root);
    const lines = ["id"];
    for (let i = 0; i < 60_000; i++) lines.push(String(i));
    lines.push("x,y");
    writeFileSync(path.join(dir, "late2.csv"), `${lines.join("\n")}\n`);
    await expect(importFile(fresh, duck.conn, path.join(dir, "late2.csv"), "t")).rejects.toBeInstanceOf(ImportError);
    expect(await snapshotTree(root)).toEqual({});
    expect(await fresh.head()).toBeNull();
  });

  it("a commit that loses the race removes its data file and reports BranchMovedError", async () => {
    const root = lake.root;
    let sneaky: Commit | null = null;
    class RacingLake extends Lake {
      override async commit(args: CommitArgs): Promise<Commit> {
        sneaky = await Lake.open(root).commit({ expectedHead: args.expectedHead, message: "meanwhile" });
        return super.commit(args);
      }
    }
    const racing = new RacingLake(lake.storage);
    const dataBefore = (await snapshotTree(path.join(root, "data")));
    const err = await importFile(racing, duck.conn, path.join(dir, "good.csv"), "raced").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BranchMovedError);
    expect((err as BranchMovedError).actual).toBe(sneaky!.id);
    expect(await snapshotTree(path.join(root, "data"))).toEqual(dataBefore);
    expect(existsSync(path.join(root, "data", "raced"))).toBe(false);
    expect((await lake.head())!.id).toBe(sneaky!.id);
  });
});
