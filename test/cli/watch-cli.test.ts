import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { BP, ROOT, bp } from "../helpers/temp-project.js";
import { writeFile, writeWatchProject } from "../helpers/watch-project.js";

/** `bp watch` as a real process (stdin a pipe, not a terminal: no keyboard handling). */
function spawnWatch(args: readonly string[]) {
  return spawnProcess(process.execPath, [BP, "watch", ...args]);
}

/** A process with its output collected; `until` waits for a pattern in stdout. */
function spawnProcess(command: string, args: readonly string[]) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] }) as ChildProcessWithoutNullStreams;
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  const onData = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on("data", (d) => {
    stdout += d;
    onData();
  });
  child.stderr.on("data", (d) => {
    stderr += d;
    onData();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  /** Waits until stdout (or stderr) holds `pattern` `count` times. */
  const until = async (pattern: RegExp, count = 1, stream: "out" | "err" = "out", timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    const seen = () => ((stream === "out" ? stdout : stderr).match(new RegExp(pattern.source, `${pattern.flags}g`)) ?? []).length;
    while (seen() < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${count}x ${pattern} in bp watch's output:\n${stdout}\n${stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  return { child, exited, until, out: () => stdout, err: () => stderr };
}

describe("bp watch (CLI)", () => {
  let kill: (() => void) | undefined;
  afterEach(() => kill?.());

  it("builds, rebuilds on save, shows errors and previews, and stops on SIGINT with 130", async () => {
    const dir = await writeWatchProject("watch-cli");
    const w = spawnWatch(["-p", dir, "--ref", "dev-cli"]);
    kill = () => w.child.kill("SIGKILL");
    await w.until(/^built in /m);
    expect(w.out()).toMatch(/building on branch dev-cli \(created from main\)/);

    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM base WHERE amount > 140 ORDER BY id\n");
    await w.until(/^built in /m, 2);
    expect(w.out()).toMatch(/changed models\/big_orders\.sql/);
    expect(w.out()).toMatch(/compiled in [\d.]+s \(1 file read, 5 reused\)/);
    // The model that ran, its rows and a preview of its first rows; the others came from the cache.
    expect(w.out()).toMatch(/big_orders +ok +6 /);
    expect(w.out()).toMatch(/big_orders \(first 5 rows of 6\)\nid +amount\n-+ +-+\n94 +141/);
    expect(w.out()).toMatch(/built in [\d.]+s: 1 model ran, 5 from cache\n/); // big_orders is not materialized: no commit

    writeFile(dir, "models/big_orders.sql", "SELECT id, amount FROM bas\n");
    await w.until(/not built: fix the errors above/);
    // Diagnostics go to stderr, a pipe of its own.
    await w.until(/models\/big_orders\.sql:1:24 error BP0102 unknown table "bas" \(did you mean "base"\?\)/, 1, "err");

    w.child.kill("SIGINT");
    expect(await w.exited).toBe(130);
    expect(w.out()).toMatch(/stopped watching/);
  });

  it("--json prints NDJSON events; SIGTERM stops it", async () => {
    const dir = await writeWatchProject("watch-json");
    const w = spawnWatch(["-p", dir, "--ref", "dev-json", "--json"]);
    kill = () => w.child.kill("SIGKILL");
    await w.until(/"type":"run-end"/);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(130);
    const events = w.out().trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(events[0]).toMatchObject({ type: "watching", branch: "dev-json" });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["compiled", "run-start", "run", "run-end", "closed"]));
  });

  it("has help for every option", async () => {
    const r = await bp(["watch", "--help"]);
    expect(r.code).toBe(0);
    for (const option of ["--project-dir", "--var", "--ref", "--threads", "--duckdb-memory", "--memory", "--debounce", "--preview", "--no-cache", "--json"]) expect(r.stdout).toContain(option);
  });
});

describe("bp watch (CLI) in a terminal", () => {
  // `script` gives bp a pseudo-terminal: keys typed into it reach bp's raw-mode stdin.
  const hasScript = spawnSyncOk("script", ["--version"]);

  it.runIf(hasScript)("q stops it with exit 0", async () => {
    const dir = await writeWatchProject("watch-tty");
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BP)} watch -p ${JSON.stringify(dir)} --ref dev-tty`;
    const w = spawnProcess("script", ["-qfec", command, "/dev/null"]);
    try {
      await w.until(/built in /);
      expect(w.out()).toMatch(/q or Ctrl-C to stop/);
      w.child.stdin.write("q");
      expect(await w.exited).toBe(0);
      expect(w.out()).toMatch(/stopped watching/);
    } finally {
      w.child.kill("SIGKILL");
    }
  });

  it("a bad --ref is a usage error (exit 2)", async () => {
    const dir = await writeWatchProject("watch-badref");
    const r = await bp(["watch", "-p", dir, "--ref", "bad..name"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bp watch: --ref bad\.\.name/);
  });
});

function spawnSyncOk(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}
