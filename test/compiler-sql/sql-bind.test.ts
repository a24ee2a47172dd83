import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScratchCatalog, type BoundModel } from "../../compiler/sql/index.js";
import { addFixtureTables, ORDERS } from "./fixtures.js";
import { model, textAt, where } from "./helpers.js";

let scratch: ScratchCatalog;
beforeAll(async () => {
  scratch = await ScratchCatalog.open();
  await addFixtureTables(scratch);
});
afterAll(() => scratch?.close());

async function bind(text: string, vars: Record<string, string> = {}): Promise<BoundModel & { text: string }> {
  const m = model(text, vars);
  const parsed = await scratch.parse(m);
  expect(parsed.diagnostics).toEqual([]);
  return { ...(await scratch.bindModel({ ...m, tableRefs: parsed.tableRefs })), text };
}

const ALL_ORDERS = ORDERS.map((c) => c.name);

/** [query, expected columnsUsed per table] */
const COLUMNS_USED_CASES: [string, Record<string, string[]>][] = [
  ["SELECT * FROM orders", { orders: ALL_ORDERS }],
  ["SELECT * EXCLUDE (tags, info) FROM orders", { orders: ["id", "customer_id", "amount", "status", "ts"] }],
  ["SELECT * REPLACE (amount * 2 AS amount) FROM orders", { orders: ALL_ORDERS }],
  ["FROM orders SELECT status", { orders: ["status"] }],
  ["SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id", { orders: ["id", "customer_id"], customers: ["id", "name"] }],
  ["SELECT name, amount FROM orders JOIN customers ON customers.id = orders.customer_id", { orders: ["customer_id", "amount"], customers: ["id", "name"] }],
  ["SELECT id, name FROM orders JOIN customers USING (id)", { orders: ["id"], customers: ["id", "name"] }],
  ["SELECT c.* FROM orders o JOIN customers c ON o.customer_id = c.id", { orders: ["customer_id"], customers: ["id", "name", "country", "Signup Date"] }],
  ["SELECT a.id, b.status FROM orders a JOIN orders b ON a.customer_id = b.customer_id", { orders: ["id", "customer_id", "status"] }],
  [
    "SELECT id, sum(amount) OVER (PARTITION BY customer_id ORDER BY ts) AS running FROM orders QUALIFY row_number() OVER (PARTITION BY status ORDER BY ts DESC) = 1",
    { orders: ["id", "customer_id", "amount", "status", "ts"] },
  ],
  ["SELECT status, count(*) AS n FROM orders GROUP BY ALL", { orders: ["status"] }],
  ["SELECT customer_id FROM orders GROUP BY customer_id HAVING sum(amount) > 0", { orders: ["customer_id", "amount"] }],
  ["SELECT id FROM orders ORDER BY ts", { orders: ["id", "ts"] }],
  ["SELECT count(*) FROM orders", { orders: [] }],
  ["SELECT list_transform(xs, x -> x + 1) AS ys FROM events", { events: ["xs"] }],
  ["SELECT list_filter(xs, lambda k: k > 0) AS ys, k FROM events", { events: ["k", "xs"] }],
  ["SELECT info.country, o.info.zip FROM orders o", { orders: ["info"] }],
  ["SELECT payload.a FROM events", { events: ["payload"] }],
  ["WITH big AS (SELECT * FROM orders WHERE amount > 100) SELECT customer_id, count(*) FROM big GROUP BY 1", { orders: ALL_ORDERS }],
  ["WITH big AS (SELECT customer_id, amount FROM orders) SELECT customer_id FROM big", { orders: ["customer_id", "amount"] }],
  ["WITH orders AS (SELECT id FROM orders) SELECT * FROM orders", { orders: ["id"] }],
  ["SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = 'paid')", { customers: ["id", "name"], orders: ["customer_id", "status"] }],
  ["SELECT name, (SELECT sum(amount) FROM orders o WHERE o.customer_id = c.id) FROM customers c", { customers: ["id", "name"], orders: ["customer_id", "amount"] }],
  ["SELECT b FROM (SELECT status AS b, amount FROM orders) s", { orders: ["amount", "status"] }],
  ["SELECT id FROM orders UNION ALL SELECT id FROM customers", { orders: ["id"], customers: ["id"] }],
  ["SELECT amount * 2 AS doubled FROM orders WHERE doubled > 10", { orders: ["amount"] }],
  ["SELECT COLUMNS('^(id|status)$') FROM orders", { orders: ["id", "status"] }],
  ['SELECT "signup date" FROM Customers', { customers: ["Signup Date"] }],
  ["WITH RECURSIVE r AS (SELECT id, customer_id FROM orders UNION ALL SELECT r.id, o.customer_id FROM r JOIN orders o ON o.id = r.customer_id) SELECT id FROM r", { orders: ["id", "customer_id"] }],
  ["SELECT k, unnest(xs) AS v FROM events", { events: ["k", "xs"] }],
];

describe("bindModel columnsUsed", () => {
  it.each(COLUMNS_USED_CASES)("%s", async (sql, expected) => {
    const b = await bind(sql);
    expect(b.diagnostics).toEqual([]);
    expect(Object.fromEntries(b.columnsUsed)).toEqual(expected);
  });
});

