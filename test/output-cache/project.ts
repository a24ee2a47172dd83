/**
 * The project the output-cache tests edit: a source, SQL models (one materialized, one a leaf),
 * a TS model reading a SQL model with a declared filter, and a SQL model over the TS model.
 *
 *   orders -> big_orders (sql) -> by_client (sql, materialized) -> top_clients (sql, leaf)
 *                              -> scored (ts, filter) -> score_stats (sql, materialized)
 *   orders -> countries (sql, leaf)
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { importSql, writeProject } from "../helpers/temp-project.js";

export const ORDERS = (seed: number) =>
  `SELECT i::BIGINT AS id, (i % 13)::BIGINT AS client, ((i * ${seed}) % 997)::DOUBLE AS amount, (['DE','FR','US'])[i % 3 + 1] AS country, 'note ' || (i % 5) AS note FROM range(5000) t(i)`;

export const FILES: Record<string, string> = {
  "bp_project.yml": "name: cachetest\nlake: .bp/lake\nvars:\n  min_amount: 10\n",
  "models/big_orders.sql": `-- orders above a threshold
SELECT id, client, amount
FROM orders
WHERE amount > {{var "min_amount"}}
`,
  "models/by_client.sql": `-- bp: materialize = true
SELECT client, sum(amount) AS total, count(*) AS n FROM big_orders GROUP BY client ORDER BY client
`,
  "models/scored.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

export default model({
  inputs: { orders: input("big_orders", { columns: ["client", "amount"], filter: "amount < 500" }) },
  columns: { client: "BIGINT", score: "DOUBLE" },
  run({ orders }) {
    const amount = orders.getChild("amount")!.toArray() as Float64Array;
    return tableFromArrays({ client: orders.getChild("client")!.toArray() as BigInt64Array, score: amount.map((a) => a * 2) });
  },
});
`,
  "models/score_stats.sql": `-- bp: materialize = true
SELECT client, count(*) AS n, sum(score) AS s FROM scored GROUP BY client ORDER BY client
`,
  "models/top_clients.sql": `SELECT client, total FROM by_client ORDER BY total DESC LIMIT 3
`,
  "models/countries.sql": `SELECT country, count(*) AS n FROM orders GROUP BY country
`,
};

export async function cacheProject(): Promise<string> {
  const dir = writeProject(FILES, "cachetest");
  await importSql(dir, "orders", ORDERS(7));
  return dir;
}

export function edit(dir: string, file: string, change: (text: string) => string): void {
  const p = path.join(dir, file);
  const before = readFileSync(p, "utf8");
  const after = change(before);
  if (after === before) throw new Error(`edit of ${file} changed nothing`);
  writeFileSync(p, after);
}
