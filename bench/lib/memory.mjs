// Memory of child processes: N children holding one table at once, measured from
// /proc/<pid>/smaps_rollup (whole process) and /proc/<pid>/smaps (the table file's mapping).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HOLD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "children", "hold-table.mjs");

/** "Pss:  1234 kB" lines -> {Pss: 1234, ...} (kB). */
function fields(lines) {
  const out = {};
  for (const line of lines) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Fields (kB) of the mappings of `file` in an smaps text, summed, and how many there are. */
function mappingOf(smaps, file) {
  const lines = [];
  let mappings = 0;
  let inside = false;
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      inside = line.trim().split(/\s+/).slice(5).join(" ") === file;
      if (inside) mappings++;
    } else if (inside) lines.push(line);
  }
  return { ...fields(lines), mappings };
}

/** /proc/<pid> memory of a process: {rollup, mapping} in kB (mapping: of `file`). */
export function processMemory(pid, file) {
  return {
    rollup: fields(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")),
    mapping: mappingOf(readFileSync(`/proc/${pid}/smaps`, "utf8"), file),
  };
}

/** Starts one hold-table child; resolves with it once it has printed its JSON line (table held). */
function startHolder(file, how) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLD, file, how], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let ready = false;
    const exited = new Promise((r) => child.on("close", (code, signal) => r({ code, signal })));
    child.on("error", reject);
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      if (!ready && out.includes("\n")) {
        ready = true;
        resolve({ child, json: JSON.parse(out.slice(0, out.indexOf("\n"))), exited });
      }
    });
    exited.then(({ code, signal }) => {
      if (!ready) reject(new Error(`hold-table.mjs ${how} exited ${code ?? signal} before holding the table\n${err}`));
    });
  });
}

/**
 * Starts `n` children that each open `file` (`how`: mmap | read), sum usd and touch every page, and
 * once all of them hold the table at once, reads each one's memory; then lets them exit.
 * Returns [{json, rollup, mapping}] (kB).
 */
export async function holdTogether(n, file, how) {
  const started = await Promise.allSettled(Array.from({ length: n }, () => startHolder(file, how)));
  const holders = started.filter((s) => s.status === "fulfilled").map((s) => s.value);
  try {
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    return holders.map((h) => ({ json: h.json, ...processMemory(h.json.pid, file) }));
  } finally {
    for (const h of holders) h.child.stdin.end();
    await Promise.all(holders.map((h) => h.exited));
  }
}
