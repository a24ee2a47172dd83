// Command-line options of `npm run bench`.
export const CASE_NAMES = ["sql-pipeline", "build-overhead", "duckdb-to-child", "child-read", "fanout-memory", "compile", "docs", "watch", "mixed-pipeline", "output-cache", "s3-scan-cache", "package-env"];

/** Rows of the pipeline cases' extra size under --big. */
export const BIG_ROWS = 100_000_000;

const USAGE = `usage: node bench/run.mjs [--rows N[,N]] [--big] [--repeat K] [--models M[,M]] [--warmup W] [--json FILE] [--only CASE[,CASE]] [--keep]
  --rows N,..   sizes (rows of generated data) of the data cases (default 1000000,10000000)
  --big         also run the pipeline cases (sql-pipeline, mixed-pipeline) at ${BIG_ROWS.toLocaleString("en-US")} rows (several GB)
  --repeat K    measured runs of each side; the median is reported (default 3)
  --models M,.. sizes (SQL models) of the compile case's synthetic project (default 1000,10000)
  --warmup W    unmeasured runs of each side before measuring (default 1)
  --json FILE   also write every figure as JSON {case, size, median, baselineMedian, ratio, unit, baseline}
  --only CASE   run only these cases (comma-separated): ${CASE_NAMES.join(", ")}
  --keep        keep the temp folder (for inspection)`;

function positiveInt(name, text, { allowZero = false } = {}) {
  const n = Number(String(text).replace(/_/g, ""));
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UsageError(`${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${JSON.stringify(text)}`);
  return n;
}

/** "1000,10_000" -> [1000, 10000] (each a positive integer, duplicates dropped, order kept). */
function intList(name, text) {
  const items = String(text).split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw new UsageError(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(text)}`);
  return [...new Set(items.map((s) => positiveInt(name, s)))];
}

export class UsageError extends Error {}

export function parseArgs(argv) {
  const opts = {
    rows: [1_000_000, 10_000_000],
    big: false,
    repeat: 3,
    models: [1000, 10_000],
    warmup: 1,
    json: null,
    only: null,
    keep: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case "--rows": opts.rows = intList("--rows", value()); break;
      case "--big": opts.big = true; break;
      case "--repeat": opts.repeat = positiveInt("--repeat", value()); break;
      case "--models": opts.models = intList("--models", value()); break;
      case "--warmup": opts.warmup = positiveInt("--warmup", value(), { allowZero: true }); break;
      case "--json": opts.json = value(); break;
      case "--only": {
        const names = value().split(",").map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !CASE_NAMES.includes(n));
        if (unknown.length) throw new UsageError(`unknown case ${unknown.join(", ")} (cases: ${CASE_NAMES.join(", ")})`);
        opts.only = names;
        break;
      }
      case "--keep": opts.keep = true; break;
      case "-h": case "--help": opts.help = true; break;
      default: throw new UsageError(`unknown option ${arg}`);
    }
  }
  return opts;
}

/** The row counts of a pipeline case: --rows, plus BIG_ROWS under --big. */
export function pipelineRows(opts) {
  return opts.big && !opts.rows.includes(BIG_ROWS) ? [...opts.rows, BIG_ROWS] : opts.rows;
}

export { USAGE };