describe("bindModel output schema", () => {
  it("gives DuckDB's type names for the output columns", async () => {
    const b = await bind(
      "SELECT id, amount, amount * 2 AS doubled, ts::DATE AS day, info, tags, status || '!' AS s, count(*) OVER () AS n, {'k': id} AS st, 1.5::DOUBLE AS f FROM orders",
    );
    expect(b.diagnostics).toEqual([]);
    expect(b.schema).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "amount", type: "DECIMAL(18,3)" },
      { name: "doubled", type: "DECIMAL(18,3)" },
      { name: "day", type: "DATE" },
      { name: "info", type: "STRUCT(country VARCHAR, zip VARCHAR)" },
      { name: "tags", type: "VARCHAR[]" },
      { name: "s", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
      { name: "st", type: "STRUCT(k BIGINT)" },
      { name: "f", type: "DOUBLE" },
    ]);
  });

  it("can register a model's output and bind a downstream model against it", async () => {
    const up = await bind("-- bp: materialize = true\nSELECT customer_id, sum(amount) AS total FROM orders GROUP BY 1");
    await scratch.addTable("customer_totals", up.schema);
    const down = await bind("SELECT total FROM customer_totals WHERE customer_id > 0;");
    expect(down.schema).toEqual([{ name: "total", type: "DECIMAL(38,3)" }]);
    expect(Object.fromEntries(down.columnsUsed)).toEqual({ customer_totals: ["customer_id", "total"] });
  });

  it("binds a template-rendered model", async () => {
    const b = await bind(`SELECT id FROM orders WHERE ts >= '{{var "start"}}'::TIMESTAMP`, { start: "2024-01-01" });
    expect(b.diagnostics).toEqual([]);
    expect(b.schema).toEqual([{ name: "id", type: "BIGINT" }]);
  });

  it("rejects duplicate output column names (BP0105)", async () => {
    const b = await bind("SELECT id, id FROM orders");
    expect(b.diagnostics.map(where)).toEqual(["BP0105@1:1"]);
  });
});

describe("bindModel errors", () => {
  it("BP0104 on line 5 of a multi-line query, at the column, with DuckDB's candidate", async () => {
    const text = ["-- bp: description = totals", "SELECT", "  id,", "  customer_id,", "  amout AS total", "FROM orders"].join("\n");
    const b = await bind(text);
    expect(b.schema).toEqual([]);
    expect(b.diagnostics.map(where)).toEqual(["BP0104@5:3"]);
    expect(b.diagnostics[0]!.message).toBe('unknown column "amout"');
    expect(b.diagnostics[0]!.hint).toMatch(/^did you mean "amount"\?/);
  });

  it("BP0104 far into a long line", async () => {
    const select = Array.from({ length: 40 }, (_, i) => `amount + ${i} AS c${i}`).join(", ");
    const text = `-- long\nSELECT ${select}, o.statuz FROM orders o`;
    const b = await bind(text);
    expect(b.diagnostics.map((d) => d.code)).toEqual(["BP0104"]);
    expect(b.diagnostics[0]!.line).toBe(2);
    expect(textAt(text, b.diagnostics[0]!, 8)).toBe("o.statuz");
    expect(b.diagnostics[0]!.hint).toContain('"status"');
  });

  it("locates errors after template substitutions and non-ASCII text on the same line", async () => {
    const text = `SELECT '{{var "label"}}' AS l, 'ünïcødé' AS u, nme\nFROM customers`;
    const b = await bind(text, { label: "a much longer label than the mustache" });
    expect(b.diagnostics.map(where)).toEqual(["BP0104@1:48"]);
    expect(textAt(text, b.diagnostics[0]!, 3)).toBe("nme");
    expect(b.diagnostics[0]!.hint).toMatch(/^did you mean "name"\?/);
  });

  it("BP0104 for a qualified column of a known table", async () => {
    const text = "SELECT c.id,\n       c.nmae\nFROM customers c";
    const b = await bind(text);
    expect(b.diagnostics.map(where)).toEqual(["BP0104@2:8"]);
    expect(b.diagnostics[0]!.hint).toContain('"name"');
  });

  it("BP0102 for a table missing from the catalog, with did-you-mean over registered tables", async () => {
    const text = "SELECT *\nFROM orderz";
    const b = await bind(text);
    expect(b.diagnostics.map(where)).toEqual(["BP0102@2:6"]);
    expect(b.diagnostics[0]!.hint).toBe('did you mean "orders"?');
  });

  it("BP0105 when a table is read without being named (query_table)", async () => {
    const b = await bind("SELECT count(*) AS n\nFROM query_table('orders')");
    expect(b.diagnostics.map(where)).toEqual(["BP0105@1:1"]);
    expect(b.diagnostics[0]!.message).toContain('"orders"');
  });

  it("BP0105 for other binding errors, located", async () => {
    const ambiguous = await bind("SELECT id\nFROM orders JOIN customers ON true");
    expect(ambiguous.diagnostics.map(where)).toEqual(["BP0105@1:8"]);
    expect(ambiguous.diagnostics[0]!.message).toContain("Ambiguous");

    const fn = await bind("SELECT\n  sum_it(amount)\nFROM orders");
    expect(fn.diagnostics.map(where)).toEqual(["BP0105@2:3"]);

    const grouping = await bind("SELECT status,\n  amount\nFROM orders GROUP BY status");
    expect(grouping.diagnostics.map((d) => d.code)).toEqual(["BP0105"]);
    expect(grouping.diagnostics[0]!.line).toBe(2);

    const types = await bind("SELECT id + 'x'::VARCHAR\nFROM orders");
    expect(types.diagnostics.map((d) => d.code)).toEqual(["BP0105"]);
  });
});
