import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnknownColumnError, WriteTableError } from "../../runtime/lake/errors.js";
import { importFile } from "../../runtime/lake/import-table.js";
import { Lake } from "../../runtime/lake/lake.js";
import { createLakeViews, scanSql } from "../../runtime/lake/lake-views.js";
import type { TableEntry } from "../../runtime/lake/types.js";
import { writeTableToLake } from "../../runtime/lake/write-table.js";
import { cleanupTemp, describe as describeSql, openDuck, rows, snapshotTree, tempDir, type Duck } from "./helpers.js";

let duck: Duck;
beforeAll(async () => {
  duck = await openDuck();
  await duck.conn.run(`CREATE TABLE src AS SELECT i AS id, 'name ' || i AS "Full Name", i % 3 AS "we""ird", (i * 2.5)::DECIMAL(10,2) AS "select" FROM range(10) t(i)`);
});
afterAll(() => {
  duck.close();
  cleanupTemp();
});

/** A lake whose root has a quote and a space in its path, to exercise string quoting. */
function awkwardLake(): Lake {
  return Lake.open(path.join(tempDir(), "it's a lake"));
}

describe("writeTableToLake", () => {
  it("writes a DuckDB table, a quoted name or a query, without committing", async () => {
    const lake = awkwardLake();
    const byName = await writeTableToLake(lake, duck.conn, "src", "copy1");
    const quoted = await writeTableToLake(lake, duck.conn, 'main."src"', "copy2");
    const query = await writeTableToLake(lake, duck.conn, "SELECT id FROM src WHERE id < 4 -- only a few\n;", "small");
    expect(await lake.head()).toBeNull();
    expect(byName.rows).toBe(10);
    expect(quoted.rows).toBe(10);
    expect(query.rows).toBe(4);
    expect(byName.schema).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "Full Name", type: "VARCHAR" },
      { name: 'we"ird', type: "BIGINT" },
      { name: "select", type: "DECIMAL(10,2)" },
    ]);
    expect(query.schema).toEqual([{ name: "id", type: "BIGINT" }]);
    for (const e of [byName, quoted, query]) {
      expect(e.files).toHaveLength(1);
      expect(existsSync(lake.dataFileLocation(e.files[0]!.path))).toBe(true);
    }
    const c = await lake.commit({ expectedHead: null, message: "build", put: { copy1: byName, small: query } });
    expect(Object.keys(c.tables).sort()).toEqual(["copy1", "small"]);
  });

  it("a failing query leaves no data file", async () => {
    const lake = awkwardLake();
    await writeTableToLake(lake, duck.conn, "src", "ok");
    const before = await snapshotTree(lake.root);
    const err = await writeTableToLake(lake, duck.conn, "SELECT no_such_column FROM src", "bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteTableError);
    expect((err as Error).message).toMatch(/cannot write table bad to the lake: .*no_such_column/);
    // fails during execution, after the file was opened
    const err2 = await writeTableToLake(lake, duck.conn, "SELECT CAST('x' || id AS INTEGER) AS v FROM src", "bad2").catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(WriteTableError);
    expect(await snapshotTree(lake.root)).toEqual(before);
    await expect(writeTableToLake(lake, duck.conn, "src", "bad-name")).rejects.toThrow(/invalid table name/);
  });
});

