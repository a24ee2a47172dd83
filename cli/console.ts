/**
 * All CLI printing goes through here: diagnostics, live run events, the run summary, tables.
 * Human text goes to stderr when --json owns stdout.
 */
import pc from "picocolors";
import { formatDiagnostic, type Diagnostic } from "../compiler/diagnostics.js";
import { formatMemory } from "../compiler/ts/memory-size.js";
import type { EdgeResult, NodeResult, RunEvent, RunResult } from "../runtime/run-events.js";
import type { ScanFetchReport } from "../runtime/lake/storage.js";

export type Colors = ReturnType<typeof pc.createColors>;

export interface Out {
  /** Results (what --json replaces). */
  result(text: string): void;
  /** Progress, logs and messages. */
  info(text: string): void;
  error(text: string): void;
  /** Colors for the human text: none unless it goes to a terminal (NO_COLOR and FORCE_COLOR as picocolors reads them). */
  readonly colors: Colors;
  /** A status line kept below everything printed, re-rendered in place; only on a terminal (`live`), else ignored. null clears it. */
  status(text: string | null): void;
  /** Whether the human text goes to a terminal that shows a status line. */
  readonly live: boolean;
  /** The terminal's width (80 when unknown). */
  readonly columns: number;
}

/** A line re-rendered in place at the bottom of a terminal (cli/status-line.ts, with log-update). */
export interface StatusLine {
  set(text: string | null): void;
  /** Takes the line away while something is printed above it, then `show` puts it back. */
  hide(): void;
  show(): void;
}

/** Colors on a stream: NO_COLOR off, FORCE_COLOR on (non-empty, as picocolors reads them), else only on a terminal. */
export function useColor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["NO_COLOR"]) return false;
  if (env["FORCE_COLOR"]) return true;
  return !!stream.isTTY && env["TERM"] !== "dumb";
}

/**
 * Human text goes to stdout, or to stderr when --json owns stdout; errors to stderr. With
 * `statusLine` and a terminal, a status line stays below the printed lines.
 */
export function createOut(json: boolean, options: { statusLine?: (stream: NodeJS.WriteStream) => StatusLine } = {}): Out {
  const human = json ? process.stderr : process.stdout;
  const live = !!human.isTTY && process.env["TERM"] !== "dumb" && options.statusLine !== undefined;
  const line = live ? options.statusLine!(human) : null;
  const write = (stream: NodeJS.WriteStream, text: string) => {
    // A line to the terminal goes above the status line; one to a pipe (e.g. --json's stdout) leaves it be.
    const onTerminal = line !== null && (stream === human || !!stream.isTTY);
    if (onTerminal) line.hide();
    stream.write(`${text}\n`);
    if (onTerminal) line.show();
  };
  return {
    result: (t) => write(process.stdout, t),
    info: (t) => write(human, t),
    error: (t) => write(process.stderr, t),
    colors: pc.createColors(useColor(human)),
    status: (t) => line?.set(t),
    live,
    get columns() {
      return human.columns || 80;
    },
  };
}

