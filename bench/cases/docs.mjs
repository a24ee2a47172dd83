// docs: `bp docs generate` (spawned CLI) of a synthetic project of N SQL models (the compile case's
// project) vs `bp compile` of the same project: the figure is what the site costs on top of the plan
// (catalog read, column lineage pages, graph layout or its per-focus data, highlighting, search index).
// docs: the graph laid out (its cached layout removed before each run); docs/regenerate: the DAG
// unchanged since the last generate (the layout comes from .bp/cache, as under bp docs serve --watch).
import path from "node:path";
import { readdirSync, rmSync } from "node:fs";
import { bp } from "../lib/proc.mjs";
import { writeSyntheticProject } from "../lib/synthetic-models.mjs";
import { measurePair } from "../lib/timing.mjs";

/** One run per --models count. */
export const sizes = (opts) => opts.models;

export async function run({ opts, size: count, tmp, log }) {
  const dir = path.join(tmp, "docs");
  const models = await writeSyntheticProject(dir, count, tmp);

  const layoutCache = path.join(dir, ".bp", "cache", "docs-layout.json");
  const figures = [];
  for (const [name, cold] of [["docs", true], ["docs/regenerate", false]]) {
    const m = await measurePair({
      label: name,
      repeat: opts.repeat,
      warmup: opts.warmup,
      bp: async () => {
        if (cold) rmSync(layoutCache, { force: true });
        return (await bp(["docs", "generate", "-p", dir])).seconds;
      },
      baseline: async () => (await bp(["compile", "-p", dir])).seconds,
      log,
    });
    const pages = readdirSync(path.join(dir, "target", "docs", "models")).length;
    if (pages !== count) throw new Error(`docs: ${pages} model pages, expected ${count}`);
    figures.push({
      case: name,
      size: `${count.toLocaleString("en-US")} SQL models`,
      median: m.bpMedian,
      baselineName: "bp compile of the same project",
      baselineMedian: m.baselineMedian,
      unit: "s",
      samples: m.samples.bp,
      baselineSamples: m.samples.baseline,
    });
  }
  return figures;
}
