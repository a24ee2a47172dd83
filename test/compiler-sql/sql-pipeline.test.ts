import { describe, expect, it } from "vitest";
import { openSqlTools, parseSqlHeader, parseSqlModel, renderSqlTemplate } from "../../compiler/sql/index.js";
import { CUSTOMERS, ORDERS } from "./fixtures.js";
import { textAt, where } from "./helpers.js";

const FILE = "models/revenue_by_country.sql";
const VARS = { start_date: "2024-01-01", min_amount: "10" };

describe("a SQL model through header, template, parse and bind", () => {
  it("compiles a realistic model", async () => {
    const text = [
      "-- bp: materialize = true",
      "-- bp: description = Revenue by country",
      "WITH paid AS (",
      "  SELECT o.customer_id, o.amount",
      "  FROM orders o",
      `  WHERE o.status = 'paid' AND o.ts >= '{{var "start_date"}}' AND o.amount >= {{var "min_amount"}}`,
      ")",
      "SELECT c.country, sum(p.amount) AS revenue, count(*) AS n",
      "FROM paid p JOIN customers c ON c.id = p.customer_id",
      "GROUP BY ALL",
      "ORDER BY revenue DESC",
    ].join("\n");
    const header = parseSqlHeader(FILE, text);
    expect(header).toMatchObject({ materialize: true, description: "Revenue by country", diagnostics: [] });
    const rendered = renderSqlTemplate(FILE, text, VARS);
    expect(rendered.diagnostics).toEqual([]);

    const tools = await openSqlTools();
    try {
      const parsed = await parseSqlModel(tools.parser, FILE, text, rendered.sql, rendered.toSourceOffset);
      expect(parsed.diagnostics).toEqual([]);
      expect(parsed.tableRefs).toEqual([
        { name: "orders", line: 5, column: 8 },
        { name: "customers", line: 9, column: 18 },
      ]);
      await tools.scratch.addTable("orders", ORDERS);
      await tools.scratch.addTable("customers", CUSTOMERS);
      const bound = await tools.scratch.bindModel({
        file: FILE,
        sourceText: text,
        rendered: rendered.sql,
        toSourceOffset: rendered.toSourceOffset,
        tableRefs: parsed.tableRefs,
        sources: new Set(["orders", "customers"]),
      });
      expect(bound.diagnostics).toEqual([]);
      expect(bound.schema).toEqual([
        { name: "country", type: "VARCHAR" },
        { name: "revenue", type: "DECIMAL(38,3)" },
        { name: "n", type: "BIGINT" },
      ]);
      expect(Object.fromEntries(bound.columnsUsed)).toEqual({
        orders: ["customer_id", "amount", "status", "ts"],
        customers: ["id", "country"],
      });
      expect(Object.fromEntries(bound.pushdown)).toEqual({
        orders: "((status = 'paid') AND (ts >= '2024-01-01') AND (amount >= 10))",
      });
    } finally {
      tools.close();
    }
  });

  it("reports a bad column after a substitution at its place in the original file", async () => {
    const text = [
      "-- bp: description = x",
      "SELECT",
      "  customer_id,",
      `  '{{var "start_date"}}' AS since,`,
      `  {{var "min_amount"}} AS floor, ammount`,
      "FROM orders",
    ].join("\n");
    const rendered = renderSqlTemplate(FILE, text, VARS);
    const tools = await openSqlTools();
    try {
      const parsed = await parseSqlModel(tools.parser, FILE, text, rendered.sql, rendered.toSourceOffset);
      await tools.scratch.addTable("orders", ORDERS);
      const bound = await tools.scratch.bindModel({ file: FILE, sourceText: text, rendered: rendered.sql, toSourceOffset: rendered.toSourceOffset, tableRefs: parsed.tableRefs });
      expect(bound.diagnostics.map(where)).toEqual(["BP0104@5:34"]);
      expect(textAt(text, bound.diagnostics[0]!, 7)).toBe("ammount");
      expect(bound.diagnostics[0]!.file).toBe(FILE);
    } finally {
      tools.close();
    }
  });
});
