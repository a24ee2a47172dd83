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
  it("BP0104 on line 5 of a multi-line query, at the column, naming the table, with did-you-mean and its columns", async () => {
    const text = ["-- bp: description = totals", "SELECT", "  id,", "  customer_id,", "  amout AS total", "FROM orders"].join("\n");
    const b = await bind(text);
    expect(b.schema).toEqual([]);
    expect(b.diagnostics.map(where)).toEqual(["BP0104@5:3"]);
    expect(b.diagnostics[0]!.message).toBe('column "amout" does not exist in "orders" (did you mean "amount"?)');
    expect(b.diagnostics[0]!.hint).toBe('"orders" has columns: id, customer_id, amount, status, ts, tags, info');
  });

  it("BP0104 at the first use of the column in the text, though DuckDB binds GROUP BY and WHERE first", async () => {
    const text = "SELECT\n  statuz,\n  sum(amount) AS total\nFROM orders\nWHERE statuz <> ''\nGROUP BY statuz";
    const b = await bind(text);
    expect(b.diagnostics.map(where)).toEqual(["BP0104@2:3"]);
    expect(b.diagnostics[0]!.message).toBe('column "statuz" does not exist in "orders" (did you mean "status"?)');

    // A lambda parameter of the same name is not a use of the column; a subquery is another scope.
    const lambda = "SELECT list_filter(tags, statuz -> statuz <> '') AS t,\n  (SELECT max(statuz) FROM (SELECT name AS statuz FROM customers)) AS m,\n  statuz\nFROM orders\nGROUP BY statuz";
    const l = await bind(lambda);
    expect(l.diagnostics.map(where)).toEqual(["BP0104@3:3"]);
  });

  it("BP0104 hint lists at most 20 columns of a wide table", async () => {
    await scratch.addTable("wide", Array.from({ length: 25 }, (_, i) => ({ name: `c${i}`, type: "INTEGER" })));
    const b = await bind("SELECT c99 FROM wide");
    expect(b.diagnostics[0]!.hint).toBe(`"wide" has columns: ${Array.from({ length: 20 }, (_, i) => `c${i}`).join(", ")}, ... (5 more)`);
  });

  it("BP0104 message and hint: qualified by an alias, over a join, without known columns", async () => {
    const alias = await bind("SELECT avg(o.amout) AS a\nFROM orders o");
    expect(alias.diagnostics[0]!.message).toBe('column "amout" does not exist in "o" (orders) (did you mean "amount"?)');
    expect(alias.diagnostics[0]!.hint).toBe('"orders" has columns: id, customer_id, amount, status, ts, tags, info');
    expect(alias.diagnostics[0]!.hint).not.toContain("candidates");

    const join = await bind("SELECT nmae\nFROM orders JOIN customers ON customers.id = orders.customer_id");
    expect(join.diagnostics[0]!.message).toBe('column "nmae" does not exist (did you mean "name"?)');
    expect(join.diagnostics[0]!.hint).toBe(
      '"orders" has columns: id, customer_id, amount, status, ts, tags, info; "customers" has columns: id, name, country, Signup Date',
    );

    const cte = await bind("WITH paid AS (SELECT id, amount FROM orders)\nSELECT amout FROM paid");
    expect(cte.diagnostics.map(where)).toEqual(["BP0104@2:8"]);
    expect(cte.diagnostics[0]!.message).toBe('column "amout" does not exist (did you mean "amount"?)');
    expect(cte.diagnostics[0]!.hint).toBe("check the name against the columns of the tables in the FROM clause");
  });

  it("BP0104 far into a long line", async () => {
    const select = Array.from({ length: 40 }, (_, i) => `amount + ${i} AS c${i}`).join(", ");
    const text = `-- long\nSELECT ${select}, o.statuz FROM orders o`;
    const b = await bind(text);
    expect(b.diagnostics.map((d) => d.code)).toEqual(["BP0104"]);
    expect(b.diagnostics[0]!.line).toBe(2);
    expect(textAt(text, b.diagnostics[0]!, 8)).toBe("o.statuz");
    expect(b.diagnostics[0]!.message).toBe('column "statuz" does not exist in "o" (orders) (did you mean "status"?)');
  });

  it("locates errors after template substitutions and non-ASCII text on the same line", async () => {
    const text = `SELECT '{{var "label"}}' AS l, 'ünïcødé' AS u, nme\nFROM customers`;
    const b = await bind(text, { label: "a much longer label than the mustache" });
    expect(b.diagnostics.map(where)).toEqual(["BP0104@1:48"]);
    expect(textAt(text, b.diagnostics[0]!, 3)).toBe("nme");
    expect(b.diagnostics[0]!.message).toBe('column "nme" does not exist in "customers" (did you mean "name"?)');
  });

  it("BP0104 for a qualified column of a known table", async () => {
    const text = "SELECT c.id,\n       c.nmae\nFROM customers c";
    const b = await bind(text);
    expect(b.diagnostics.map(where)).toEqual(["BP0104@2:8"]);
    expect(b.diagnostics[0]!.message).toBe('column "nmae" does not exist in "c" (customers) (did you mean "name"?)');
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
    expect(ambiguous.diagnostics[0]!.message).toBe('column "id" is ambiguous: more than one table in the FROM clause has it');
    expect(ambiguous.diagnostics[0]!.hint).toBe('qualify it with its table or alias: "orders.id" or "customers.id"');

    const fn = await bind("SELECT\n  sum_it(amount)\nFROM orders");
    expect(fn.diagnostics.map(where)).toEqual(["BP0105@2:3"]);
    expect(fn.diagnostics[0]!.message).toBe('function "sum_it" does not exist (did you mean "sum"?)');

    const grouping = await bind("SELECT status,\n  amount\nFROM orders GROUP BY status");
    expect(grouping.diagnostics.map((d) => d.code)).toEqual(["BP0105"]);
    expect(grouping.diagnostics[0]!.line).toBe(2);

    const types = await bind("SELECT id + 'x'::VARCHAR\nFROM orders");
    expect(types.diagnostics.map((d) => d.code)).toEqual(["BP0105"]);
  });
});

