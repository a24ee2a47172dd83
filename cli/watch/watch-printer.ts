/** Prints `bp watch`'s events for a person (--json writes them as NDJSON instead: watchJsonLine). */
import pc from "picocolors";
import { failureText, formatCount, indent, plural, printDiagnostics, textTable, type Out } from "../console.js";
import type { NodeResult, OutputPreview } from "../../runtime/run-events.js";
import type { WatchEvent } from "./watch-events.js";

/** Longest cell of a preview table. */
const PREVIEW_CELL = 40;

export function watchPrinter(out: Out, options: { interactive: boolean }): (e: WatchEvent) => void {
  return (e) => {
    switch (e.type) {
      case "watching":
        out.info(
          `watching ${e.projectDir}: building on branch ${pc.bold(e.branch)}` +
            (e.created ? ` (created from ${e.from})` : "") +
            pc.dim(options.interactive ? "  (q or Ctrl-C to stop)" : ""),
        );
        break;
      case "change":
        out.info(`\n${pc.cyan("changed")} ${e.files.join(", ")}`);
        break;
      case "compiled":
        if (e.ok) {
          out.info(pc.dim(`compiled in ${e.seconds.toFixed(3)}s (${plural(e.filesRead.length, "file")} read, ${e.filesReused} reused)`));
          if (e.diagnostics.length > 0) printDiagnostics(out, e.diagnostics, e.files);
        } else {
          printDiagnostics(out, e.diagnostics, e.files);
          out.info(pc.yellow("not built: fix the errors above and save (still watching)"));
        }
        break;
      case "unchanged":
        out.info(pc.dim("the plan did not change: nothing to run"));
        break;
      case "cancelling":
        out.info(pc.yellow("a newer save changed the plan: cancelling the run in flight (nothing of it is committed)"));
        break;
      case "run-start":
        break;
      case "run": {
        const r = e.event;
        if (r.type === "node-start" && (r.kind === "sql" || r.kind === "ts")) out.info(`${pc.cyan("start")} ${r.name}`);
        else if (r.type === "log") out.info(`${pc.magenta(`[${r.name}]`)} ${r.line}`);
        else if (r.type === "node-end" && r.result.status === "failed" && r.result.failure?.cause !== "cancelled") {
          out.error(`${pc.red("FAILED")} ${r.result.name}\n${indent(failureText(r.result))}`);
        } else if (r.type === "commit-failed") out.error(`${pc.red("commit failed")}: ${r.message}`);
        break;
      }
      case "run-end":
        printRunEnd(out, e);
        break;
      case "error":
        out.error(`${pc.red("error")}: ${e.message}`);
        break;
      case "closed":
        out.info(pc.dim("stopped watching"));
        break;
    }
  };
}

function printRunEnd(out: Out, e: Extract<WatchEvent, { type: "run-end" }>): void {
  const run = e.result;
  if (run.cancelled) {
    out.info(pc.yellow(`run cancelled after ${run.seconds.toFixed(2)}s: nothing committed`));
    return;
  }
  const models = run.nodes.filter((n) => n.kind === "sql" || n.kind === "ts");
  const cached = models.filter((n) => n.status === "cached").length;
  if (e.changed.length > 0) {
    out.info(textTable(["model", "status", "rows", "seconds"], e.changed.map((n) => [n.name, statusText(n), n.rows === null ? "-" : formatCount(n.rows), n.seconds.toFixed(2)])));
  }
  for (const n of e.changed) {
    if (n.preview === undefined) continue;
    out.info(`\n${pc.bold(n.name)} ${pc.dim(`(first ${plural(n.preview.rows.length, "row")}${n.rows !== null ? ` of ${formatCount(n.rows)}` : ""})`)}`);
    out.info(previewTable(n.preview));
  }
  const ran = e.changed.filter((n) => n.status === "ok").length;
  const verdict = run.ok ? pc.green("built") : pc.red("build failed");
  out.info(
    `${verdict} in ${run.seconds.toFixed(2)}s: ${plural(ran, "model")} ran, ${cached} from cache` +
      (run.commit ? `; committed ${run.commit.slice(0, 12)} to ${run.branch}` : run.ok ? "" : `; nothing committed to ${run.branch}`),
  );
}

function statusText(n: NodeResult): string {
  switch (n.status) {
    case "ok":
      return "ok";
    case "cached":
      return "cached";
    case "failed":
      return n.failure?.cause === "cancelled" ? "cancelled" : "FAILED";
    case "skipped":
      return n.skippedBecause === "cancelled" ? "cancelled" : `skipped (${n.skippedBecause} failed)`;
  }
}

export function previewTable(p: OutputPreview): string {
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? "NULL" : typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
    return text.length > PREVIEW_CELL ? `${text.slice(0, PREVIEW_CELL - 1)}…` : text;
  };
  return textTable(p.columns, p.rows.map((r) => r.map(cell)));
}

/** One NDJSON line per event (the diagnostics' file texts left out). */
export function watchJsonLine(e: WatchEvent): string {
  if (e.type === "compiled") {
    const { files: _files, ...rest } = e;
    return JSON.stringify(rest);
  }
  return JSON.stringify(e);
}
