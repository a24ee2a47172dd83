/**
 * Smoke test of `npm run bench` (bench/run.mjs) at a tiny size: every case runs, measures bp and
 * its baseline, and writes positive finite figures; the options parse as documented. No timing
 * assertions (speed is measured by the bench itself, not by tests).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error -- a plain JS module of the bench, without type declarations
import { BIG_ROWS, parseArgs, pipelineRows } from "../../bench/lib/args.mjs";
import { ROOT } from "../helpers/temp-project.js";

/** [case, unit, how many figures of it: one per size] for `--rows 2000 --models 10,20`. */
const FIGURES: [string, string, number][] = [
  ["sql-pipeline", "s", 1],
  ["build-overhead", "s", 1],
  ["duckdb-to-child", "s", 1],
  ["child-read/mmap", "s", 1],
  ["child-read/file", "s", 1],
  ["child-read/json", "s", 1],
  ["child-read/parquet-js", "s", 1],
  ["fanout-memory", "MiB", 1],
  ["fanout-memory/mapping", "MiB", 1],
  ["fanout-memory/read", "MiB", 1],
  ["compile", "s", 2],
  ["docs", "s", 2],
  ["docs/regenerate", "s", 2],
  ["watch", "s", 1],
  ["mixed-pipeline", "s", 1],
  ["mixed-pipeline/edges", "s", 1],
  ["output-cache/cold", "s", 1],
  ["output-cache/leaf-edit", "s", 1],
  ["output-cache/unchanged", "s", 1],
  ["output-cache/sql-chain-cold", "s", 1],
  ["output-cache/sql-chain-leaf-edit", "s", 1],
  ["s3-scan-cache/3-columns", "s", 1],
  ["s3-scan-cache/4-columns", "s", 1],
  ["s3-scan-cache/3-columns-bytes", "MiB", 1],
  ["s3-scan-cache/4-columns-bytes", "MiB", 1],
  ["package-env/new-package", "s", 1],
  ["package-env/built", "s", 1],
  ["package-env/new-combination", "s", 1],
];

interface Figure {
  case: string;
  size: string;
  median: number;
  baselineMedian: number;
  ratio: number;
  unit: string;
  baseline: string;
}

const dir = mkdtempSync(path.join(os.tmpdir(), "bp-bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bench", "run.mjs"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("npm run bench (smoke)", () => {
  it("runs every case at a tiny size and writes positive finite figures", { timeout: 300_000 }, async () => {
    const json = path.join(dir, "bench.json");
    const r = await runBench(["--rows", "2000", "--repeat", "1", "--models", "10,20", "--json", json]);
    expect(r.code, r.stderr + r.stdout).toBe(0);

    const out = JSON.parse(readFileSync(json, "utf8")) as { figures: Figure[]; failed: unknown[]; options: { rows: number[]; models: number[] } };
    expect(out.failed).toEqual([]);
    expect(out.options).toMatchObject({ rows: [2000], models: [10, 20] });
    const expected = FIGURES.flatMap(([c, , n]) => Array<string>(n).fill(c));
    expect(out.figures.map((f) => f.case).sort()).toEqual(expected.sort());
    for (const f of out.figures) {
      // At a tiny size the first scan's read of the file's tail already holds the 4th column.
      const mayBeZero = f.case === "s3-scan-cache/4-columns-bytes";
      for (const v of [f.median, f.baselineMedian, f.ratio]) {
        expect(Number.isFinite(v) && (v > 0 || (mayBeZero && v === 0)), `${f.case}: ${JSON.stringify(f)}`).toBe(true);
      }
      expect(f.ratio).toBeCloseTo(f.median / f.baselineMedian, 9);
      expect(f.unit).toBe(FIGURES.find(([c]) => c === f.case)![1]);
      expect(f.size).not.toBe("");
      expect(f.baseline).not.toBe("");
    }
    expect(out.figures.filter((f) => f.case === "compile").map((f) => f.size)).toEqual(["10 SQL models", "20 SQL models"]);

    // One table on stdout, one row per figure.
    expect(r.stdout).toMatch(/case\s*\|\s*size\s*\|\s*median\s*\|\s*baseline\s*\|\s*baseline \(median\)\s*\|\s*ratio/);
    for (const [c, , n] of FIGURES) {
      expect(r.stdout.match(new RegExp(`^${c.replace("/", "\\/")}\\s+\\|.*\\|\\s*[0-9.]+x$`, "gm")), c).toHaveLength(n);
    }
    expect(r.stdout).toMatch(/cores/);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it("takes lists of sizes, --big for the pipeline cases, and rejects bad options with exit code 2", async () => {
    expect(parseArgs([])).toMatchObject({ rows: [1_000_000, 10_000_000], models: [1000, 10_000], big: false });
    const big = parseArgs(["--rows", "1_000,5000", "--big", "--models=7"]);
    expect(big).toMatchObject({ rows: [1000, 5000], models: [7], big: true });
    expect(pipelineRows(big)).toEqual([1000, 5000, BIG_ROWS]);
    expect(pipelineRows(parseArgs(["--rows", "1000"]))).toEqual([1000]);

    expect((await runBench(["--bogus"])).code).toBe(2);
    expect((await runBench(["--only", "nope"])).code).toBe(2);
    expect((await runBench(["--rows", "1000,,2"])).code).toBe(2);
    expect((await runBench(["--models", "0"])).code).toBe(2);
  });
});
