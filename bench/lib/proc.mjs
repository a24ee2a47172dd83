// Child processes: the bp CLI and plain node scripts, with wall time measured around spawn..exit.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BP = path.join(ROOT, "bin", "bp.js");

/**
 * Spawns `node args...`; resolves with {code, stdout, stderr, seconds} where seconds is the wall
 * time from just before spawn to the 'close' event (process start and exit included).
 */
export function runNode(args, { cwd = ROOT, env = {}, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      resolve({ code: code ?? -1, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds });
    });
  });
}

/** Runs `node bin/bp.js args...`; throws with its output unless it exits 0. */
export async function bp(args, options = {}) {
  const r = await runNode([BP, ...args], options);
  if (r.code !== 0) throw new Error(`bp ${args.join(" ")} exited ${r.code}${r.signal ? ` (${r.signal})` : ""}\n${r.stderr}\n${r.stdout}`.trim());
  return r;
}

/** Runs a node script and parses the last line of its stdout as JSON; throws unless it exits 0. */
export async function runNodeJson(args, options = {}) {
  const r = await runNode(args, options);
  if (r.code !== 0) throw new Error(`node ${args.join(" ")} exited ${r.code}\n${r.stderr}\n${r.stdout}`.trim());
  const lines = r.stdout.trim().split("\n");
  return { ...r, json: JSON.parse(lines[lines.length - 1]) };
}