export function printDiagnostics(out: Out, diagnostics: readonly Diagnostic[], files: ReadonlyMap<string, string>): void {
  const c = out.colors;
  for (const d of diagnostics) {
    const text = formatDiagnostic(d, d.file ? files.get(d.file) : undefined);
    const [first, ...rest] = text.split("\n");
    const colored = d.severity === "error" ? first!.replace(` error ${d.code} `, ` ${c.red("error")} ${c.bold(d.code)} `) : first!;
    out.error([colored, ...rest].join("\n"));
  }
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length) out.error(`${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
}

const KIND_LABEL: Record<NodeResult["kind"], string> = { scan: "scan", sql: "sql", ts: "ts", materialize: "write" };

/** Colors a model's log prefix can get on a terminal: the same model always gets the same one. */
const MODEL_COLORS = ["cyan", "magenta", "blue", "yellow", "green", "cyanBright", "magentaBright", "blueBright", "yellowBright", "greenBright"] as const;

/** A stable color per model name (FNV-1a of the name). */
export function modelColor(name: string): (typeof MODEL_COLORS)[number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return MODEL_COLORS[(h >>> 0) % MODEL_COLORS.length]!;
}

export interface RunPrinterOptions {
  /** Print debug lines. */
  readonly verbose?: boolean;
  /** The failure hint's flag for an out-of-memory TS model (`--memory`); default none. */
  readonly memoryFlag?: string;
}

/**
 * Prints run events as they happen: starts, prefixed child log lines, ends with rows and time, all
 * through the human stream (failures on stderr); debug lines with `verbose`. On a terminal, a
 * status line below them shows nodes done / running / waiting, rows so far and the elapsed time,
 * re-rendered every 100 ms until `stop()`.
 */
export function liveRunPrinter(out: Out, total: number, options: RunPrinterOptions = {}): { onEvent: (e: RunEvent) => void; stop: () => void } {
  const c = out.colors;
  let done = 0;
  let rows = 0;
  const running = new Map<string, string>();
  const started = performance.now();
  const width = Math.max(...[4, String(total).length * 2 + 3]);
  const progress = () => c.dim(`[${String(done).padStart(String(total).length)}/${total}]`.padEnd(width));
  const label = (kind: NodeResult["kind"]) => c.dim(`(${KIND_LABEL[kind]})`);
  const render = () => {
    if (!out.live) return;
    const ms = performance.now() - started;
    out.status(statusText({ done, total, running: [...running.values()], rows, seconds: ms / 1000, frame: Math.floor(ms / 100) }, out.columns, c));
  };
  const timer = out.live ? setInterval(render, 100) : undefined;
  timer?.unref();
  const onEvent = (e: RunEvent) => {
    // The status line first, so that the lines below are printed above its new state.
    if (e.type === "node-start") running.set(e.id, e.name);
    if (e.type === "node-end") {
      const r = e.result;
      done++;
      running.delete(r.id);
      if ((r.status === "ok" || r.status === "cached") && r.rows !== null && (r.kind === "sql" || r.kind === "ts")) rows += r.rows;
    }
    render();
    switch (e.type) {
      case "run-start":
        if (e.shmFallback) out.info(c.yellow(`${e.shmWanted} is not writable: exchanging tables through ${e.shmDir} on disk`));
        break;
      case "shm-fallback":
        out.info(c.yellow(shmFallbackText(e)));
        break;
      case "debug":
        if (options.verbose) out.info(c.dim(`debug: ${e.message}`));
        break;
      case "node-start":
        if (e.kind === "ts" || e.kind === "sql") out.info(`${progress()} ${c.cyan("start")} ${e.name} ${label(e.kind)}`);
        break;
      case "log":
        out.info(`${c[modelColor(e.name)](`[${e.name}]`)} ${e.line}`);
        break;
      case "node-end": {
        const r = e.result;
        const count = r.rows !== null ? ` ${plural(r.rows, "row")}` : "";
        if (r.status === "ok") {
          const fetched = r.fetch === undefined ? "" : ` ${fetchText(r.fetch)}`;
          out.info(`${progress()} ${c.green("ok")}    ${r.name} ${label(r.kind)}${count}${fetched} ${c.dim(`${r.seconds.toFixed(2)}s`)}`);
        } else if (r.status === "cached") {
          out.info(`${progress()} ${c.blue("cached")} ${r.name} ${label(r.kind)}${count}`);
        } else if (r.status === "failed") {
          out.error(`${progress()} ${c.red("FAILED")} ${r.name} ${label(r.kind)} ${c.dim(`${r.seconds.toFixed(2)}s`)}`);
          out.error(indent(failureText(r, options.memoryFlag)));
        } else {
          out.info(`${progress()} ${c.yellow("skip")}  ${r.name} ${label(r.kind)} ${c.dim(r.skippedBecause === "cancelled" ? "cancelled" : `because ${r.skippedBecause} failed`)}`);
        }
        break;
      }
      case "commit-failed":
        out.error(
          `${c.red("commit failed")}: ${e.message}\n    nothing was committed to ${e.branch}; ` +
            (e.keptBranch ? `the run's tables are on branch ${e.keptBranch} (bp merge ${e.keptBranch} --into ${e.branch}, or re-run)` : "the tables were not written"),
        );
        break;
      case "commit":
        out.info(`${c.green("committed")} ${e.tables.join(", ")} to ${e.branch} ${c.dim(`(commit ${e.commit.slice(0, 12)}${e.rebasedOnto ? `, rebased onto ${e.rebasedOnto.slice(0, 12)}: the branch moved during the run without touching the tables it read or wrote` : ""})`)}`);
        break;
    }
  };
  return {
    onEvent,
    stop: () => {
      if (timer) clearInterval(timer);
      out.status(null);
    },
  };
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * The status line: "⠋ 3/9 done, 2 running (orders, euro_selection), 4 waiting · 12,345 rows · 4.2s",
 * cut to the terminal's width so that it stays one line.
 */
