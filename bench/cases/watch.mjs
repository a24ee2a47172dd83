// watch: `bp watch` (spawned CLI, --json events) on a generated 100-model project (94 SQL models in
// chains with joins and fans over one source, 3 TS models, 3 SQL leaves): the time from a save of a
// leaf model (the write) to that model's node starting, vs a cold `bp build`'s time from its spawn to
// its first node starting (--no-cache, so that nodes start: what a save costs without watch, a new
// process that compiles). Also counts the models each leaf edit runs: with the output cache, exactly
// one (the edited leaf); the case fails otherwise.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { writeParquet } from "../lib/data.mjs";
import { BP, ROOT, bp } from "../lib/proc.mjs";
import { importSource, writeProject } from "../lib/project.mjs";
import { syntheticModels } from "../lib/synthetic-models.mjs";
import { measurePair } from "../lib/timing.mjs";

/** One size: 100 models. */
export const sizes = () => [100];

const TS_MODEL = (from) => `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

export default model({
  inputs: { rows: input("${from}", { columns: ["grp", "val"] }) },
  columns: { grp: "VARCHAR", score: "DOUBLE" },
  run({ rows }) {
    const grp = rows.getChild("grp")!;
    const val = rows.getChild("val")!;
    return tableFromArrays({
      grp: Array.from({ length: rows.numRows }, (_, i) => grp.get(i) as string),
      score: Float64Array.from({ length: rows.numRows }, (_, i) => Math.sqrt(Math.abs(Number(val.get(i))))),
    });
  },
});
`;

const LEAF = "leaf_edit";
const leafSql = (k) => `SELECT grp, count(*) AS n, sum(val) AS total FROM m00042 WHERE val > ${k} GROUP BY grp\n`;

/** The project's files: `count` models in all. */
function projectFiles(count) {
  const sql = syntheticModels(count - 6);
  const files = Object.fromEntries(sql.map(([n, q]) => [`models/${n}.sql`, `${q}\n`]));
  for (const [i, from] of ["m00009", "m00039", "m00079"].entries()) {
    files[`models/ts_score_${i}.ts`] = TS_MODEL(from);
    if (i < 2) files[`models/ts_summary_${i}.sql`] = `-- bp: materialize = true\nSELECT grp, avg(score) AS score FROM ts_score_${i} GROUP BY grp\n`;
  }
  files[`models/${LEAF}.sql`] = leafSql(0);
  return files;
}

/** `bp watch --json` as a child: NDJSON events with the bench's clock when each line arrived. */
function startWatch(dir) {
  const child = spawn(process.execPath, [BP, "watch", "-p", dir, "--ref", "dev-bench", "--json", "--preview", "0"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
  const events = [];
  const waiters = [];
  let buf = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => {
    const at = performance.now();
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) events.push({ at, e: JSON.parse(line) });
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise((resolve) => child.on("close", resolve));
  /** The first event from index `from` on matching `pred`. */
  const waitFor = async (from, pred, timeoutMs = 120_000) => {
    const deadline = performance.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < events.length; i++) if (pred(events[i].e)) return { ...events[i], index: i };
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`bp watch: no expected event within ${timeoutMs} ms\n${stderr}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  };
  return { child, events, waitFor, exited };
}

/** Spawns a cold `bp build` and resolves with the time from spawn to its first node start line. */
function coldBuildToFirstStart(dir, branch) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BP, "build", "-p", dir, "--ref", branch, "--no-cache"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let first = null;
    child.stdout.on("data", (d) => {
      out += d;
      if (first === null && / start /.test(out)) first = (performance.now() - t0) / 1000;
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 && first !== null ? resolve(first) : reject(new Error(`bp build exited ${code}\n${out}`))));
  });
}

export async function run({ opts, size: count, tmp, log, onCleanup }) {
  const dir = path.join(tmp, "watch");
  writeProject(dir, "watch_bench", projectFiles(count));
  const source = path.join(tmp, "watch-src.parquet");
  await writeParquet(`SELECT i::BIGINT AS id, 'g' || (i % 5) AS grp, (i % 100)::DOUBLE AS val, TIMESTAMP '2023-01-01' + INTERVAL (i) MINUTE AS ts FROM range(1000) t(i)`, source);
  await importSource(dir, source, "src");
  await bp(["branch", "create", "base-build", "-p", dir]);

  const w = startWatch(dir);
  onCleanup(() => w.child.kill("SIGKILL"));
  const first = await w.waitFor(0, (e) => e.type === "run-end");
  if (!first.e.result.ok) throw new Error("watch: the first build failed");

  let k = 0;
  const ranCounts = [];
  const m = await measurePair({
    label: "watch",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => {
      const from = w.events.length;
      k++;
      const t0 = performance.now();
      writeFileSync(path.join(dir, "models", `${LEAF}.sql`), leafSql(k));
      const start = await w.waitFor(from, (e) => e.type === "run" && e.event.type === "node-start" && e.event.name === LEAF);
      const end = await w.waitFor(start.index, (e) => e.type === "run-end");
      // Where the time went, by when each event's line arrived: the save seen (+ debounce), compiled, run started.
      const change = await w.waitFor(from, (e) => e.type === "change");
      const compiled = await w.waitFor(change.index, (e) => e.type === "compiled");
      const runStart = await w.waitFor(compiled.index, (e) => e.type === "run-start");
      const ms = (a, b) => `${Math.round(b - a)} ms`;
      log(`    save -> change ${ms(t0, change.at)}, compiled ${ms(change.at, compiled.at)} (${compiled.e.filesRead.length} file read), run-start ${ms(compiled.at, runStart.at)}, ${LEAF} starts ${ms(runStart.at, start.at)}`);
      if (!end.e.result.ok) throw new Error("watch: the run after the edit failed");
      const models = end.e.result.nodes.filter((n) => n.kind === "sql" || n.kind === "ts");
      const ran = models.filter((n) => n.status === "ok").map((n) => n.name);
      const cached = models.filter((n) => n.status === "cached").length;
      ranCounts.push(ran.length);
      log(`    leaf edit ran ${ran.length} model(s), ${cached} from cache`);
      if (ran.length !== 1 || ran[0] !== LEAF) throw new Error(`watch: a leaf edit ran ${ran.join(", ")}, expected only ${LEAF}`);
      return (start.at - t0) / 1000;
    },
    baseline: async () => coldBuildToFirstStart(dir, "base-build"),
    log,
  });
  w.child.kill("SIGINT");
  await w.exited;
  const ran = ranCounts[ranCounts.length - 1];
  return [{
    case: "watch",
    size: `${count} models (94 sql, 3 ts, 3 leaves): save -> edited node starts; a leaf edit ran ${ran} model${ran === 1 ? "" : "s"}`,
    median: m.bpMedian,
    baselineName: "cold bp build --no-cache: spawn -> first node starts",
    baselineMedian: m.baselineMedian,
    unit: "s",
    samples: m.samples.bp,
    baselineSamples: m.samples.baseline,
  }];
}
