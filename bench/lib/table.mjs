// The one table printed at the end, plus the machine it ran on.
import os from "node:os";
import { BIG_ROWS } from "./args.mjs";
import { formatSeconds } from "./timing.mjs";

const n = (x) => x.toLocaleString("en-US");

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadavg1: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

function formatFigure(value, unit) {
  if (unit === "s") return formatSeconds(value);
  return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${unit}`;
}

export function formatRatio(r) {
  return `${r >= 100 ? r.toFixed(0) : r >= 1 ? r.toPrecision(3) : r.toPrecision(2)}x`;
}

/** figures: [{case, size, median, baselineName, baselineMedian, ratio, unit} | {case, size, failed}] -> text. */
export function renderTable(figures, info, opts, startInfo = info) {
  const head = ["case", "size", "median", "baseline", "baseline (median)", "ratio"];
  const rows = figures.map((f) =>
    f.failed
      ? [f.case, f.size, "FAILED", f.failed.slice(0, 100), "", ""]
      : [f.case, f.size, formatFigure(f.median, f.unit), f.baselineName, formatFigure(f.baselineMedian, f.unit), formatRatio(f.ratio)],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = new Set([2, 4, 5]);
  const line = (cells) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ");
  const sep = widths.map((w) => "-".repeat(w)).join("-|-");
  return [
    `bp bench: ${info.cores} cores (${info.cpu}), ${info.ramGiB} GiB RAM, Node ${info.node}, ${info.platform}; ` +
      `1-min load average ${startInfo.loadavg1} at start, ${info.loadavg1} at end (above 0 = other work shared the cores)`,
    `rows=${opts.rows.map(n).join(",")}${opts.big ? ` (+${n(BIG_ROWS)} for the pipeline cases)` : ""} models=${opts.models.map(n).join(",")} ` +
      `repeat=${opts.repeat} (median) warmup=${opts.warmup}; ratio = median / baseline median (lower is better; */edges: edge time / build time; fanout-memory: PSS of 3 children / of 1)`,
    "",
    line(head),
    sep,
    ...rows.map(line),
  ].join("\n");
}
