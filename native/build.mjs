#!/usr/bin/env node
// Builds the bp_native addon (native/build/Release/bp_native.node) with node-gyp.
// Run by `npm run build:native`, which `prepare` (so `npm ci`) runs.
//
// - node-gyp: the copy bundled with npm (npm puts it on the PATH of scripts and names it in
//   $npm_config_node_gyp), else node_modules/.bin/node-gyp, else the one beside this Node's npm.
//   No dependency's install script is involved.
// - Headers: npm's `nodedir` if set, else this Node's own include/node (official tarballs and
//   distro packages ship it), so node-gyp never downloads anything. Node-API only: one build
//   serves every Node >= 20 (NAPI_VERSION 8).
// - A failed build does NOT fail the install: bp then reads inputs with readFileSync (and says so).
//   Set BP_NATIVE_REQUIRED=1 to make a failed build an error (CI).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const required = process.env.BP_NATIVE_REQUIRED === "1";

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((c) => c && existsSync(c));
}

function nodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && existsSync(path.join(configured, "include", "node", "node_api.h"))) return configured;
  const own = path.resolve(path.dirname(process.execPath), "..");
  if (existsSync(path.join(own, "include", "node", "node_api.h"))) return own;
  return configured || undefined; // let node-gyp find (or fetch) headers itself
}

function give_up(why) {
  const msg =
    `bp: the native addon (zero-copy mmap reads) was not built: ${why}\n` +
    "bp: TS models will read their inputs with readFileSync instead (slower, one copy per process).\n";
  process.stderr.write(msg);
  process.exit(required ? 1 : 0);
}

const gyp = nodeGyp();
if (!gyp) give_up("node-gyp not found (run this through npm: `npm run build:native`)");
const args = [gyp, "rebuild", "--directory", here];
const env = { ...process.env };
const dir = nodeDir();
// node-gyp lets npm_config_* variables override its command line: set the variable itself.
if (dir) env.npm_config_nodedir = dir;
else delete env.npm_config_nodedir;
if (process.env.BP_NATIVE_DEBUG === "1") args.push("--debug");

const started = Date.now();
const r = spawnSync(process.execPath, args, { cwd: here, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
const addon = path.join(here, "build", process.env.BP_NATIVE_DEBUG === "1" ? "Debug" : "Release", "bp_native.node");
if (r.status !== 0 || !existsSync(addon)) {
  process.stderr.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  give_up(r.error ? r.error.message : `node-gyp exited with ${r.status ?? r.signal}`);
}
process.stderr.write(`bp: built ${path.relative(root, addon)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
