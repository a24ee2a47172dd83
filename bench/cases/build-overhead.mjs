// build-overhead: `bp build` of a 3-model toy project on 10 rows (SQL -> TS -> SQL, the last one
// materialized) vs starting a bare Node process (`node -e "0"`): bp's fixed cost per build.
import path from "node:path";
import { writeParquet } from "../lib/data.mjs";
import { bp, runNode } from "../lib/proc.mjs";
import { importSource, writeProject } from "../lib/project.mjs";
import { measurePair } from "../lib/timing.mjs";

const FILES = {
  "models/big_orders.sql": `SELECT id, customer, amount FROM orders WHERE amount > 2\n`,
  "models/scored.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

export default model({
  inputs: { orders: input("big_orders", { columns: ["customer", "amount"] }) },
  columns: { customer: "VARCHAR", score: "DOUBLE" },
  run({ orders }) {
    const amount = orders.getChild("amount")!.toArray() as Float64Array;
    const customer = orders.getChild("customer")!;
    return tableFromArrays({
      customer: Array.from({ length: orders.numRows }, (_, i) => customer.get(i) as string),
      score: Float64Array.from(amount, (a) => Math.log1p(a)),
    });
  },
});
`,
  "models/customer_scores.sql": `-- bp: materialize = true
SELECT customer, sum(score) AS score, count(*) AS orders FROM scored GROUP BY ALL ORDER BY customer
`,
};

/** One size: the toy project. */
export const sizes = () => [10];

export async function run({ opts, tmp, log }) {
  const dir = path.join(tmp, "build-overhead");
  writeProject(dir, "toy", FILES);
  const source = path.join(tmp, "toy-orders.parquet");
  await writeParquet(`SELECT i::BIGINT AS id, 'c' || (i % 3) AS customer, (i * 1.5)::DOUBLE AS amount FROM range(10) t(i)`, source);
  await importSource(dir, source, "orders");

  const m = await measurePair({
    label: "build-overhead",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => (await bp(["build", "--no-cache", "-p", dir])).seconds,
    baseline: async () => {
      const r = await runNode(["-e", "0"]);
      if (r.code !== 0) throw new Error(`node -e 0 exited ${r.code}`);
      return r.seconds;
    },
    log,
  });
  return [{
    case: "build-overhead",
    size: "10 rows, 3 models (sql, ts, sql)",
    median: m.bpMedian,
    baselineName: `node -e "0"`,
    baselineMedian: m.baselineMedian,
    unit: "s",
    samples: m.samples.bp,
    baselineSamples: m.samples.baseline,
  }];
}
