// output-cache: the example project (SQL and TS models) on N generated rows, built four ways in
// each round, each against a `bp build --no-cache` of the same project measured in the same round:
//   cold       the output cache emptied and every model changed: every node runs and its output is
//              stored (the cost of keeping outputs);
//   unchanged  the same build again: nothing runs, nothing is written;
//   leaf-edit  a new version of the leaf usd_by_country (over the TS model euro_selection): only it
//              runs, reading euro_selection's cached Arrow output.
// The node statuses of every build are checked, and the tables equal those of the --no-cache build.
// Then the same on sql-pipeline's SQL-only 5-model chain (large intermediates, each written through
// the cache as Parquet when another model reads it): cold and a leaf edit (country_report).
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { assertSameRows } from "../lib/data.mjs";
import { bp, ROOT, runNode } from "../lib/proc.mjs";
import { importSource, writeProject } from "../lib/project.mjs";
import { transactionsSelect, writeParquet } from "../lib/data.mjs";
import { MODELS } from "./sql-pipeline.mjs";
import { pipelineRows } from "../lib/args.mjs";
import { measureRounds } from "../lib/timing.mjs";

const EXAMPLE = path.join(ROOT, "example-project");
const LEAF = "usd_by_country";

export const sizes = pipelineRows;

/** The RunResult of `bp build --json` (one JSON document, or NDJSON ending with a run-end event). */
function runResult(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    const last = stdout.trim().split("\n").map((l) => JSON.parse(l)).findLast((e) => e.type === "run-end");
    return last.result;
  }
}

async function build(dir, args, expect) {
  const r = await bp(["build", "--json", ...args, "-p", dir]);
  const result = runResult(r.stdout);
  if (!result.ok) throw new Error(`output-cache: build ${args.join(" ")} not ok: ${r.stderr}`);
  const ranModels = result.nodes.filter((n) => n.status === "ok" && (n.kind === "sql" || n.kind === "ts")).map((n) => n.name).sort();
  if (expect !== undefined && JSON.stringify(ranModels) !== JSON.stringify(expect)) {
    throw new Error(`output-cache: build ${args.join(" ")} ran models ${ranModels.join(", ") || "(none)"}, expected ${expect.join(", ") || "(none)"}`);
  }
  return r.seconds;
}

