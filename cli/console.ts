/**
 * All CLI printing goes through here: diagnostics, live run events, the run summary, tables.
 * Human text goes to stderr when --json owns stdout.
 */
import pc from "picocolors";
import { formatDiagnostic, type Diagnostic } from "../compiler/diagnostics.js";
import type { EdgeResult, NodeResult, RunEvent, RunResult } from "../runtime/run-events.js";
import type { ScanFetchReport } from "../runtime/lake/storage.js";

export interface Out {
  /** Results (what --json replaces). */
  result(text: string): void;
  /** Progress, logs and messages. */
  info(text: string): void;
  error(text: string): void;
}

export function createOut(json: boolean): Out {
  return {
    result: (t) => process.stdout.write(`${t}\n`),
    info: (t) => (json ? process.stderr : process.stdout).write(`${t}\n`),
    error: (t) => process.stderr.write(`${t}\n`),
  };
}

export function printDiagnostics(out: Out, diagnostics: readonly Diagnostic[], files: ReadonlyMap<string, string>): void {
  for (const d of diagnostics) {
    const text = formatDiagnostic(d, d.file ? files.get(d.file) : undefined);
    const [first, ...rest] = text.split("\n");
    const colored = d.severity === "error" ? first!.replace(` error ${d.code} `, ` ${pc.red("error")} ${pc.bold(d.code)} `) : first!;
    out.error([colored, ...rest].join("\n"));
  }
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length) out.error(`${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
}

const KIND_LABEL: Record<NodeResult["kind"], string> = { scan: "scan", sql: "sql", ts: "ts", materialize: "write" };

/** Prints run events as they happen: starts, prefixed child log lines, ends with rows and time; debug lines with `verbose`. */
export function liveRunPrinter(out: Out, total: number, options: { verbose?: boolean } = {}): (e: RunEvent) => void {
  let done = 0;
  const width = Math.max(...[4, String(total).length * 2 + 3]);
  const progress = () => pc.dim(`[${String(done).padStart(String(total).length)}/${total}]`.padEnd(width));
  return (e) => {
    switch (e.type) {
      case "run-start":
        if (e.shmFallback) out.info(pc.yellow(`${e.shmWanted} is not writable: exchanging tables through ${e.shmDir} on disk`));
        break;
      case "shm-fallback":
        out.info(pc.yellow(shmFallbackText(e)));
        break;
      case "debug":
        if (options.verbose) out.info(pc.dim(`debug: ${e.message}`));
        break;
      case "node-start":
        if (e.kind === "ts" || e.kind === "sql") out.info(`${progress()} ${pc.cyan("start")} ${e.name} ${pc.dim(`(${KIND_LABEL[e.kind]})`)}`);
        break;
      case "log":
        out.info(`${pc.magenta(`[${e.name}]`)} ${e.line}`);
        break;
      case "node-end": {
        done++;
        const r = e.result;
        if (r.status === "ok") {
          const fetched = r.fetch === undefined ? "" : ` ${fetchText(r.fetch)}`;
          out.info(`${progress()} ${pc.green("ok")}    ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)}${r.rows !== null ? ` ${plural(r.rows, "row")}` : ""}${fetched} ${pc.dim(`${r.seconds.toFixed(2)}s`)}`);
        } else if (r.status === "cached") {
          if (r.kind === "ts" || r.kind === "sql" || r.kind === "materialize") {
            out.info(`${progress()} ${pc.blue("cached")} ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)}${r.rows !== null ? ` ${plural(r.rows, "row")}` : ""}`);
          }
        } else if (r.status === "failed") {
          out.error(`${progress()} ${pc.red("FAILED")} ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)}`);
          out.error(indent(failureText(r)));
        } else {
          out.info(`${progress()} ${pc.yellow("skip")}  ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)} ${pc.dim(r.skippedBecause === "cancelled" ? "cancelled" : `because ${r.skippedBecause} failed`)}`);
        }
        break;
      }
      case "commit-failed":
        out.error(
          `${pc.red("commit failed")}: ${e.message}\n    nothing was committed to ${e.branch}; ` +
            (e.keptBranch ? `the run's tables are on branch ${e.keptBranch} (bp merge ${e.keptBranch} --into ${e.branch}, or re-run)` : "the tables were not written"),
        );
        break;
      case "commit":
        out.info(`${pc.green("committed")} ${e.tables.join(", ")} to ${e.branch} ${pc.dim(`(commit ${e.commit.slice(0, 12)}${e.rebasedOnto ? `, rebased onto ${e.rebasedOnto.slice(0, 12)}: the branch moved during the run without touching the tables it read or wrote` : ""})`)}`);
        break;
    }
  };
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

export function failureText(r: NodeResult): string {
  const f = r.failure;
  if (!f) return "";
  const where = f.file ? `${f.file}${f.line !== undefined ? `:${f.line}${f.column !== undefined ? `:${f.column}` : ""}` : ""}: ` : "";
  const lines = [`${where}${f.message}`];
  if (f.stack && f.cause === "throw") {
    const frames = f.stack.split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 4);
    lines.push(...frames.map((l) => l.trim()));
  }
  return lines.join("\n");
}

export function printRunSummary(out: Out, run: RunResult, options: { verbose?: boolean } = {}): void {
  const rows = run.nodes.filter((n) => n.kind !== "scan" || (n.status !== "ok" && n.status !== "cached"));
  const nameWidth = Math.max(5, ...rows.map((n) => n.name.length));
  out.info("");
  out.info(pc.bold(`${"node".padEnd(nameWidth)}  kind   status    ${"rows".padStart(12)}  seconds`));
  for (const n of rows) {
    const status = n.status === "ok" ? pc.green("OK     ") : n.status === "cached" ? pc.blue("CACHED ") : n.status === "failed" ? pc.red("FAILED ") : pc.yellow("SKIPPED");
    out.info(`${n.name.padEnd(nameWidth)}  ${KIND_LABEL[n.kind].padEnd(5)}  ${status}  ${(n.rows === null ? "-" : formatCount(n.rows)).padStart(12)}  ${n.seconds.toFixed(2).padStart(7)}`);
  }
  if (options.verbose && run.edges.length > 0) {
    out.info("");
    out.info(edgeTable(run.edges));
  }
  for (const n of run.nodes) if (n.fetch !== undefined) out.info(`scan ${n.name}: ${fetchText(n.fetch)}`);
  if (run.edges.length > 0) out.info(dataMovementLine(run.edges));
  const failed = run.nodes.filter((n) => n.status === "failed").length;
  const skipped = run.nodes.filter((n) => n.status === "skipped").length;
  const cached = run.nodes.filter((n) => n.status === "cached").length;
  const verdict = run.cancelled ? pc.yellow("cancelled") : run.ok ? pc.green("build succeeded") : pc.red("build failed");
  out.info(
    `${verdict} in ${run.seconds.toFixed(2)}s: ${run.nodes.length - failed - skipped - cached} ok, ${cached} cached, ${failed} failed, ${skipped} skipped` +
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
export function edgeTable(edges: readonly EdgeResult[]): string {
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
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [pc.bold(line(headers)), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
