import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startWatch, type WatchHandle } from "../../cli/watch/watch-session.js";
import { openLake } from "../../runtime/lake/open-lake.js";
import { EventLog } from "../helpers/watch-events.js";
import { writeFile, writeWatchProject } from "../helpers/watch-project.js";

const ran = (e: { changed: readonly { name: string; status: string }[] }) => e.changed.map((n) => `${n.name}:${n.status}`).sort();

describe("bp watch session", () => {
  let handle: WatchHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it("builds at start on dev-<user>, then again on each save", async () => {
    const dir = await writeWatchProject("watch-basic");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test" }, log);
    const watching = await log.next("watching");
    expect(watching).toMatchObject({ branch: "dev-test", created: true, from: "main" });
    const first = await log.next("run-end");
    expect(first.result.ok).toBe(true);
    expect(first.result.branch).toBe("dev-test");

    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM base WHERE amount > 100\n");
    const change = await log.next("change");
    expect(change.files).toEqual(["models/big_orders.sql"]);
    const compiled = await log.next("compiled");
    expect(compiled.filesRead).toEqual(["models/big_orders.sql"]);
    const end = await log.next("run-end");
    expect(end.result.ok).toBe(true);
    expect(ran(end)).toContain("big_orders:ok");
  });

  it("shows a compile error and keeps watching; fixing the file resumes", async () => {
    const dir = await writeWatchProject("watch-error");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test" }, log);
    await log.next("run-end");

    writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) AS total FROM bse GROUP BY customer\n");
    const bad = await log.next("compiled");
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual(["models/by_customer.sql:1:44 BP0102"]);

    writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) AS total, count(*) AS n FROM base GROUP BY customer HAVING n > 1\n");
    const good = await log.next("compiled");
    expect(good.ok).toBe(true);
    expect(good.filesRead).toEqual(["models/by_customer.sql"]);
    const end = await log.next("run-end");
    expect(end.result.ok).toBe(true);
    expect(ran(end)).toContain("by_customer:ok");
  });

  it("a save during a run cancels it (nothing committed); the new run reuses what the cancelled one finished", async () => {
    const dir = await writeWatchProject("watch-cancel");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test" }, log);
    const first = await log.next("run-end");
    const headAfterFirst = first.result.commit;
    expect(headAfterFirst).not.toBeNull();
    const devHead = async () => {
      const l = openLake({ lake: ".bp/lake" }, dir);
      try {
        return await l.headId("dev-test");
      } finally {
        l.close();
      }
    };
    const slowTop = "-- bp: materialize = true\nSELECT customer, total + (SELECT count(*) FROM range(100000000000)) AS total FROM by_customer\n";

    // 1. top_customers (materialized) now takes minutes: a long run.
    writeFile(dir, "models/top_customers.sql", slowTop);
    await log.next("run", (e) => e.event.type === "node-start" && e.event.name === "top_customers");

    // 2. by_customer changes during it: that run is cancelled, the next runs by_customer and its
    //    downstream, and top_customers (still slow) starts again.
    writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) + 2 AS total, count(*) AS n FROM base GROUP BY customer\n");
    await log.next("cancelling");
    const cancelled1 = await log.next("run-end");
    expect(cancelled1.result.cancelled).toBe(true);
    expect(cancelled1.result.commit).toBeNull();
    const ended = new Set<string>();
    await log.next("run", (e) => {
      if (e.event.type === "node-end" && e.event.result.status === "ok") ended.add(e.event.result.name);
      return e.event.type === "node-start" && e.event.name === "top_customers";
    });
    await log.next("run", (e) => {
      if (e.event.type === "node-end" && e.event.result.status === "ok") ended.add(e.event.result.name);
      return ["by_customer", "scored", "score_summary"].every((n) => ended.has(n));
    });
    const slowStarted = performance.now();

    // 3. top_customers is fixed: the run is cancelled at once, nothing of it is committed.
    writeFile(dir, "models/top_customers.sql", "-- bp: materialize = true\nSELECT customer, total * 2 AS total FROM by_customer ORDER BY total DESC LIMIT 3\n");
    await log.next("cancelling");
    const cancelled2 = await log.next("run-end");
    expect(cancelled2.result.cancelled).toBe(true);
    expect(cancelled2.result.commit).toBeNull();
    expect(performance.now() - slowStarted).toBeLessThan(10_000);
    expect(await devHead()).toBe(headAfterFirst);

    const next = await log.next("run-end");
    expect(next.result.ok).toBe(true);
    expect(next.result.commit).not.toBeNull();
    expect(next.result.nodes.find((n) => n.name === "top_customers")!.rows).toBe(3);
    // Only the stale part runs again: by_customer, scored and score_summary finished in the cancelled
    // run (with by_customer's new text) and come from the output cache.
    expect(ran(next)).toEqual(["top_customers:ok"]);
    expect(await devHead()).toBe(next.result.commit);
    const l = openLake({ lake: ".bp/lake" }, dir);
    try {
      // No run branch left behind by the cancelled runs.
      expect((await l.branches()).map((b) => b.name).filter((n) => n.startsWith("_bp_run_"))).toEqual([]);
    } finally {
      l.close();
    }
  });

  it("builds on dev-<user> by default, never on the project's branch", async () => {
    const dir = await writeWatchProject("watch-branch");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir }, log);
    const watching = await log.next("watching");
    expect(watching.branch).toMatch(/^dev-[A-Za-z0-9_-]+$/);
    const end = await log.next("run-end");
    expect(end.result.branch).toBe(watching.branch);
    const l = openLake({ lake: ".bp/lake" }, dir);
    try {
      expect((await l.head("main"))!.tables).not.toHaveProperty("top_customers");
      expect((await l.head(watching.branch))!.tables).toHaveProperty("top_customers");
    } finally {
      l.close();
    }
  });

  it("a second save within chokidar's 50 ms change window is not lost", async () => {
    const dir = await writeWatchProject("watch-burst");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test", debounceMs: 5 }, log);
    await log.next("run-end");
    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM base WHERE amount > 10\n");
    await new Promise((r) => setTimeout(r, 25));
    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM base WHERE amount > 140\n");
    // Whatever runs in between, the last run builds the last text: ids 94..99 have amount > 140.
    const end = await log.next("run-end", (e) => e.result.nodes.find((n) => n.name === "big_orders")?.rows === 6, 30_000);
    expect(end.result.ok).toBe(true);
  });

  it("with the output cache: a leaf edit runs only that model, an upstream edit runs it and its downstream", async () => {
    const dir = await writeWatchProject("watch-cache");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test" }, log);
    const first = await log.next("run-end");
    expect(first.result.ok).toBe(true);
    const models = (e: { result: { nodes: readonly { kind: string; name: string; status: string }[] } }) =>
      Object.fromEntries(e.result.nodes.filter((n) => n.kind === "sql" || n.kind === "ts").map((n) => [n.name, n.status]));

    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM base WHERE amount > 100\n");
    const leaf = await log.next("run-end");
    expect(models(leaf)).toEqual({ base: "cached", big_orders: "ok", by_customer: "cached", top_customers: "cached", scored: "cached", score_summary: "cached" });
    expect(ran(leaf)).toEqual(["big_orders:ok"]);
    // The preview of the model that ran: its first rows.
    const big = leaf.changed.find((n) => n.name === "big_orders")!;
    expect(big.rows).toBe(33);
    expect(big.preview?.columns).toEqual(["id", "amount"]);
    expect(big.preview?.rows).toHaveLength(5);

    writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) + 1 AS total, count(*) AS n FROM base GROUP BY customer\n");
    const upstream = await log.next("run-end");
    expect(models(upstream)).toEqual({ base: "cached", big_orders: "cached", by_customer: "ok", top_customers: "ok", scored: "ok", score_summary: "ok" });
  });

  it.runIf(process.platform === "linux")("keeps a process started for a TS model that ran, for the next run", async () => {
    const dir = await writeWatchProject("watch-warm");
    const log = new EventLog();
    handle = await startWatch({ projectDir: dir, ref: "dev-test" }, log);
    const first = await log.next("run-end");
    expect(ran(first)).toContain("scored:ok");
    const modelFile = `${dir}/models/scored.ts`;
    // Waiting for its next job: a child of this process with the model file in its command line.
    await new Promise((r) => setImmediate(r));
    expect(childrenRunning(modelFile)).toHaveLength(1);

    writeFile(dir, "models/scored.ts", readFileSync(modelFile, "utf8").replace("Math.log1p", "Math.sqrt"));
    const next = await log.next("run-end");
    expect(ran(next)).toEqual(["score_summary:ok", "scored:ok"]);
    // A leaf SQL edit runs no TS model: no process is kept waiting for one.
    await new Promise((r) => setImmediate(r));
    writeFile(dir, "models/big_orders.sql", "SELECT id FROM base\n");
    const leaf = await log.next("run-end");
    expect(ran(leaf)).toEqual(["big_orders:ok"]);
    await new Promise((r) => setImmediate(r));
    expect(childrenRunning(modelFile)).toHaveLength(0);
  });
});

/** Pids of live processes whose command line names `file` (TS model processes name their model file). */
function childrenRunning(file: string): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8");
      return cmd.includes(file) && !/\) Z /.test(state) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}
