import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScratchCatalog } from "../../compiler/sql/index.js";
import { model, textAt, where } from "./helpers.js";

let scratch: ScratchCatalog;
beforeAll(async () => {
  scratch = await ScratchCatalog.open();
});
afterAll(() => scratch?.close());

const refs = async (sql: string) => (await scratch.parse(model(sql))).tableRefs.map((r) => r.name);

/** [query, expected table refs (first spelling, in order of first occurrence)] */
const TABLE_REF_CASES: [string, string[]][] = [
  ["SELECT * FROM orders", ["orders"]],
  ["FROM orders SELECT amount", ["orders"]],
  ["SELECT * FROM orders o JOIN customers c USING (id) LEFT JOIN Orders o2 ON true", ["orders", "customers"]],
  ["SELECT * FROM ORDERS, orders", ["ORDERS"]],
  ["SELECT (SELECT max(x) FROM a WHERE a.k = b.k) FROM b WHERE EXISTS (SELECT 1 FROM c)", ["a", "b", "c"]],
  ["SELECT * FROM (SELECT * FROM inner_t) s", ["inner_t"]],
  // CTEs are not tables; a CTE shadows a table of the same name only inside its scope
  ["WITH x AS (SELECT * FROM src) SELECT * FROM x JOIN x AS y USING (k)", ["src"]],
  ["WITH orders AS (SELECT * FROM orders WHERE ok) SELECT * FROM orders", ["orders"]],
  ["WITH X AS (SELECT 1 AS a) SELECT * FROM x", []],
  ["WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS k) SELECT * FROM a, b", ["b"]],
  ["SELECT * FROM (WITH t AS (SELECT 2 AS a) SELECT * FROM t) s JOIN t USING (a)", ["t"]],
  ["SELECT (WITH u AS (SELECT 1 AS a) SELECT max(a) FROM u), (SELECT max(a) FROM u)", ["u"]],
  ["WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r", []],
  ["WITH RECURSIVE t AS (SELECT a FROM t UNION ALL SELECT a + 1 FROM t WHERE a < 3) SELECT * FROM t", ["t"]],
  ["WITH RECURSIVE t AS (SELECT * FROM t) SELECT * FROM t", ["t"]],
  ["SELECT a FROM x UNION ALL SELECT a FROM y EXCEPT SELECT a FROM z", ["x", "y", "z"]],
  ["WITH a AS (SELECT 1 AS v) SELECT * FROM a UNION ALL SELECT * FROM a2", ["a2"]],
  // table functions are not table refs (their subquery arguments may hold some)
  ["SELECT * FROM range(10) r, read_parquet('x.parquet') p, unnest((SELECT list(k) FROM keys_t))", ["keys_t"]],
  ["SELECT * FROM orders QUALIFY row_number() OVER (PARTITION BY k) = 1", ["orders"]],
  ["SELECT list_transform(xs, x -> x + 1), * EXCLUDE (b) FROM lists", ["lists"]],
  ["SELECT * FROM t1 POSITIONAL JOIN t2 ASOF JOIN t3 ON t2.ts >= t3.ts", ["t1", "t2", "t3"]],
  ['SELECT * FROM "Quoted Table"', ["Quoted Table"]],
  ["SELECT * FROM (PIVOT sales ON year IN (2020, 2021) USING sum(amount))", ["sales"]],
  ["VALUES (1), (2)", []],
];

