/**
 * Smoke test of `npm run bench` (bench/run.mjs) at a tiny size: every case runs, measures bp and
 * its baseline, and writes positive finite figures. No timing assertions (speed is measured by the
 * bench itself, not by tests).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/temp-project.js";

const CASES = ["sql-pipeline", "build-overhead", "duckdb-to-child", "child-read", "compile", "mixed-pipeline", "mixed-pipeline/edges"];

interface Figure {
  case: string;
  size: string;
  median: number;
  baselineMedian: number;
  ratio: number;
  unit: string;
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
    const r = await runBench(["--rows", "2000", "--repeat", "1", "--models", "20", "--json", json]);
    expect(r.code, r.stderr + r.stdout).toBe(0);

    const out = JSON.parse(readFileSync(json, "utf8")) as { figures: Figure[] };
    expect(out.figures.map((f) => f.case).sort()).toEqual([...CASES].sort());
    for (const f of out.figures) {
      for (const v of [f.median, f.baselineMedian, f.ratio]) {
        expect(Number.isFinite(v) && v > 0, `${f.case}: ${JSON.stringify(f)}`).toBe(true);
      }
      expect(f.ratio).toBeCloseTo(f.median / f.baselineMedian, 9);
      expect(f.unit).toBe("s");
      expect(f.size).not.toBe("");
    }

    // One table on stdout, one row per figure.
    expect(r.stdout).toMatch(/case\s*\|\s*size\s*\|\s*bp \(median\)\s*\|\s*baseline\s*\|\s*baseline \(median\)\s*\|\s*ratio/);
    for (const c of CASES) expect(r.stdout).toMatch(new RegExp(`^${c.replace("/", "\\/")}\\s+\\|`, "m"));
    expect(r.stdout).toMatch(/cores/);
  });

  it("rejects an unknown option or case with exit code 2", async () => {
    expect((await runBench(["--bogus"])).code).toBe(2);
    expect((await runBench(["--only", "nope"])).code).toBe(2);
  });
});
