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
 * Runs `warmup` unmeasured rounds, then `repeat` measured rounds; each round runs every side once,
 * in order (a, b, c, a, b, c, ...), so that drift in the machine hits all sides alike.
 * Each side is `async (round) => value | {value, ...extra}` (`seconds` is accepted for `value`): a
 * side measures its own figure (a wall time around just the measured work, a time reported by a
 * child, a memory size), so untimed setup and cleanup can sit in the same function. Round numbers
 * are negative during warm-up. Returns per side the samples, the extras and the median.
 */
export async function measureRounds({ label, repeat, warmup, sides, log, format = formatSeconds }) {
  const out = Object.fromEntries(Object.keys(sides).map((name) => [name, { samples: [], extras: [] }]));
  const width = Math.max(...Object.keys(sides).map((n) => n.length));
  for (let round = -warmup; round < repeat; round++) {
    for (const [name, fn] of Object.entries(sides)) {
      const raw = await fn(round);
      const r = typeof raw === "number" ? { value: raw } : { ...raw, value: raw.value ?? raw.seconds };
      if (!(Number.isFinite(r.value) && r.value > 0)) throw new Error(`${label} ${name}: not a positive figure (${r.value})`);
      const what = round < 0 ? `warm-up ${round + warmup + 1}/${warmup}` : `run ${round + 1}/${repeat}`;
      log(`  ${label} ${name.padEnd(width)} ${what}: ${format(r.value)}`);
      if (round >= 0) {
        out[name].samples.push(r.value);
        out[name].extras.push(r);
      }
    }
  }
  for (const side of Object.values(out)) side.median = median(side.samples);
  return out;
}

/** measureRounds of two sides, bp and baseline: {samples, extras, bpMedian, baselineMedian}. */
export async function measurePair({ label, repeat, warmup, bp, baseline, log, format }) {
  const m = await measureRounds({ label, repeat, warmup, sides: { bp, baseline }, log, format });
  return {
    samples: { bp: m.bp.samples, baseline: m.baseline.samples },
    extras: { bp: m.bp.extras, baseline: m.baseline.extras },
    bpMedian: m.bp.median,
    baselineMedian: m.baseline.median,
  };
}

/** 1.23 s, 456 ms, 7.89 ms, 12.3 µs: three significant digits. */
export function formatSeconds(s) {
  if (!Number.isFinite(s)) return String(s);
  const fmt = (v, unit) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
  if (s >= 1) return fmt(s, "s");
  if (s >= 1e-3) return fmt(s * 1e3, "ms");
  return fmt(s * 1e6, "µs");
}
