// Timing: wall-clock seconds of async functions, medians, bp and baseline measured interleaved.

/** Median of a non-empty list of numbers. */
export function median(values) {
  if (values.length === 0) throw new Error("median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Seconds taken by `await fn()`, and its result. */
export async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - t0) / 1000, result };
}

/**
 * Runs `warmup` unmeasured rounds, then `repeat` measured rounds of bp and baseline, alternating
 * (bp, baseline, bp, baseline, ...) so that drift in the machine hits both sides alike.
 * Each side is `async (round) => seconds | {seconds, ...extra}`: a side measures its own figure
 * (a wall time around just the measured work, or a time reported by a child), so untimed setup and
 * cleanup can sit in the same function. Returns the samples, the extras and both medians.
 */
export async function measurePair({ label, repeat, warmup, bp, baseline, log }) {
  const samples = { bp: [], baseline: [] };
  const extras = { bp: [], baseline: [] };
  const norm = (r) => (typeof r === "number" ? { seconds: r } : r);
  for (let round = -warmup; round < repeat; round++) {
    for (const side of ["bp", "baseline"]) {
      const r = norm(await (side === "bp" ? bp : baseline)(round));
      if (!(Number.isFinite(r.seconds) && r.seconds > 0)) throw new Error(`${label} ${side}: not a positive time (${r.seconds})`);
      const what = round < 0 ? `warm-up ${round + warmup + 1}/${warmup}` : `run ${round + 1}/${repeat}`;
      log(`  ${label} ${side.padEnd(8)} ${what}: ${formatSeconds(r.seconds)}`);
      if (round >= 0) {
        samples[side].push(r.seconds);
        extras[side].push(r);
      }
    }
  }
  return { samples, extras, bpMedian: median(samples.bp), baselineMedian: median(samples.baseline) };
}

/** 1.23 s, 456 ms, 7.89 ms, 12.3 µs: three significant digits. */
export function formatSeconds(s) {
  if (!Number.isFinite(s)) return String(s);
  const fmt = (v, unit) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
  if (s >= 1) return fmt(s, "s");
  if (s >= 1e-3) return fmt(s * 1e3, "ms");
  return fmt(s * 1e6, "µs");
}