export function statusText(
  s: { done: number; total: number; running: readonly string[]; rows: number; seconds: number; frame: number },
  columns: number,
  c: Colors,
): string {
  const waiting = Math.max(0, s.total - s.done - s.running.length);
  const names = s.running.length > 0 ? ` (${s.running.join(", ")})` : "";
  const tail = ` · ${plural(s.rows, "row")} · ${s.seconds.toFixed(1)}s`;
  const head = `${SPINNER[s.frame % SPINNER.length]} ${s.done}/${s.total} done, ${s.running.length} running`;
  const rest = `, ${waiting} waiting`;
  const room = Math.max(10, columns - 1);
  let text = `${head}${names}${rest}${tail}`;
  if (text.length > room) {
    // The running names give way first, then the end is cut.
    const inner = s.running.join(", ");
    const roomForNames = room - head.length - rest.length - tail.length - " (...)".length;
    text = roomForNames >= 4 ? `${head} (${inner.slice(0, roomForNames)}...)${rest}${tail}` : `${head}${rest}${tail}`;
    if (text.length > room) text = text.slice(0, room);
  }
  return c.dim(text);
}

/** "transactions -> euro_selection: 3.2 GB does not fit in /dev/shm (1.1 GB free): using <dir> on disk" */
export function shmFallbackText(e: Extract<RunEvent, { type: "shm-fallback" }>): string {
  const room = e.free === null ? "" : ` (${formatBytes(e.free)} free${e.limit !== null ? ` under BP_SHM_LIMIT_BYTES=${e.limit}` : ""})`;
  switch (e.reason) {
    case "no-room":
      return `${e.what}: ${formatBytes(e.bytes)} does not fit in ${e.shmDir}${room}: using ${e.dir} on disk`;
    case "enospc":
      return `${e.what}: ${e.shmDir} ran out of space (ENOSPC): writing it to ${e.dir} on disk instead`;
    case "enospc-rerun":
      return `${e.what}: ${e.shmDir} ran out of space (ENOSPC): running the model again with its output in ${e.dir} on disk`;
    case "over-limit":
      return `${e.what}: ${formatBytes(e.bytes)} is more than shared memory allows${room}: moved to ${e.dir} on disk`;
  }
}

/** A failure in a few lines; `memoryFlag` ("--memory"): an out-of-memory model says how to re-run it with twice the heap. */
export function failureText(r: NodeResult, memoryFlag?: string): string {
  const f = r.failure;
  if (!f) return "";
  const where = f.file ? `${f.file}${f.line !== undefined ? `:${f.line}${f.column !== undefined ? `:${f.column}` : ""}` : ""}: ` : "";
  const hint = f.cause === "oom" && f.memoryMb !== undefined && memoryFlag ? `; re-run with ${memoryFlag} ${r.name}=${formatMemory(f.memoryMb * 2)}` : "";
  const lines = [`${where}${f.message}${hint}`];
  if (f.stack && f.cause === "throw") {
    const frames = f.stack.split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 4);
    lines.push(...frames.map((l) => l.trim()));
  }
  return lines.join("\n");
}

export function printRunSummary(out: Out, run: RunResult, options: { verbose?: boolean } = {}): void {
  const c = out.colors;
  const rows = run.nodes.filter((n) => n.kind !== "scan" || (n.status !== "ok" && n.status !== "cached"));
  const nameWidth = Math.max(5, ...rows.map((n) => n.name.length));
  const STATUS: Record<NodeResult["status"], string> = { ok: c.green("OK     "), cached: c.blue("CACHED "), failed: c.red("FAILED "), skipped: c.yellow("SKIPPED") };
  out.info("");
  out.info(c.bold(`${"node".padEnd(nameWidth)}  kind   status    ${"rows".padStart(12)}  seconds`));
  for (const n of rows) {
    out.info(`${n.name.padEnd(nameWidth)}  ${KIND_LABEL[n.kind].padEnd(5)}  ${STATUS[n.status]}  ${(n.rows === null ? "-" : formatCount(n.rows)).padStart(12)}  ${n.seconds.toFixed(2).padStart(7)}`);
  }
  if (options.verbose && run.edges.length > 0) {
    out.info("");
    out.info(edgeTable(run.edges, c));
  }
  for (const n of run.nodes) if (n.fetch !== undefined) out.info(`scan ${n.name}: ${fetchText(n.fetch)}`);
  if (run.edges.length > 0) out.info(dataMovementLine(run.edges));
  const count = (status: NodeResult["status"]) => run.nodes.filter((n) => n.status === status).length;
  const [cached, failed, skipped] = [count("cached"), count("failed"), count("skipped")];
  const verdict = run.cancelled ? c.yellow("cancelled") : run.ok ? c.green("build succeeded") : c.red("build failed");
  out.info(
    `${verdict} in ${run.seconds.toFixed(2)}s: ${count("ok")} ok, ${cached > 0 ? `${cached} cached, ` : ""}${failed} failed, ${skipped} skipped` +
      (run.commit ? `; committed ${run.commit.slice(0, 12)} to ${run.branch}` : run.ok ? "" : `; nothing committed to ${run.branch}`),
  );
  if (run.keptBranch) {
    out.info(`the run's branch ${run.keptBranch} is kept for inspection (bp tables --ref ${run.keptBranch}; bp branch delete ${run.keptBranch} to drop it)`);
  }
}

