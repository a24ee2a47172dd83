// compile: `bp compile` (spawned CLI) of a synthetic project of N SQL models (each of --models) (chains and
// fans over one source) vs DuckDB's parser floor: json_serialize_sql of the same queries in one
// connection, in one statement (in-process, instance creation included).
import path from "node:path";
import { readFileSync } from "node:fs";
import { sqlString, withDuckDB } from "../lib/data.mjs";
import { bp } from "../lib/proc.mjs";
import { writeSyntheticProject } from "../lib/synthetic-models.mjs";
import { measurePair } from "../lib/timing.mjs";

/** One run per --models count. */
export const sizes = (opts) => opts.models;

export async function run({ opts, size: count, tmp, log }) {
  const dir = path.join(tmp, "compile");
  const models = await writeSyntheticProject(dir, count, tmp);

  const m = await measurePair({
    label: "compile",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => (await bp(["compile", "-p", dir])).seconds,
    baseline: async () => {
      const t0 = performance.now();
      await withDuckDB(async (conn) => {
        // One statement parses every query: DuckDB's parser cost without a round trip per query.
        const list = models.map(([, sql]) => sqlString(sql)).join(", ");
        const rows = (await conn.runAndReadAll(`SELECT json_serialize_sql(q) FROM unnest([${list}]) t(q)`)).getRows();
        if (rows.length !== models.length) throw new Error(`compile baseline: ${rows.length} results for ${models.length} queries`);
        rows.forEach(([json], i) => {
          if (JSON.parse(json).error) throw new Error(`compile baseline: ${models[i][0]} does not parse: ${json}`);
        });
      });
      return (performance.now() - t0) / 1000;
    },
    log,
  });
  const plan = JSON.parse(readFileSync(path.join(dir, "target", "plan.json"), "utf8"));
  const sqlNodes = plan.nodes.filter((n) => n.kind === "sql").length;
  if (sqlNodes !== count) throw new Error(`compile: the plan has ${sqlNodes} sql nodes, expected ${count}`);
  return [{
    case: "compile",
    size: `${count.toLocaleString("en-US")} SQL models`,
    median: m.bpMedian,
    baselineName: "json_serialize_sql x models, 1 stmt",
    baselineMedian: m.baselineMedian,
    unit: "s",
    samples: m.samples.bp,
    baselineSamples: m.samples.baseline,
  }];
}
