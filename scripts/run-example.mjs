#!/usr/bin/env node
// The main job on the example project: generate ~1M rows of transactions, import them into the
// project's lake, run `bp build`, and print the materialized results.
// Usage: npm run example [-- rows]
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const project = path.join(root, "example-project");
const rows = process.argv[2] ?? "1000000";
const bp = (...args) => step(process.execPath, [path.join(root, "bin", "bp.js"), ...args, "-p", project]);

function step(cmd, args) {
  console.log(`\n$ ${[path.basename(cmd), ...args.map((a) => (a.includes(" ") ? JSON.stringify(a) : a))].join(" ").replace(root + "/", "")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

step(process.execPath, [path.join(project, "generate-data.mjs"), rows]);
bp("import", path.join(project, "data", "transactions.parquet"), "--table", "transactions");
bp("build");
bp("query", "SELECT * FROM usd_by_country");
bp("query", "SELECT * FROM segment_summary");
bp("tables");