describe("bindModel BP0105 wording", () => {
  it("no matching operator: one line, with a cast of the call's own argument", async () => {
    const b = await bind("SELECT id,\n       status + 1 AS bumped\nFROM orders");
    expect(b.diagnostics.map(where)).toEqual(["BP0105@2:15"]);
    expect(b.diagnostics[0]!.message).toBe('operator "+" does not accept (VARCHAR, INTEGER_LITERAL)');
    expect(b.diagnostics[0]!.hint).toBe("cast one side, e.g. CAST(status AS INTEGER) + 1");
    const unary = await bind("SELECT -status FROM orders");
    expect(unary.diagnostics[0]!.hint).toBe("cast the operand, e.g. -CAST(status AS DOUBLE)");
  });

  it("no matching function: the overloads it has, capped, and a cast when one argument is off", async () => {
    const length = await bind("SELECT length(id) FROM orders");
    expect(length.diagnostics[0]!.message).toBe("function length() does not accept (BIGINT)");
    expect(length.diagnostics[0]!.hint).toBe("length() takes (VARCHAR), (BIT) or (ANY[]): cast the argument, e.g. length(CAST(id AS VARCHAR))");
    const sum = await bind("SELECT sum(status, 1) FROM orders");
    expect(sum.diagnostics[0]!.message).toBe("function sum() does not accept (VARCHAR, INTEGER)");
    expect(sum.diagnostics[0]!.hint).toMatch(/^sum\(\) takes \(DECIMAL\), .* and \d+ more: cast the arguments to match$/);
  });

  it("unknown function: did-you-mean only when close, in the message; table functions named as such", async () => {
    const summ = await bind("SELECT country,\n  summ(amount) AS revenue\nFROM orders JOIN customers ON true GROUP BY country");
    expect(summ.diagnostics[0]!.message).toBe('function "summ" does not exist (did you mean "sum"?)');
    const far = await bind("SELECT zzzzzz(amount) FROM orders");
    expect(far.diagnostics[0]!.message).toBe('function "zzzzzz" does not exist');
    const table = await bind("SELECT * FROM read_csvv('x.csv')");
    expect(table.diagnostics[0]!.message).toBe('table function "read_csvv" does not exist (did you mean "read_csv"?)');
  });

  it("messages read as bp's: no DuckDB '!', tabs or multi-line hints", async () => {
    for (const sql of [
      "SELECT id,\n       status + 1 AS bumped\nFROM orders",
      "SELECT summ(amount) FROM orders",
      "SELECT amount FROM orders GROUP BY status",
      "SELECT x.id FROM orders",
      "SELECT id FROM orders WHERE status > DATE '2020-01-01'",
    ]) {
      const [d] = (await bind(sql)).diagnostics;
      expect(d!.code, sql).toBe("BP0105");
      expect(d!.message, sql).not.toMatch(/[!\n\t]/);
      expect(d!.hint, sql).not.toMatch(/[\n\t]/);
    }
    const compare = await bind("SELECT id FROM orders WHERE status > ts");
    expect(compare.diagnostics[0]!.message).toBe("cannot compare VARCHAR with TIMESTAMP");
    expect(compare.diagnostics[0]!.hint).toBe("cast one side, e.g. CAST(status AS TIMESTAMP) > ts");
  });
});
