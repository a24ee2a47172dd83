// fanout-memory: 3 children vs 1 child holding the same N-row Arrow IPC file from /dev/shm at
// once. Each child opens the file, sums usd, touches every page of the table, then pauses while
// this process reads /proc/<pid>/smaps_rollup: the figure is the children's combined PSS (whole
// processes: Node itself included). Through bp's mapping (mmap) the three share one copy of the
// table, so 3 cost about 1 plus two Node processes; read with readFileSync (the /read row) each
// child holds its own copy. The /mapping row counts only the PSS of the file's mapping (the table
// itself, without Node's own memory).
import { statSync } from "node:fs";
import path from "node:path";
import { queryToArrowIPCFile } from "../../dist/runtime/arrow/duckdb-to-arrow.js";
import { checkChild, openEdgeTable, shmFolder } from "../lib/edge.mjs";
import { holdTogether } from "../lib/memory.mjs";
import { measureRounds, median } from "../lib/timing.mjs";

const MiB = (kb) => kb / 1024;
const sum = (xs, f) => xs.reduce((s, x) => s + f(x), 0);

/** One run per --rows count. */
export const sizes = (opts) => opts.rows;

export async function run({ opts, size: rows, log, onCleanup }) {
  const shm = shmFolder("bp-bench-fanout-", onCleanup);
  const edge = await openEdgeTable(rows);
  try {
    const file = path.join(shm.dir, "edge.arrow");
    await queryToArrowIPCFile(edge.conn, "SELECT * FROM edge", file);
    const bytes = statSync(file).size;
    edge.close();
    const last = {};
    const mappingPss = { 1: [], 3: [] }; // the file's mapping alone, in the mmap runs
    const side = (n, how) => async (round) => {
      const children = await holdTogether(n, file, how);
      for (const c of children) checkChild(`fanout-memory ${how}`, c.json, rows, edge.expected, how);
      last[`${n} ${how}`] = children;
      if (how === "mmap") {
        for (const c of children) if (c.mapping.mappings !== 1) throw new Error(`fanout-memory: child ${c.json.pid} has ${c.mapping.mappings} mappings of the file, expected 1`);
        if (round >= 0) mappingPss[n].push(MiB(sum(children, (c) => c.mapping.Pss ?? 0)));
      }
      return MiB(sum(children, (c) => c.rollup.Pss));
    };
    const m = await measureRounds({
      label: "fanout-memory",
      repeat: opts.repeat,
      warmup: 0, // memory, not time: nothing to warm up
      sides: { "1 mmap": side(1, "mmap"), "3 mmap": side(3, "mmap"), "1 read": side(1, "read"), "3 read": side(3, "read") },
      log,
      format: (v) => `${v.toFixed(1)} MiB PSS`,
    });
    for (const [k, cs] of Object.entries(last)) {
      log(`  last ${k}: PSS ${MiB(sum(cs, (c) => c.rollup.Pss)).toFixed(1)} MiB, of it the file's mapping ` +
        `${MiB(sum(cs, (c) => c.mapping.Pss ?? 0)).toFixed(1)} MiB (file ${(bytes / 2 ** 20).toFixed(1)} MiB); ` +
        `Anonymous ${MiB(sum(cs, (c) => c.rollup.Anonymous)).toFixed(1)} MiB`);
    }
    const size = `${rows.toLocaleString("en-US")} rows (${(bytes / 2 ** 20).toFixed(0)} MiB), 3 vs 1 child`;
    const figure = (name, how, baselineName) => ({
      case: name,
      size,
      median: m[`3 ${how}`].median,
      baselineName,
      baselineMedian: m[`1 ${how}`].median,
      unit: "MiB",
      samples: m[`3 ${how}`].samples,
      baselineSamples: m[`1 ${how}`].samples,
    });
    return [
      figure("fanout-memory", "mmap", "1 child, mapped (PSS)"),
      {
        case: "fanout-memory/mapping",
        size,
        median: median(mappingPss[3]),
        baselineName: "1 child's mapping of the file (PSS)",
        baselineMedian: median(mappingPss[1]),
        unit: "MiB",
        samples: mappingPss[3],
        baselineSamples: mappingPss[1],
      },
      figure("fanout-memory/read", "read", "1 child, readFileSync (PSS)"),
    ];
  } finally {
    edge.close();
    shm.remove();
  }
}
