/** The bp command as a user meets it: init, import, tables, query, vars, help and exit codes. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bp, duckdbRows, importSql, treeDigest, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(name: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `bp-cli-${name}-`));
  temps.push(d);
  return d;
}

describe("bp init", () => {
  it("creates a starter project that bp build runs as is", async () => {
    const dir = path.join(tempDir("init"), "shop");
    const init = await bp(["init", dir]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/imported 10 rows into orders/);
    for (const f of ["bp_project.yml", ".gitignore", "models/big_orders.ts", "models/revenue_by_customer.sql"]) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(readFileSync(path.join(dir, "bp_project.yml"), "utf8")).toMatch(/^name: shop$/m);

    const build = await bp(["build", "-p", dir]);
    expect(build.code, build.stderr + build.stdout).toBe(0);
    expect(build.stdout).toMatch(/\[big_orders\] labelled 7 orders/);
    const q = await bp(["query", "SELECT * FROM revenue_by_customer ORDER BY customer", "--json", "-p", dir]);
    const expected = await duckdbRows(
      `SELECT customer, count(*) AS orders, sum(amount) AS revenue FROM read_csv('${path.join(dir, "data/orders.csv")}') WHERE amount >= 20 GROUP BY ALL ORDER BY customer`,
    );
    expect(JSON.parse(q.stdout)).toEqual(expected.map((r) => ({ customer: r.customer, orders: Number(r.orders), revenue: Number(r.revenue) })));
  });

  it("refuses to overwrite an existing project", async () => {
    const dir = writeProject({}, "exists");
    temps.push(dir);
    const r = await bp(["init", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already holds a bp project/);
  });
});

describe("vars", () => {
  it("--var overrides a project var and changes the result; an undeclared --var is an error", async () => {
    const dir = writeProject(
      {
        "bp_project.yml": "name: vars\nvars:\n  min_n: 5\n",
        "models/big.sql": "-- bp: materialize = true\nSELECT count(*) AS c FROM nums WHERE n >= {{var \"min_n\"}}\n",
      },
      "vars",
    );
    temps.push(dir);
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    expect((await bp(["build", "-p", dir])).code).toBe(0);
    expect(JSON.parse((await bp(["query", "SELECT c FROM big", "--json", "-p", dir])).stdout)).toEqual([{ c: 5 }]);
    expect((await bp(["build", "-p", dir, "--var", "min_n=8"])).code).toBe(0);
    expect(JSON.parse((await bp(["query", "SELECT c FROM big", "--json", "-p", dir])).stdout)).toEqual([{ c: 2 }]);
    const bad = await bp(["build", "-p", dir, "--var", "nope=1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/BP0107 --var nope is not declared/);
  });

  it("--var flag=false is the boolean false in {{#if}}, like a YAML false in bp_project.yml", async () => {
    const dir = writeProject(
      {
        "bp_project.yml": "name: flags\nvars:\n  only_even: true\n",
        "models/picked.sql":
          "-- bp: materialize = true\nSELECT count(*) AS c FROM nums{{#if (var \"only_even\")}} WHERE n % 2 = 0{{/if}}\n",
      },
      "flags",
    );
    temps.push(dir);
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    expect((await bp(["build", "-p", dir])).code).toBe(0);
    expect(JSON.parse((await bp(["query", "SELECT c FROM picked", "--json", "-p", dir])).stdout)).toEqual([{ c: 5 }]);
    expect((await bp(["build", "-p", dir, "--var", "only_even=false"])).code).toBe(0);
    expect(JSON.parse((await bp(["query", "SELECT c FROM picked", "--json", "-p", dir])).stdout)).toEqual([{ c: 10 }]);
  });
});

describe("bp import / tables / query", () => {
  it("imports CSV, lists tables with row counts and schemas, and answers queries as JSON with ISO timestamps", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "data");
    temps.push(dir);
    const csv = path.join(dir, "events.csv");
    writeFileSync(csv, "id,happened_at,amount,label\n1,2024-01-02 03:04:05,1.50,a\n2,2024-02-03 04:05:06,2.25,\n");
    const imp = await bp(["import", csv, "--table", "events", "-p", dir]);
    expect(imp.code, imp.stderr).toBe(0);

    const tables = await bp(["tables", "-p", dir]);
    expect(tables.stdout).toMatch(/events\s+2\s+id BIGINT, happened_at TIMESTAMP, amount DOUBLE, label VARCHAR\s+source/);

    const q = await bp(["query", "SELECT id, happened_at, amount, label, happened_at::DATE AS d FROM events ORDER BY id", "--json", "-p", dir]);
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([
      { id: 1, happened_at: "2024-01-02T03:04:05", amount: 1.5, label: "a", d: "2024-01-02" },
      { id: 2, happened_at: "2024-02-03T04:05:06", amount: 2.25, label: null, d: "2024-02-03" },
    ]);
    const text = await bp(["query", "SELECT * FROM events", "--max-rows", "1", "-p", dir]);
    expect(text.stdout).toMatch(/first 1 rows/);
  });

  it("--json gives each column one JSON type: big integers and wide decimals as exact strings", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "jsontypes");
    temps.push(dir);
    const q = await bp([
      "query",
      "SELECT * FROM (VALUES (1::BIGINT, 2::BIGINT, 1.5::DECIMAL(4,1), 1::DECIMAL(30,2)), (9007199254740993::BIGINT, 3::BIGINT, 2.5::DECIMAL(4,1), 12345678901234567890.12::DECIMAL(30,2))) t(big, small, d, wide)",
      "--json",
      "-p",
      dir,
    ]);
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([
      { big: "1", small: 2, d: 1.5, wide: "1.00" },
      { big: "9007199254740993", small: 3, d: 2.5, wide: "12345678901234567890.12" },
    ]);
  });

  it("refuses statements that are not a SELECT and leaves the lake untouched", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "ro");
    temps.push(dir);
    await importSql(dir, "t", "SELECT 1 AS a");
    const before = treeDigest(path.join(dir, ".bp/lake"));
    for (const sql of ["DROP TABLE t", "COPY t TO '/tmp/x.csv'", "CREATE TABLE u AS SELECT 1", "SELECT 1; SELECT 2"]) {
      const r = await bp(["query", sql, "-p", dir]);
      expect(r.code, sql).toBe(1);
      expect(r.stderr).toMatch(/bp query: /);
    }
    expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
  });

  it("a failed import (missing file, bad name) exits 1 and commits nothing", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "badimp");
    temps.push(dir);
    await importSql(dir, "t", "SELECT 1 AS a");
    const before = treeDigest(path.join(dir, ".bp/lake"));
    const missing = await bp(["import", path.join(dir, "nope.csv"), "--table", "x", "-p", dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv/);
    const badName = await bp(["import", path.join(dir, "data/t.parquet"), "--table", "bad name", "-p", dir]);
    expect(badName.code).toBe(1);
    expect(treeDigest(path.join(dir, ".bp/lake"))).toBe(before);
  });
});

describe("import options and refs", () => {
  it("a ';'-separated CSV is refused with the option to pass, and imports with --delimiter", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "delim");
    temps.push(dir);
    const csv = path.join(dir, "semi.csv");
    writeFileSync(csv, "a;b\n1;x\n2;y\n");
    const refused = await bp(["import", csv, "--table", "parts", "-p", dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--delimiter ";"/);
    const ok = await bp(["import", csv, "--table", "parts", "--delimiter", ";", "-p", dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse((await bp(["query", "SELECT * FROM parts ORDER BY a", "--json", "-p", dir])).stdout)).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: "y" },
    ]);
  });

  it("an unknown --ref is a clear error (exit 1, JSON error with --json), not an internal one", async () => {
    const dir = writeProject({ "models/x.sql": "SELECT 1 AS one\n" }, "ref");
    temps.push(dir);
    await importSql(dir, "t", "SELECT 1 AS a");
    const tables = await bp(["tables", "--ref", "nosuch", "-p", dir]);
    expect(tables.code).toBe(1);
    expect(tables.stderr).toMatch(/^bp tables: .*nosuch/m);
    const query = await bp(["query", "SELECT 1", "--ref", "nosuch", "--json", "-p", dir]);
    expect(query.code).toBe(1);
    expect(JSON.parse(query.stdout)).toMatchObject({ ok: false });
    expect(query.stderr).not.toMatch(/internal error/);
  });
});

describe("usage and help", () => {
  it("exits 2 on bad usage, 0 on --help, and documents the commands", async () => {
    expect((await bp(["frobnicate"])).code).toBe(2);
    expect((await bp(["build", "--threads", "zero"])).code).toBe(2);
    expect((await bp(["import", "x.csv"])).code).toBe(2); // --table is required
    const help = await bp(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of ["init", "compile", "build", "import", "tables", "query"]) expect(help.stdout).toContain(cmd);
    const buildHelp = await bp(["build", "--help"]);
    expect(buildHelp.stdout).toMatch(/--plan <file>/);
    expect(buildHelp.stdout).toMatch(/--var <name=value>/);
  });

  it("outside a project says how to get one, exit 1", async () => {
    const r = await bp(["build", "-p", tempDir("empty")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no bp_project\.yml/);
    expect(r.stderr).toMatch(/bp init/);
  });
});