describe("parseModelSql table refs", () => {
  it.each(TABLE_REF_CASES)("%s", async (sql, expected) => {
    expect(await refs(sql)).toEqual(expected);
  });

  it("reports each ref's first occurrence at its line:column in the original file", async () => {
    const text = ["-- bp: materialize = true", "SELECT *", "FROM   {{var \"schema_hint\"}}orders o", "  JOIN customers c ON c.id = o.cid", "  JOIN orders o2 ON true"].join("\n");
    const parsed = await scratch.parse(model(text, { schema_hint: "" }));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.tableRefs).toEqual([
      { name: "orders", line: 3, column: 29 },
      { name: "customers", line: 4, column: 8 },
    ]);
    expect(textAt(text, parsed.tableRefs[0]!, 6)).toBe("orders");
    expect(parsed.sites).toHaveLength(3);
  });

  it("counts byte offsets correctly after non-ASCII text", async () => {
    const text = "-- é ü 😀 comment\nSELECT 'ééé' AS x FROM   wide_t";
    const parsed = await scratch.parse(model(text));
    expect(parsed.tableRefs).toEqual([{ name: "wide_t", line: 2, column: 26 }]);
  });

  it("rejects schema-qualified names with BP0102 and a plain-name hint", async () => {
    const text = "SELECT *\nFROM main.orders JOIN lake.main.customers USING (id)";
    const parsed = await scratch.parse(model(text));
    expect(parsed.diagnostics.map(where)).toEqual(["BP0102@2:6", "BP0102@2:23"]);
    expect(parsed.diagnostics[0]!.hint).toContain('write "orders"');
    expect(parsed.tableRefs).toEqual([]);
  });
});

describe("parseModelSql errors", () => {
  it("BP0101 at the token DuckDB stopped at, after a multi-byte header", async () => {
    const text = "-- bp: description = ventes en €\nSELECT a,\n       b\n  FRM orders";
    const parsed = await scratch.parse(model(text));
    expect(parsed.ast).toBeNull();
    expect(parsed.diagnostics.map(where)).toEqual(["BP0101@4:7"]);
    expect(textAt(text, parsed.diagnostics[0]!, 6)).toBe("orders");
  });

  it("BP0101 at the end of input for an unclosed parenthesis", async () => {
    const text = "SELECT a FROM t\nWHERE (b = 1\n\n";
    const parsed = await scratch.parse(model(text));
    expect(parsed.diagnostics.map(where)).toEqual(["BP0101@2:13"]);
    expect(parsed.diagnostics[0]!.hint).toContain("unclosed");
  });

  it("BP0101 maps through template substitutions", async () => {
    const text = `SELECT '{{var "v"}}' AS x\nFROM t WHERE a = = 1`;
    const parsed = await scratch.parse(model(text, { v: "a long substituted value ééé" }));
    expect(parsed.diagnostics.map(where)).toEqual(["BP0101@2:18"]);
  });

  it("BP0103 for a non-SELECT, pointing at it", async () => {
    const insert = await scratch.parse(model("-- header\n\nINSERT INTO t VALUES (1)"));
    expect(insert.diagnostics.map(where)).toEqual(["BP0103@3:1"]);
    expect(insert.diagnostics[0]!.message).toContain("found INSERT");
    const ctas = await scratch.parse(model("CREATE TABLE x AS SELECT 1"));
    expect(ctas.diagnostics.map(where)).toEqual(["BP0103@1:1"]);
  });

  it("BP0103 for two statements, at the second; a trailing semicolon is fine", async () => {
    const two = await scratch.parse(model("SELECT 1;\n  SELECT 2 -- ; not a split\n"));
    expect(two.diagnostics.map(where)).toEqual(["BP0103@2:3"]);
    const mixed = await scratch.parse(model("SELECT ';' AS s;\nDELETE FROM t"));
    expect(mixed.diagnostics.map(where)).toEqual(["BP0103@2:1"]);
    const trailing = await scratch.parse(model("SELECT 1 FROM t;\n-- done\n"));
    expect(trailing.diagnostics).toEqual([]);
    expect(trailing.tableRefs.map((r) => r.name)).toEqual(["t"]);
  });

  it("BP0103 for a PIVOT whose columns depend on the data, with a hint to list them", async () => {
    const pivot = await scratch.parse(model("SELECT *\nFROM (PIVOT sales ON year USING sum(amount))"));
    expect(pivot.diagnostics.map(where)).toEqual(["BP0103@1:1"]);
    expect(pivot.diagnostics[0]!.hint).toContain("IN (");
  });

  it("BP0103 for a file without a statement", async () => {
    const empty = await scratch.parse(model("-- bp: materialize = true\n-- nothing here\n"));
    expect(empty.diagnostics.map((d) => d.code)).toEqual(["BP0103"]);
  });
});
