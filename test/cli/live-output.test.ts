/**
 * bp build's live output: TS models' lines arrive as they are printed (through runPlan's onEvent and
 * through a real `bp build --json` read as a stream), every --json line is an event of
 * docs/run-events.schema.json, `--memory` raises a TS model's heap for one run, and output off a
 * terminal carries no escape codes.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import pc from "picocolors";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { modelColor, statusText, useColor } from "../../cli/console.js";
import { runPlan } from "../../runtime/run-plan.js";
import type { RunEvent } from "../../runtime/run-events.js";
import { BP, ROOT, bp, jsonEvents, runResultOf, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>, name: string): string {
  const dir = writeProject(files, name);
  temps.push(dir);
  return dir;
}

const NUMS = "SELECT range AS n FROM range(5)\n";

/** Prints, sleeps ~1 s, prints (the second line without a newline: flushed at exit). */
const TALKER = `import { model, input } from "bauplan-ts";
export default model({
  inputs: { nums: input("nums") },
  async run({ nums }) {
    console.log("first line");
    await new Promise((r) => setTimeout(r, 1000));
    process.stdout.write("second line");
    return nums;
  },
});
`;

describe("live logs", () => {
  it("reach runPlan's onEvent as the model prints them, well before its node ends", async () => {
    const dir = project({ "models/nums.sql": NUMS, "models/talker.ts": TALKER }, "live-api");
    const compiled = await compileProject({ projectDir: dir, vars: {} });
    expect(compiled.diagnostics).toEqual([]);
    const seen: { e: RunEvent; at: number }[] = [];
    const t0 = performance.now();
    const run = await runPlan(compiled.plan!, { projectDir: dir, onEvent: (e) => seen.push({ e, at: performance.now() - t0 }) });
    expect(run.ok).toBe(true);
    const at = (pred: (e: RunEvent) => boolean) => seen.find((s) => pred(s.e))!;
    const first = at((e) => e.type === "log" && e.line === "first line");
    const second = at((e) => e.type === "log" && e.line === "second line");
    const end = at((e) => e.type === "node-end" && e.result.name === "talker");
    expect(second.at - first.at).toBeGreaterThan(700);
    expect(end.at - first.at).toBeGreaterThan(700);
    // Every event carries its time since the run started, in order.
    const times = seen.map((s) => s.e.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(second.e.time - first.e.time).toBeGreaterThan(700);
  });

  it("reach a `bp build --json` reader line by line as the model prints them, well before its node ends", async () => {
    const dir = project({ "models/nums.sql": NUMS, "models/talker.ts": TALKER }, "live-cli");
    const child = spawn(process.execPath, [BP, "build", "-p", dir, "--json"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const arrivals: { event: Record<string, unknown>; at: number }[] = [];
    const t0 = performance.now();
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const at = performance.now() - t0;
      pending += chunk.toString("utf8");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        arrivals.push({ event: JSON.parse(pending.slice(0, nl)) as Record<string, unknown>, at });
        pending = pending.slice(nl + 1);
      }
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(pending).toBe("");
    const find = (pred: (e: Record<string, unknown>) => boolean) => arrivals.find((a) => pred(a.event))!;
    const first = find((e) => e["type"] === "log" && e["line"] === "first line");
    const second = find((e) => e["type"] === "log" && e["line"] === "second line");
    const end = find((e) => e["type"] === "node-end" && (e["result"] as { name: string }).name === "talker");
    expect(second.at - first.at).toBeGreaterThan(700);
    expect(end.at - first.at).toBeGreaterThan(700);
    expect(arrivals.at(-1)!.event).toMatchObject({ type: "run-end", ok: true, exitCode: 0 });
    // Human text went to stderr, with the model's lines prefixed.
    expect(stderr).toMatch(/\[talker\] first line/);
  });
});

describe("bp build --json", () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, "docs/run-events.schema.json"), "utf8")) as object;
  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
  const expectValid = (stdout: string) => {
    const events = jsonEvents(stdout);
    for (const e of events) expect(validate(e) ? null : { event: e, errors: validate.errors }).toBeNull();
    expect(events.filter((e) => e["type"] === "run-end")).toHaveLength(1);
    expect(events.at(-1)!["type"]).toBe("run-end");
    return events;
  };

  it("prints one event per line, each valid against docs/run-events.schema.json: logs, a failed node, a skipped one, the run-end with the RunResult", async () => {
    const dir = project(
      {
        "models/nums.sql": NUMS,
        "models/talker.ts": TALKER.replace("1000", "10"),
        "models/bad.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { nums: input("nums") },
  run() {
    console.error("about to fail");
    throw new Error("boom");
  },
});
`,
        "models/after_bad.sql": "SELECT count(*) AS c FROM bad\n",
      },
      "json-failed",
    );
    const r = await bp(["build", "-p", dir, "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const events = expectValid(r.stdout);
    const types = new Set(events.map((e) => e["type"]));
    for (const t of ["run-start", "debug", "node-start", "log", "node-end", "run-end"]) expect(types).toContain(t);
    const statuses = events.flatMap((e) => (e["type"] === "node-end" ? [(e["result"] as { name: string; status: string })] : [])).map((n) => `${n.name} ${n.status}`);
    expect(statuses).toEqual(expect.arrayContaining(["talker ok", "bad failed", "after_bad skipped"]));
    expect(events).toContainEqual(expect.objectContaining({ type: "log", name: "bad", stream: "stderr", line: "about to fail" }));
    const runId = (events[0] as { runId: string }).runId;
    expect(events.every((e) => e["runId"] === runId)).toBe(true);
    const result = runResultOf(r.stdout);
    expect(result).toMatchObject({ ok: false, runId, commit: null });
    expect(events.at(-1)).toMatchObject({ ok: false, exitCode: 1 });
    // The human text is on stderr, not mixed into the events.
    expect(r.stderr).toMatch(/FAILED bad \(ts\)/);
  });

  it("a successful build with a commit, and a project with compile errors (diagnostic events, then a run-end without a result), are valid too", async () => {
    const ok = project({ "models/nums.sql": `-- bp: materialize = true\n${NUMS}` }, "json-commit");
    const built = await bp(["build", "-p", ok, "--json"]);
    expect(built.code, built.stderr).toBe(0);
    expect(expectValid(built.stdout).map((e) => e["type"])).toContain("commit");
    // the same build again: every node cached, no node-start, no commit
    const again = await bp(["build", "-p", ok, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const cachedEvents = expectValid(again.stdout);
    expect(cachedEvents.map((e) => e["type"])).not.toContain("node-start");
    expect(runResultOf(again.stdout).nodes.map((n) => `${n.id} ${n.status}`)).toEqual(["model:nums cached", "materialize:nums cached"]);

    const broken = project({ "models/oops.sql": "SELECT * FROM no_such_table\n" }, "json-diag");
    const r = await bp(["build", "-p", broken, "--json"]);
    expect(r.code).toBe(1);
    const events = expectValid(r.stdout);
    expect(events[0]).toMatchObject({ type: "diagnostic", severity: "error", file: "models/oops.sql", runId: null });
    expect(events.at(-1)).toMatchObject({ type: "run-end", ok: false, exitCode: 1, result: null, runId: null });
    expect(r.stderr).toMatch(/models\/oops\.sql:1:\d+ error BP\d{4}/);
  });
});

describe("--memory MODEL=SIZE", () => {
  /** Holds ~100+ MB of small objects: out of memory at 64MB, fine with 512MB. */
  const HOG = `import { model, input } from "bauplan-ts";
export default model({
  inputs: { nums: input("nums") },
  memory: "64MB",
  run({ nums }) {
    const hoard: object[] = [];
    for (let i = 0; i < 1_500_000; i++) hoard.push({ i, s: "row " + i });
    console.log("held", hoard.length);
    return nums;
  },
});
`;

  it("raises a TS model's heap for one run: out of memory at its own limit (the message names the limit and the flag), fine with --memory", async () => {
    const dir = project({ "models/nums.sql": NUMS, "models/hog.ts": HOG }, "memory");
    const small = await bp(["build", "-p", dir, "--json"]);
    expect(small.code, small.stderr).toBe(1);
    const failure = runResultOf(small.stdout).nodes.find((n) => n.name === "hog")!.failure!;
    expect(failure).toMatchObject({ cause: "oom", memoryMb: 64 });
    expect(failure.message).toBe('model "hog" ran out of memory at its 64 MiB heap limit (memory: "64MB" in models/hog.ts)');
    expect(small.stderr).toContain('ran out of memory at its 64 MiB heap limit (memory: "64MB" in models/hog.ts); re-run with --memory hog=128MB');

    const big = await bp(["build", "-p", dir, "--memory", "hog=512MB", "-v"]);
    expect(big.code, big.stderr + big.stdout).toBe(0);
    expect(big.stdout).toMatch(/\[hog\] held 1500000/);
    // The process started ahead (before compiling) already had the raised limit.
    expect(big.stdout).toMatch(/debug: hog: ran in a process started ahead/);

    // The heap limit is not part of the cache key (same code, same result): the output is reused.
    const reused = await bp(["build", "-p", dir, "--memory", "hog=48MiB"]);
    expect(reused.code, reused.stderr).toBe(0);
    expect(reused.stdout).toMatch(/cached hog \(ts\)/);
    // An override that is still too small says so, and suggests twice as much.
    const still = await bp(["build", "-p", dir, "--memory", "hog=48MiB", "--no-cache"]);
    expect(still.code).toBe(1);
    expect(still.stderr).toContain("ran out of memory at its 48 MiB heap limit (set for this run, instead of the model's 64MB); re-run with --memory hog=96MB");
  });

  it("naming a SQL model, an unknown model or a bad size is a usage error (exit 2) listing the TS models", async () => {
    const dir = project({ "models/nums.sql": NUMS, "models/hog.ts": HOG.replace("1_500_000", "1") }, "memory-usage");
    const sql = await bp(["build", "-p", dir, "--memory", "nums=1GB"]);
    expect(sql.code).toBe(2);
    expect(sql.stderr).toMatch(/--memory: nums is a SQL model .*; the TS models are hog/);
    const unknown = await bp(["build", "-p", dir, "--memory", "hgo=1GB", "--json"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--memory: no TS model hgo; the TS models are hog/);
    expect(jsonEvents(unknown.stdout).at(-1)).toMatchObject({ type: "run-end", exitCode: 2, result: null });
    const size = await bp(["build", "-p", dir, "--memory", "hog=lots"]);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/"lots" is not a size/);
  });
});

describe("output off a terminal", () => {
  const dir = () =>
    project(
      {
        "models/nums.sql": NUMS,
        "models/talker.ts": TALKER.replace("1000", "10"),
        "models/bad.ts": `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { nums: input("nums") }, run() { throw new Error("boom"); } });\n`,
      },
      "plain",
    );

  it("is plain lines without escape codes (colors only with FORCE_COLOR, never cursor movement)", async () => {
    const d = dir();
    const plain = await bp(["build", "-p", d], { env: { NO_COLOR: "", FORCE_COLOR: "", CI: "1", TERM: "xterm-256color" } });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/\[talker\] first line/);
    expect(plain.stdout + plain.stderr).not.toContain("\x1b");
    const json = await bp(["build", "-p", d, "--json"], { env: { NO_COLOR: "", FORCE_COLOR: "", CI: "1" } });
    expect(json.stdout + json.stderr).not.toContain("\x1b");

    const forced = await bp(["build", "-p", d], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(forced.stdout).toContain("\x1b[");
    expect(forced.stdout + forced.stderr).not.toMatch(/\x1b\[\d*[ABGKJ]/); // no cursor movement or erasing
  });
});

describe("on a terminal", () => {
  it("keeps a status line (done / running / waiting, rows, elapsed) below the lines printed, and clears it before the summary", async () => {
    const dir = project({ "models/nums.sql": NUMS, "models/talker.ts": TALKER.replace("1000", "400") }, "tty");
    // stdout seen as an 80x24 terminal by bp (its bytes still go to this test through a pipe)
    const preload = path.join(dir, "fake-tty.mjs");
    writeFileSync(preload, `for (const s of [process.stdout]) Object.assign(s, { isTTY: true, columns: 80, rows: 24 });\n`);
    const child = spawn(process.execPath, ["--import", pathToFileURL(preload).href, BP, "build", "-p", dir], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", TERM: "xterm-256color" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    const ERASE = "\x1b[2K\x1b[1A\x1b[2K\x1b[G"; // log-update taking the status line away
    expect(out).toMatch(/⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/);
    expect(out).toMatch(/1\/2 done, 1 running \(talker\), 0 waiting · 5 rows · \d+\.\ds/);
    // Each line printed during the run replaced the status line, which came back below it.
    expect(out.split("[talker] first line")).toHaveLength(2);
    expect(out).toContain(`${ERASE}[talker] first line\n`);
    // At the end the status line is gone: nothing of it after the summary starts.
    const summary = out.search(/^node +kind +status/m);
    expect(summary).toBeGreaterThan(0);
    expect(out.lastIndexOf(ERASE)).toBeLessThan(summary);
    expect(out.slice(summary)).not.toMatch(/done, \d+ running/);
    expect(out.slice(out.lastIndexOf(ERASE) + ERASE.length)).toMatch(/^\nnode +kind +status/);
  });
});

describe("console helpers", () => {
  it("colors like picocolors reads NO_COLOR and FORCE_COLOR, otherwise only on a terminal", () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, { CI: "1" })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(useColor({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });

  it("gives a model the same color every time, and keeps the status line within the terminal's width", () => {
    expect(modelColor("euro_selection")).toBe(modelColor("euro_selection"));
    expect(new Set(["a", "b", "c", "d", "e", "f", "g", "h"].map(modelColor)).size).toBeGreaterThan(2);
    const c = pc.createColors(false);
    const s = { done: 3, total: 12, running: ["orders", "euro_selection", "client_segments"], rows: 1234567, seconds: 4.23, frame: 0 };
    expect(statusText(s, 200, c)).toBe("⠋ 3/12 done, 3 running (orders, euro_selection, client_segments), 6 waiting · 1,234,567 rows · 4.2s");
    for (const columns of [100, 60, 30, 12]) expect(statusText(s, columns, c).length).toBeLessThan(columns);
    expect(statusText(s, 80, c)).toMatch(/^⠋ 3\/12 done, 3 running \(orders, euro.*\.\.\.\), 6 waiting · 1,234,567 rows · 4\.2s$/);
    expect(statusText(s, 60, c)).toBe("⠋ 3/12 done, 3 running, 6 waiting · 1,234,567 rows · 4.2s");
  });
});
