/**
 * bp watch: rebuild on save (cli/watch/watch-session.ts does the work). Keys when stdin is a
 * terminal: q stops (exit 0), Ctrl-C stops (exit 130); SIGINT/SIGTERM stop with 130. A run in
 * flight is cancelled (nothing committed) before exiting.
 */
import type { VarValue } from "../../compiler/vars.js";
import { createOut } from "../console.js";
import type { WatchEvent } from "../watch/watch-events.js";
import { watchJsonLine, watchPrinter } from "../watch/watch-printer.js";

export interface WatchCommandOptions {
  projectDir: string;
  var: Record<string, VarValue>;
  ref?: string;
  threads?: number;
  duckdbMemory?: string;
  memory?: Record<string, number>;
  debounce?: number;
  preview?: number;
  cache?: boolean;
  json?: boolean;
}

export async function watchCommand(opts: WatchCommandOptions): Promise<number> {
  const out = createOut(!!opts.json);
  const { startWatch, WatchStartError } = await import("../watch/watch-session.js");
  // Keys only from a terminal (with --json too: events go to stdout, keys come from stdin).
  const interactive = process.stdin.isTTY === true && typeof process.stdin.setRawMode === "function";
  const print = opts.json ? (e: WatchEvent) => out.result(watchJsonLine(e)) : watchPrinter(out, { interactive });

  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  const onSignal = () => stop(130);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onKey = (data: Buffer) => {
    const key = data.toString("utf8");
    if (key === "q" || key === "Q") stop(0);
    else if (key === "\u0003") stop(130); // Ctrl-C arrives as a key in raw mode
  };
  try {
    let handle;
    try {
      handle = await startWatch(
        {
          projectDir: opts.projectDir,
          vars: opts.var,
          ...(opts.ref !== undefined ? { ref: opts.ref } : {}),
          ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
          ...(opts.duckdbMemory !== undefined ? { duckdbMemory: opts.duckdbMemory } : {}),
          ...(opts.memory !== undefined ? { memory: opts.memory } : {}),
          ...(opts.debounce !== undefined ? { debounceMs: opts.debounce } : {}),
          ...(opts.preview !== undefined ? { preview: opts.preview } : {}),
          ...(opts.cache === false ? { cache: false as const } : {}),
        },
        { onEvent: print },
      );
    } catch (err) {
      if (err instanceof WatchStartError) {
        out.error(err.message);
        return err.exitCode;
      }
      throw err;
    }
    if (interactive) {
      process.stdin.setRawMode(true);
      process.stdin.on("data", onKey);
      process.stdin.resume();
    }
    const code = await stopped;
    if (interactive) {
      process.stdin.off("data", onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    await handle.close();
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