export async function run({ opts, size: rows, tmp, log }) {
  const dir = path.join(tmp, "output-cache");
  cpSync(path.join(EXAMPLE, "models"), path.join(dir, "models"), { recursive: true });
  cpSync(path.join(EXAMPLE, "bp_project.yml"), path.join(dir, "bp_project.yml"));
  log(`  generating ${rows} rows with example-project/generate-data.mjs`);
  const gen = await runNode([path.join(EXAMPLE, "generate-data.mjs"), String(rows), path.join(dir, "data")]);
  if (gen.code !== 0) throw new Error(`generate-data.mjs failed: ${gen.stderr}`);
  await importSource(dir, path.join(dir, "data", "transactions.parquet"), "transactions");
  rmSync(path.join(dir, "data"), { recursive: true });
  const leafFile = path.join(dir, "models", `${LEAF}.sql`);
  const leafText = readFileSync(leafFile, "utf8");
  const tsFile = path.join(dir, "models", "euro_selection.ts");
  const tsText = readFileSync(tsFile, "utf8");
  const allModels = ["client_segments", "client_stats", "euro_selection", "segment_summary", "usd_by_country"];
  // Every round gives every model a new key (an end_date a second later, a new line in the TS
  // model) so that "cold" computes everything; the sides of a round share them.
  let round = 0;
  let leafVersion = 0;
  // (the --no-cache build commits its tables with their keys: "cold" must differ from it too)
  const vars = (minute) => ["--var", `end_date=2023-02-01 00:0${minute}:${String(round).padStart(2, "0")}`];
  const query = `SELECT * FROM ${LEAF} ORDER BY country`;
  const tableNow = async () => JSON.parse((await bp(["query", query, "--json", "-p", dir])).stdout);

  const m = await measureRounds({
    label: "output-cache",
    repeat: opts.repeat,
    warmup: opts.warmup,
    log,
    sides: {
      "no-cache": () => {
        round++;
        if (round > 59) throw new Error("output-cache: at most 59 rounds");
        writeFileSync(tsFile, `${tsText}\n// round ${round}\n`);
        return build(dir, ["--no-cache", ...vars(0)], allModels);
      },
      cold: () => {
        rmSync(path.join(dir, ".bp", "cache", "outputs"), { recursive: true, force: true });
        writeFileSync(tsFile, `${tsText}\n// round ${round}, cold\n`);
        return build(dir, vars(1), allModels);
      },
      unchanged: () => build(dir, vars(1), []),
      "leaf-edit": () => {
        writeFileSync(leafFile, leafText.replace(/GROUP BY ALL/, `GROUP BY ALL HAVING COUNT(*) > -${++leafVersion}`));
        return build(dir, vars(1), [LEAF]);
      },
    },
  });
  const cached = await tableNow();
  writeFileSync(tsFile, `${tsText}\n// check\n`);
  await build(dir, ["--no-cache", ...vars(1)], allModels);
  assertSameRows("output-cache usd_by_country", cached, await tableNow());
  log("  results match (usd_by_country after the leaf edit, cached vs --no-cache)");

  const chain = await sqlChain({ opts, rows, tmp, log });
  const size = `${rows.toLocaleString("en-US")} rows, 5 models (2 ts)`;
  const baseline = { baselineName: "bp build --no-cache (same rounds)", baselineMedian: m["no-cache"].median, baselineSamples: m["no-cache"].samples, unit: "s" };
  return [
    { case: "output-cache/cold", size, median: m.cold.median, samples: m.cold.samples, ...baseline },
    { case: "output-cache/unchanged", size, median: m.unchanged.median, samples: m.unchanged.samples, ...baseline },
    { case: "output-cache/leaf-edit", size, median: m["leaf-edit"].median, samples: m["leaf-edit"].samples, ...baseline },
    ...chain,
  ];
}

/** sql-pipeline's chain: cold (every model new, outputs stored) and a leaf edit, against --no-cache. */
async function sqlChain({ opts, rows, tmp, log }) {
  const dir = path.join(tmp, "output-cache-sql");
  const source = path.join(tmp, "output-cache-sql.parquet");
  await writeParquet(transactionsSelect(rows), source);
  writeProject(dir, "sql_chain", Object.fromEntries(MODELS.map(([name, sql]) => [`models/${name}.sql`, `${sql}\n`])));
  await importSource(dir, source, "transactions");
  rmSync(source);
  const root = path.join(dir, "models", "valid.sql");
  const leaf = path.join(dir, "models", "country_report.sql");
  const [rootText, leafText] = [readFileSync(root, "utf8"), readFileSync(leaf, "utf8")];
  const all = MODELS.map(([name]) => name).sort();
  let version = 0;
  const newRoot = () => writeFileSync(root, rootText.replace("WHERE usd >= 5", `WHERE usd >= 5 AND ${++version} > 0`));
  const m = await measureRounds({
    label: "output-cache sql-chain",
    repeat: opts.repeat,
    warmup: opts.warmup,
    log,
    sides: {
      "no-cache": () => {
        newRoot();
        return build(dir, ["--no-cache"], all);
      },
      cold: () => {
        rmSync(path.join(dir, ".bp", "cache", "outputs"), { recursive: true, force: true });
        newRoot();
        return build(dir, [], all);
      },
      "leaf-edit": () => {
        writeFileSync(leaf, leafText.replace("GROUP BY ALL", `GROUP BY ALL HAVING count(*) > -${++version}`));
        return build(dir, [], ["country_report"]);
      },
    },
  });
  const size = `${rows.toLocaleString("en-US")} rows, 5 SQL models`;
  const baseline = { baselineName: "bp build --no-cache (same rounds)", baselineMedian: m["no-cache"].median, baselineSamples: m["no-cache"].samples, unit: "s" };
  return [
    { case: "output-cache/sql-chain-cold", size, median: m.cold.median, samples: m.cold.samples, ...baseline },
    { case: "output-cache/sql-chain-leaf-edit", size, median: m["leaf-edit"].median, samples: m["leaf-edit"].samples, ...baseline },
  ];
}