/** "fetched 29.0 MB, 47.8 MB from cache (2 files, 5 requests)": a remote scan's cost. */
export function fetchText(f: ScanFetchReport): string {
  return `fetched ${formatBytes(f.bytesFetched)}, ${formatBytes(f.bytesFromCache)} from cache (${plural(f.files, "file")}, ${plural(f.requests, "request")})`;
}

/**
 * One line on how data crossed the plan's edges, e.g. "data moved: 4 edges, 412 MB through shared
 * memory in 0.63 s, 0 B on disk; 3 edges inside DuckDB; 2 tables written to the lake (12 MB in 0.20 s)".
 * Each file's bytes count once, however many edges read it.
 */
export function dataMovementLine(edges: readonly EdgeResult[]): string {
  const through = (loc: "shm" | "disk") => edges.filter((e) => e.location === loc);
  const bytes = (list: readonly EdgeResult[]) => list.reduce((sum, e) => sum + (e.shared ? 0 : (e.bytes ?? 0)), 0);
  const seconds = (list: readonly EdgeResult[]) => list.reduce((sum, e) => sum + e.seconds, 0);
  const shm = through("shm");
  const disk = through("disk");
  const inDuckDB = edges.filter((e) => e.location === "duckdb").length;
  const lake = edges.filter((e) => e.location === "lake" || e.lakeBytes !== undefined);
  const lakeBytes = lake.reduce((sum, e) => sum + (e.location === "lake" ? (e.bytes ?? 0) : (e.lakeBytes ?? 0)), 0);
  const lakeSeconds = lake.reduce((sum, e) => sum + (e.location === "lake" ? e.seconds : (e.lakeSeconds ?? 0)), 0);
  const notRun = edges.filter((e) => e.location === null).length;
  return (
    `data moved: ${plural(shm.length + disk.length, "edge")}, ${formatBytes(bytes(shm))} through shared memory in ${seconds(shm).toFixed(2)} s, ` +
    `${formatBytes(bytes(disk))} on disk${disk.length > 0 ? ` in ${seconds(disk).toFixed(2)} s` : ""}; ${plural(inDuckDB, "edge")} inside DuckDB` +
    (lake.length > 0 ? `; ${plural(lake.length, "table")} written to the lake (${formatBytes(lakeBytes)} in ${lakeSeconds.toFixed(2)} s)` : "") +
    (notRun > 0 ? `; ${plural(notRun, "edge")} not run` : "")
  );
}

/** Every edge: transport, where the data crossed, bytes, seconds, how a TS child opened it. */
export function edgeTable(edges: readonly EdgeResult[], c: Colors = pc): string {
  return textTable(
    ["edge", "transport", "where", "bytes", "seconds", "read"],
    edges.map((e) => [
      `${e.from} -> ${e.to}${e.param !== undefined ? ` (${e.param})` : ""}`,
      e.transport,
      (e.location ?? "not run") + (e.lakeBytes !== undefined ? ", lake" : ""),
      (e.bytes === null ? "-" : formatBytes(e.bytes) + (e.shared ? " (shared)" : "")) + (e.lakeBytes !== undefined ? `, ${formatBytes(e.lakeBytes)}` : ""),
      (e.seconds + (e.lakeSeconds ?? 0)).toFixed(3),
      e.readMode ?? "",
    ]),
    c,
  );
}

/** 999 B, 1.2 KB, 412 MB, 3.2 GB (powers of 1000). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["KB", "MB", "GB", "TB", "PB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 9.95 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function indent(text: string, by = "    "): string {
  return text
    .split("\n")
    .map((l) => by + l)
    .join("\n");
}

/** A plain text table of rows (strings already formatted). */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[], c: Colors = pc): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [c.bold(line(headers)), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