describe("scanSql", () => {
  let lake: Lake;
  let entry: TableEntry;
  beforeAll(async () => {
    lake = awkwardLake();
    entry = await writeTableToLake(lake, duck.conn, "src", "t");
  });

  it("selects every column by default, in schema order", async () => {
    const sql = scanSql(lake, entry);
    expect(sql).toBe(
      `SELECT "id", "Full Name", "we""ird", "select" FROM read_parquet(['${lake.dataFileLocation(entry.files[0]!.path).replaceAll("'", "''")}'])`,
    );
    expect(await rows(duck.conn, sql)).toEqual(await rows(duck.conn, "SELECT * FROM src"));
  });

  it("pushes projection and filter", async () => {
    const sql = scanSql(lake, entry, ["select", "Full Name"], `"we""ird" = 1 AND id > 3`);
    expect(sql).toMatch(/^SELECT "select", "Full Name" FROM read_parquet\(\[.*\]\) WHERE \("we""ird" = 1 AND id > 3\)$/);
    expect(await rows(duck.conn, sql)).toEqual([["10.00", "name 4"], ["17.50", "name 7"]]);
    expect(await describeSql(duck.conn, sql)).toEqual([
      { name: "select", type: "DECIMAL(10,2)" },
      { name: "Full Name", type: "VARCHAR" },
    ]);
    // case-insensitive like DuckDB, emitted as stored; null/blank filter means no filter
    expect(scanSql(lake, entry, ["ID", "full name"], null)).toMatch(/^SELECT "id", "Full Name" FROM read_parquet\(\[[^\]]*\]\)$/);
    expect(scanSql(lake, entry, ["id"], "  ")).not.toContain("WHERE");
    expect(() => scanSql(lake, entry, ["nope"])).toThrow(UnknownColumnError);
  });

  it("reads every file of a multi-file table", async () => {
    const more = await writeTableToLake(lake, duck.conn, "SELECT * FROM src WHERE id >= 5", "t");
    const both: TableEntry = {
      schema: entry.schema,
      rows: entry.rows + more.rows,
      bytes: entry.bytes + more.bytes,
      files: [...entry.files, ...more.files],
    };
    const c = await lake.commit({ expectedHead: await lake.headId(), message: "two files", put: { t: both } });
    const stored = c.tables["t"]!;
    expect(stored.files).toHaveLength(2);
    expect(await rows(duck.conn, `SELECT count(*), sum(id) FROM (${scanSql(lake, stored, ["id"], "id >= 5")})`)).toEqual([["10", "70"]]);
  });

  it("an empty column list keeps the row count", async () => {
    const sql = scanSql(lake, entry, [], "id < 7");
    expect(await rows(duck.conn, `SELECT count(*) FROM (${sql})`)).toEqual([["7"]]);
  });

  it("a table with no files is empty and correctly typed", async () => {
    const empty: TableEntry = { schema: entry.schema, rows: 0, bytes: 0, files: [] };
    const c = await lake.commit({ expectedHead: await lake.headId(), message: "empty", put: { e: empty } });
    const stored = c.tables["e"]!;
    const all = scanSql(lake, stored);
    expect(await rows(duck.conn, all)).toEqual([]);
    expect(await describeSql(duck.conn, all)).toEqual(entry.schema);
    const some = scanSql(lake, stored, ["select", "id"], `"we""ird" = 1`);
    expect(await rows(duck.conn, some)).toEqual([]);
    expect(await describeSql(duck.conn, some)).toEqual([
      { name: "select", type: "DECIMAL(10,2)" },
      { name: "id", type: "BIGINT" },
    ]);
    expect(await rows(duck.conn, `SELECT count(*) FROM (${scanSql(lake, stored, [])})`)).toEqual([["0"]]);
    // a filter over an unknown column is still an error, as it would be with files
    await expect(rows(duck.conn, scanSql(lake, stored, ["id"], "nope = 1"))).rejects.toThrow(/nope/);
  });

  it("a zero-row data file is empty and correctly typed", async () => {
    const zero = await writeTableToLake(lake, duck.conn, "SELECT * FROM src WHERE false", "z");
    expect(zero.rows).toBe(0);
    expect(zero.files).toHaveLength(1);
    expect(await rows(duck.conn, scanSql(lake, zero))).toEqual([]);
    expect(await describeSql(duck.conn, scanSql(lake, zero))).toEqual(entry.schema);
  });
});

describe("createLakeViews", () => {
  it("creates one view per table of a ref", async () => {
    const dir = tempDir();
    const lake = Lake.open(path.join(dir, "lake"));
    writeFileSync(path.join(dir, "a.csv"), "x\n1\n2\n");
    writeFileSync(path.join(dir, "b.csv"), "y\nhello\n");
    const first = await importFile(lake, duck.conn, path.join(dir, "a.csv"), "alpha");
    await importFile(lake, duck.conn, path.join(dir, "b.csv"), "beta");
    const other = await openDuck();
    try {
      expect(await createLakeViews(lake, other.conn)).toEqual(["alpha", "beta"]);
      expect(await rows(other.conn, "SELECT sum(x) FROM alpha")).toEqual([["3"]]);
      expect(await rows(other.conn, "SELECT y FROM beta")).toEqual([["hello"]]);
      // at an older commit, beta does not exist yet
      const old = await openDuck();
      try {
        expect(await createLakeViews(lake, old.conn, first.commit.id)).toEqual(["alpha"]);
        await expect(rows(old.conn, "SELECT * FROM beta")).rejects.toThrow(/beta/);
      } finally {
        old.close();
      }
      // an empty lake has no views
      expect(await createLakeViews(Lake.open(path.join(dir, "empty")), other.conn)).toEqual([]);
    } finally {
      other.close();
    }
  });
});
