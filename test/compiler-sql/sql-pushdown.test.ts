import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScratchCatalog } from "../../compiler/sql/index.js";
import { addFixtureTables } from "./fixtures.js";
import { model } from "./helpers.js";

let scratch: ScratchCatalog;
beforeAll(async () => {
  scratch = await ScratchCatalog.open();
  await addFixtureTables(scratch);
});
afterAll(() => scratch?.close());

/** orders and customers are lake sources; events is a model. */
const SOURCES = new Set(["orders", "customers"]);

async function pushdown(sql: string): Promise<Record<string, string>> {
  const m = model(sql);
  const parsed = await scratch.parse(m);
  expect(parsed.diagnostics).toEqual([]);
  const b = await scratch.bindModel({ ...m, tableRefs: parsed.tableRefs, sources: SOURCES });
  expect(b.diagnostics).toEqual([]);
  return Object.fromEntries(b.pushdown);
}

/** [query, expected pushed filter per source table] */
const PUSHDOWN_CASES: [string, Record<string, string>][] = [
  ["SELECT * FROM orders WHERE amount > 100 AND status = 'paid'", { orders: "((amount > 100) AND (status = 'paid'))" }],
  ["SELECT * FROM orders o WHERE o.amount > 100", { orders: "(amount > 100)" }],
  ["SELECT * FROM orders WHERE status = 'a' OR amount > 1", { orders: "((status = 'a') OR (amount > 1))" }],
  ["SELECT * FROM orders WHERE (status = 'a' AND amount > 1) AND id <> 3", { orders: "((status = 'a') AND (amount > 1) AND (id != 3))" }],
  [
    "SELECT o.id FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.status = 'paid' AND c.country = 'IT' AND o.amount > c.id",
    { orders: "(status = 'paid')", customers: "(country = 'IT')" },
  ],
  ["SELECT o.id FROM orders o, customers c WHERE o.customer_id = c.id AND name LIKE 'A%'", { customers: "(\"name\" ~~ 'A%')" }],
  ["SELECT o.id FROM orders o LEFT JOIN customers c ON o.customer_id = c.id WHERE c.country = 'IT' AND o.status = 'paid'", { orders: "(status = 'paid')" }],
  ["SELECT o.id FROM orders o RIGHT JOIN customers c ON o.customer_id = c.id WHERE c.country = 'IT' AND o.status = 'paid'", { customers: "(country = 'IT')" }],
  ["SELECT o.id FROM orders o FULL JOIN customers c ON o.customer_id = c.id WHERE c.country = 'IT' AND o.status = 'paid'", {}],
  ["SELECT * FROM orders o SEMI JOIN customers c ON o.customer_id = c.id WHERE o.status = 'paid'", { orders: "(status = 'paid')" }],
  ["SELECT o.id FROM orders o ASOF JOIN customers c ON o.customer_id >= c.id WHERE o.status = 'x' AND c.country = 'IT'", { orders: "(status = 'x')" }],
  ["SELECT status FROM orders POSITIONAL JOIN customers WHERE status = 'x'", {}],
  ["SELECT a.status FROM orders a JOIN orders b USING (id) WHERE a.status = 'x'", {}],
  ["SELECT * FROM orders JOIN customers USING (id) WHERE id > 5 AND country = 'IT'", { customers: "(country = 'IT')" }],
  ["SELECT * FROM orders WHERE id IN (SELECT id FROM customers) AND status = 'x'", { orders: "(status = 'x')" }],
  ["SELECT * FROM orders WHERE random() < 0.5 AND status = 'x'", { orders: "(status = 'x')" }],
  ["SELECT * FROM orders WHERE ts > now() - INTERVAL 1 DAY", { orders: "(ts > (now() - to_days(CAST(trunc(CAST(1 AS DOUBLE)) AS INTEGER))))" }],
  ["SELECT * FROM orders WHERE 1 = 1 AND status = 'x'", { orders: "(status = 'x')" }],
  ["WITH p AS (SELECT * FROM orders WHERE status = 'paid') SELECT * FROM p WHERE amount > 5", { orders: "(status = 'paid')" }],
  ["SELECT * FROM (SELECT * FROM orders) s WHERE s.amount > 5", {}],
  ["SELECT * FROM events WHERE k > 1", {}],
  ["SELECT * FROM orders WHERE len(list_filter(tags, id -> id = 'vip')) > 0", { orders: "(len(list_filter(tags, (id -> (id = 'vip')))) > 0)" }],
  ["SELECT amount * 2 AS doubled FROM orders WHERE doubled > 10", {}],
  [
    "SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'paid')",
    { orders: "(status = 'paid')" },
  ],
  ["SELECT * FROM orders TABLESAMPLE 10% WHERE status = 'x'", {}],
  ["SELECT * FROM orders o WHERE o.info.country = 'IT' AND info.zip = '1'", { orders: "((info.country = 'IT') AND (info.zip = '1'))" }],
  ["SELECT id FROM orders WHERE status = 'a' UNION ALL SELECT id FROM customers WHERE country = 'IT'", { orders: "(status = 'a')", customers: "(country = 'IT')" }],
  ["SELECT id FROM orders WHERE status = 'a' UNION ALL SELECT id FROM orders WHERE status = 'b'", {}],
  ['SELECT * FROM customers WHERE "Signup Date" >= DATE \'2024-01-01\'', { customers: "(\"Signup Date\" >= CAST('2024-01-01' AS DATE))" }],
  ["SELECT * FROM Orders O WHERE O.Status = 'x' AND ID > 9007199254740993", { orders: "((Status = 'x') AND (ID > 9007199254740993))" }],
  ["SELECT o.id FROM orders o JOIN events e ON e.k = o.id WHERE e.x > 1 AND o.id > 1", { orders: "(id > 1)" }],
];

describe("bindModel pushdown", () => {
  it.each(PUSHDOWN_CASES)("%s", async (sql, expected) => {
    expect(await pushdown(sql)).toEqual(expected);
  });

  it("pushed filters are valid SQL over the source's plain columns", async () => {
    const pushed = await pushdown(
      "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.info.country = c.country AND o.amount BETWEEN 1 AND 10 AND c.name ILIKE '%x%' AND o.status IN ('a', 'b')",
    );
    for (const [table, filter] of Object.entries(pushed)) {
      await scratch.conn.run(`SELECT * FROM ${table} WHERE ${filter}`);
    }
    expect(Object.keys(pushed).sort()).toEqual(["customers", "orders"]);
  });

  it("pushes nothing when no sources are given", async () => {
    const m = model("SELECT * FROM orders WHERE status = 'x'");
    const parsed = await scratch.parse(m);
    const b = await scratch.bindModel({ ...m, tableRefs: parsed.tableRefs });
    expect(b.pushdown.size).toBe(0);
  });
});
