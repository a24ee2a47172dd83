/**
 * All CLI printing goes through here: diagnostics, live run events, the run summary, tables.
 * Human text goes to stderr when --json owns stdout.
 */
import pc from "picocolors";
import { formatDiagnostic, type Diagnostic } from "../compiler/diagnostics.js";
import type { NodeResult, RunEvent, RunResult } from "../runtime/run-events.js";

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

/** Prints run events as they happen: starts, prefixed child log lines, ends with rows and time. */
export function liveRunPrinter(out: Out, total: number): (e: RunEvent) => void {
  let done = 0;
  const width = Math.max(...[4, String(total).length * 2 + 3]);
  const progress = () => pc.dim(`[${String(done).padStart(String(total).length)}/${total}]`.padEnd(width));
  return (e) => {
    switch (e.type) {
      case "run-start":
        if (e.shmFallback) out.info(pc.yellow(`/dev/shm is not writable: exchanging tables through ${e.shmDir} on disk`));
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
          out.info(`${progress()} ${pc.green("ok")}    ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)}${r.rows !== null ? ` ${plural(r.rows, "row")}` : ""} ${pc.dim(`${r.seconds.toFixed(2)}s`)}`);
        } else if (r.status === "failed") {
          out.error(`${progress()} ${pc.red("FAILED")} ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)}`);
          out.error(indent(failureText(r)));
        } else {
          out.info(`${progress()} ${pc.yellow("skip")}  ${r.name} ${pc.dim(`(${KIND_LABEL[r.kind]})`)} ${pc.dim(r.skippedBecause === "cancelled" ? "cancelled" : `because ${r.skippedBecause} failed`)}`);
        }
        break;
      }
      case "commit-failed":
        out.error(`${pc.red("commit failed")}: ${e.message}\n    nothing was committed to ${e.branch}; the tables were not written`);
        break;
      case "commit":
        out.info(`${pc.green("committed")} ${e.tables.join(", ")} to ${e.branch} ${pc.dim(`(commit ${e.commit.slice(0, 12)})`)}`);
        break;
    }
  };
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

export function printRunSummary(out: Out, run: RunResult): void {
  const rows = run.nodes.filter((n) => n.kind !== "scan" || n.status !== "ok");
  const nameWidth = Math.max(5, ...rows.map((n) => n.name.length));
  out.info("");
  out.info(pc.bold(`${"node".padEnd(nameWidth)}  kind   status    ${"rows".padStart(12)}  seconds`));
  for (const n of rows) {
    const status = n.status === "ok" ? pc.green("OK     ") : n.status === "failed" ? pc.red("FAILED ") : pc.yellow("SKIPPED");
    out.info(`${n.name.padEnd(nameWidth)}  ${KIND_LABEL[n.kind].padEnd(5)}  ${status}  ${(n.rows === null ? "-" : formatCount(n.rows)).padStart(12)}  ${n.seconds.toFixed(2).padStart(7)}`);
  }
  const failed = run.nodes.filter((n) => n.status === "failed").length;
  const skipped = run.nodes.filter((n) => n.status === "skipped").length;
  const verdict = run.cancelled ? pc.yellow("cancelled") : run.ok ? pc.green("build succeeded") : pc.red("build failed");
  out.info(
    `${verdict} in ${run.seconds.toFixed(2)}s: ${run.nodes.length - failed - skipped} ok, ${failed} failed, ${skipped} skipped` +
      (run.commit ? `; committed ${run.commit.slice(0, 12)} to ${run.branch}` : run.ok ? "" : "; nothing committed"),
  );
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
