#!/usr/bin/env node
// `npm run bench`: every figure of bp beside its baseline measured in the same run, on data
// generated here (in a temp folder removed at the end). See bench/README.md.
//   node bench/run.mjs [--rows N,..] [--big] [--repeat K] [--models M,..] [--warmup W] [--json FILE] [--only CASE,..]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CASE_NAMES, parseArgs, USAGE, UsageError } from "./lib/args.mjs";
import { ROOT } from "./lib/proc.mjs";
import { machineInfo, renderTable } from "./lib/table.mjs";
import { formatSeconds } from "./lib/timing.mjs";

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(`bench: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!existsSync(path.join(ROOT, "dist", "cli", "main.js"))) {
  console.error("bench: dist/ is missing; build bp first (npx tsc -p .)");
  process.exit(2);
}

const startInfo = machineInfo();
const log = (line) => process.stderr.write(`${line}\n`);
const tmp = mkdtempSync(path.join(os.tmpdir(), "bp-bench-"));
const cleanups = []; // e.g. shared-memory folders of the running case
const cleanup = () => {
  for (const fn of cleanups.splice(0)) fn();
  if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
};
process.once("SIGINT", () => {
  cleanup();
  process.exit(130);
});

const figures = [];
let failed = false;
try {
  for (const name of opts.only ?? CASE_NAMES) {
    const mod = await import(`./cases/${name}.mjs`);
    // Each case runs once per size it takes from the options (rows, models; see the case's sizes()).
    for (const size of mod.sizes(opts)) {
      log(`${name} (${size.toLocaleString("en-US")}):`);
      const caseTmp = path.join(tmp, `${name}-${size}`);
      mkdirSync(caseTmp, { recursive: true });
      const t0 = performance.now();
      try {
        const onCleanup = (fn) => cleanups.push(fn);
        for (const f of await mod.run({ opts, size, tmp: caseTmp, log, onCleanup })) figures.push({ ...f, ratio: f.median / f.baselineMedian });
      } catch (e) {
        failed = true;
        log(`  FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        figures.push({ case: name, size: size.toLocaleString("en-US"), failed: e instanceof Error ? e.message.split("\n")[0] : String(e) });
      } finally {
        for (const fn of cleanups.splice(0)) fn();
        if (!opts.keep) rmSync(caseTmp, { recursive: true, force: true });
      }
      log(`  (${formatSeconds((performance.now() - t0) / 1000)} for the case)`);
    }
  }
} finally {
  cleanup();
}

const info = machineInfo();
console.log(`\n${renderTable(figures, info, opts, startInfo)}`);
if (opts.keep) log(`kept ${tmp}`);
if (opts.json) {
  const out = {
    machine: { ...info, loadavg1AtStart: startInfo.loadavg1 },
    options: { rows: opts.rows, big: opts.big, repeat: opts.repeat, models: opts.models, warmup: opts.warmup },
    failed: figures.filter((f) => f.failed).map((f) => ({ case: f.case, size: f.size, error: f.failed })),
    figures: figures.filter((f) => !f.failed).map((f) => ({
      case: f.case,
      size: f.size,
      median: f.median,
      baselineMedian: f.baselineMedian,
      ratio: f.ratio,
      unit: f.unit,
      baseline: f.baselineName,
      ...(f.what ? { measured: f.what } : {}),
      ...(f.samples ? { samples: f.samples, baselineSamples: f.baselineSamples } : {}),
    })),
  };
  mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
  writeFileSync(opts.json, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${opts.json}`);
}
process.exit(failed ? 1 : 0);
