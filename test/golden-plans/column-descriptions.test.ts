/**
 * Column and source descriptions in the plan (v5 `columnDescriptions`, scan `description`):
 * SQL header lines (`-- bp: column c = ...`, case-insensitive, quoted names), TS columns written
 * `{ type, description }` (the schema keeps the type only), bp_project.yml `sources:`, each keyed by
 * the column as the schema spells it; a description never changes a cache key.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import type { Plan, ScanNode, SqlNode, TsNode } from "../../compiler/plan-types.js";
import { importSql, writeProject } from "../helpers/temp-project.js";

const CONFIG = `name: described
sources:
  orders:
    description: One row per order
    columns:
      AMOUNT: Order amount in euros
      note: Free text (not read by any model)
`;

const SPEND = `-- bp: description = Spend per client
-- bp: column Total = Sum of amount
-- bp: column "per order" = Average amount
SELECT client, sum(amount) AS total, avg(amount) AS "per order" FROM orders GROUP BY client
`;

const SCORED = `import { model, input } from "bauplan-ts";

export default model({
  inputs: { spend: input("spend", { columns: ["client", "total"] }) },
  columns: { client: "BIGINT", score: { type: "DOUBLE", description: "total / 100" } },
  run({ spend }) {
    return spend;
  },
});
`;

let dir: string;
beforeAll(async () => {
  dir = writeProject({ "bp_project.yml": CONFIG, "models/spend.sql": SPEND, "models/scored.ts": SCORED }, "described");
  await importSql(dir, "orders", "SELECT i::BIGINT AS id, (i % 7)::BIGINT AS client, i * 1.5 AS amount, 'n' AS note FROM range(100) t(i)");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function compile(): Promise<Plan> {
  const r = await compileProject({ projectDir: dir });
  expect(r.diagnostics).toEqual([]);
  return r.plan!;
}

const node = <T>(plan: Plan, id: string) => plan.nodes.find((n) => n.id === id) as T;

describe("column descriptions in the plan", () => {
  it("are keyed by the schema's spelling, in schema order, for SQL, TS and sources", async () => {
    const plan = await compile();
    const spend = node<SqlNode>(plan, "model:spend");
    expect(spend.description).toBe("Spend per client");
    expect(spend.schema!.map((c) => c.name)).toEqual(["client", "total", "per order"]);
    expect(spend.columnDescriptions).toEqual({ total: "Sum of amount", "per order": "Average amount" });
    expect(Object.keys(spend.columnDescriptions)).toEqual(["total", "per order"]);

    const scored = node<TsNode>(plan, "model:scored");
    expect(scored.schema).toEqual([{ name: "client", type: "BIGINT" }, { name: "score", type: "DOUBLE" }]);
    expect(scored.columnDescriptions).toEqual({ score: "total / 100" });

    const scan = node<ScanNode>(plan, "scan:orders");
    expect(scan.description).toBe("One row per order");
    // every described column of the table, scanned (`amount`, written `AMOUNT`: matched
    // case-insensitively) or not (`note`), in the table's order
    expect(scan.columns).toEqual(["client", "amount"]);
    expect(scan.columnDescriptions).toEqual({ amount: "Order amount in euros", note: "Free text (not read by any model)" });
  });

  it("do not change any cache key", async () => {
    const keys = (plan: Plan) => Object.fromEntries(plan.nodes.map((n) => [n.id, n.cacheKey]));
    const before = await compile();
    const edit = (file: string, from: string, to: string) => {
      const p = path.join(dir, file);
      const text = readFileSync(p, "utf8");
      expect(text).toContain(from);
      writeFileSync(p, text.replace(from, to));
    };
    edit("models/spend.sql", "Sum of amount", "Total amount per client");
    edit("bp_project.yml", "One row per order", "Orders, one row each");
    const after = await compile();
    expect(node<SqlNode>(after, "model:spend").columnDescriptions.total).toBe("Total amount per client");
    expect(node<ScanNode>(after, "scan:orders").description).toBe("Orders, one row each");
    expect(keys(after)).toEqual(keys(before));
  });
});
