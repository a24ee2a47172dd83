/**
 * A small project for the watch and incremental-compile tests: a source `orders`, SQL models in a
 * chain (base -> by_customer -> top_customers, materialized) with a TS model (scored) and a SQL leaf
 * reading it (score_summary), and a leaf of `base` (big_orders).
 */
import { writeFileSync, rmSync, mkdirSync } from "node:fs";
import path from "node:path";
import { importSql, writeProject } from "./temp-project.js";

export const WATCH_FILES: Record<string, string> = {
  "models/base.sql": "SELECT id, customer, amount FROM orders\n",
  "models/big_orders.sql": "SELECT id, amount FROM base WHERE amount > 50\n",
  "models/by_customer.sql": "SELECT customer, sum(amount) AS total, count(*) AS n FROM base GROUP BY customer\n",
  "models/top_customers.sql": "-- bp: materialize = true\nSELECT customer, total FROM by_customer ORDER BY total DESC LIMIT 3\n",
  "models/scored.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

export default model({
  inputs: { rows: input("by_customer", { columns: ["customer", "total"] }) },
  columns: { customer: "VARCHAR", score: "DOUBLE" },
  run({ rows }) {
    const total = rows.getChild("total")!;
    const customer = rows.getChild("customer")!;
    return tableFromArrays({
      customer: Array.from({ length: rows.numRows }, (_, i) => customer.get(i) as string),
      score: Float64Array.from({ length: rows.numRows }, (_, i) => Math.log1p(Number(total.get(i)))),
    });
  },
});
`,
  "models/score_summary.sql": "SELECT count(*) AS customers, max(score) AS best FROM scored\n",
};

/** The project in a temp folder with `orders` imported on main. */
export async function writeWatchProject(name = "watch"): Promise<string> {
  const dir = writeProject(WATCH_FILES, name);
  await importSql(dir, "orders", "SELECT i::BIGINT AS id, 'c' || (i % 7) AS customer, (i * 1.5)::DOUBLE AS amount FROM range(100) t(i)");
  return dir;
}

export function writeFile(dir: string, rel: string, text: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function removeFile(dir: string, rel: string): void {
  rmSync(path.join(dir, rel), { force: true });
}
