import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScratchCatalog } from "../../compiler/sql/index.js";
import { ORDERS } from "./fixtures.js";
import { where } from "./helpers.js";

let scratch: ScratchCatalog;
beforeAll(async () => {
  scratch = await ScratchCatalog.open();
  await scratch.addTable("orders", ORDERS);
});
afterAll(() => scratch?.close());

const F = "models/m.ts";
/** The filter text starts at line 7, column 20 of the TS file (just after the opening quote). */
const AT = { line: 7, column: 20 };
const check = (filter: string) => scratch.checkFilter(F, filter, AT, "orders", ORDERS);

describe("checkFilter", () => {
  it("accepts one boolean expression and returns the columns it reads and its normalized SQL", async () => {
    const r = await check("status = 'paid' AND amount > 0 -- only real sales");
    expect(r.diagnostics).toEqual([]);
    expect(r.columns).toEqual(["amount", "status"]);
    expect(r.sql).toBe("((status = 'paid') AND (amount > 0))");
  });

  it("accepts struct fields, lambdas and functions", async () => {
    const r = await check("info.country = 'IT' AND len(list_filter(tags, t -> t = 'vip')) > 0 AND ts >= now() - INTERVAL 7 DAY");
    expect(r.diagnostics).toEqual([]);
    expect(r.columns).toEqual(["ts", "tags", "info"]);
  });

  it.each([
    ["amount > 0) UNION SELECT * FROM orders WHERE (true", "BP0301@7:30"],
    ["amount > 0 UNION ALL SELECT * FROM orders", "BP0301@7:20"],
    ["amount > 0; DROP TABLE orders", "BP0301@7:30"],
    ["amount > 0; SELECT 1", "BP0301@7:30"],
    ["amount > 0 ORDER BY 1", "BP0301@7:20"],
    ["amount > 0 LIMIT 1", "BP0301@7:20"],
    ["true GROUP BY ALL", "BP0301@7:20"],
    ["amount > 0 QUALIFY true", "BP0301@7:20"],
    ["", "BP0301@7:20"],
    ["   ", "BP0301@7:20"],
  ])("rejects anything but a single expression: %s", async (filter, expected) => {
    const r = await check(filter);
    expect(r.diagnostics.map(where)).toEqual([expected]);
    expect(r.sql).toBeNull();
  });

  it("a second statement is reported as such, at the `;`", async () => {
    const injected = await check("amount > 0; DROP TABLE orders");
    expect(injected.diagnostics.map(where)).toEqual(["BP0301@7:30"]);
    expect(injected.diagnostics[0]!.message).toBe("the filter contains more than one statement");
    const quoted = await check("status = ';' ;\n SELECT 1");
    expect(quoted.diagnostics.map(where)).toEqual(["BP0301@7:33"]);
    const trailing = await check("amount > 0;");
    expect(trailing.diagnostics).toEqual([]);
  });

  it("rejects a syntax error at its position", async () => {
    const r = await check("amount > 0 AND AND status");
    expect(r.diagnostics.map(where)).toEqual(["BP0301@7:35"]);
    expect(r.diagnostics[0]!.message).toContain('"AND"');
  });

  it("rejects subqueries, windows and qualified columns where they appear", async () => {
    const sub = await check("status IN (SELECT status FROM orders)");
    expect(sub.diagnostics.map(where)).toEqual(["BP0301@7:27"]); // DuckDB locates IN-subqueries at the IN
    const win = await check("amount > 0 AND row_number() OVER () = 1");
    expect(win.diagnostics.map(where)).toEqual(["BP0301@7:35"]);
    const qualified = await check("amount > 0 AND orders.status = 'x'");
    expect(qualified.diagnostics.map(where)).toEqual(["BP0301@7:35"]);
    expect(qualified.diagnostics[0]!.hint).toContain("status");
  });

  it("BP0104 for an unknown column, located, with did-you-mean", async () => {
    const r = await check("amount > 0 AND statuz = 'x'");
    expect(r.diagnostics.map(where)).toEqual(["BP0104@7:35"]);
    expect(r.diagnostics[0]!.message).toBe('column "statuz" does not exist in "orders" (did you mean "status"?)');
    expect(r.diagnostics[0]!.hint).toBe('"orders" has columns: id, customer_id, amount, status, ts, tags, info');
  });

  it("locates errors on later lines of a multi-line filter", async () => {
    const r = await check("amount > 0\n      AND bogus = 1");
    expect(r.diagnostics.map(where)).toEqual(["BP0104@8:11"]);
  });

  it("rejects non-boolean expressions and aggregates", async () => {
    const notBool = await check("amount + 1");
    expect(notBool.diagnostics.map(where)).toEqual(["BP0301@7:20"]);
    expect(notBool.diagnostics[0]!.message).toContain("DECIMAL");
    const aggregate = await check("sum(amount) > 0");
    expect(aggregate.diagnostics.map((d) => d.code)).toEqual(["BP0301"]);
  });

  it("leaves no helper table behind", async () => {
    await check("amount > 0");
    expect(scratch.tableNames()).toEqual(["orders"]);
    const rows = await scratch.conn.rows("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__bp%'");
    expect(Number(rows[0]![0])).toBe(0);
  });
});
