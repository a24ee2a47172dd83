/**
 * TS child processes started ahead of their runs, so that a TS node finds its process with
 * apache-arrow, bp's modules and its transpiled model already loaded (a child's start-up, ~0.4 s,
 * then overlaps compiling and the upstream nodes instead of adding to the TS node's time).
 *
 *   const pool = new TsChildPool(2);
 *   pool.expect(specs);                  // the runs to come, in the order they will likely start
 *   runTsModel(job, { onLine, child: pool.take(job) });
 *   pool.close();                        // kills whatever no run took
 *
 * A child is started for one model file, heap limit and cwd (`tsChildKey`) and used for one run;
 * at most `lookahead` children wait at a time, for the first runs still expected, and one loads at
 * a time (the next starts when it is ready: loading is CPU-bound and the parent is busy compiling).
 * A child that died while waiting is not restarted: its run starts a fresh one (runTsModel).
 */
import { TsChild, tsChildKey, type TsChildSpec } from "./run-ts-model.js";

/** Children waiting at most, whatever the lookahead: an idle child holds ~35 MB (plus esbuild's ~15 MB). */
export const MAX_WAITING = 4;

export class TsChildPool {
  private expected: TsChildSpec[] = [];
  private readonly waiting = new Map<string, TsChild>();
  private closed = false;
  private readonly lookahead: number;

  /** `lookahead`: children waiting at most at a time (e.g. the number of runs at once; at most MAX_WAITING). */
  constructor(lookahead: number) {
    this.lookahead = Math.max(0, Math.min(MAX_WAITING, Math.floor(lookahead)));
  }

  /** The runs to come, in the order they will likely start (replaces what was expected before). */
  expect(specs: readonly TsChildSpec[]): void {
    const seen = new Set<string>();
    this.expected = specs.filter((s) => {
      const key = tsChildKey(s);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    this.refill();
  }

  /** The child started for this run, if any (the run owns it now); the next expected run gets one. */
  take(spec: TsChildSpec): TsChild | undefined {
    const key = tsChildKey(spec);
    const child = this.waiting.get(key);
    this.waiting.delete(key);
    this.forget(key);
    return child;
  }

  /** A run that will not happen (its node was skipped): its child, if any, is stopped. */
  drop(spec: TsChildSpec): void {
    this.forget(tsChildKey(spec));
  }

  /** Stops every waiting child; nothing is started afterwards. Safe to call more than once. */
  close(): void {
    this.closed = true;
    this.expected = [];
    for (const child of this.waiting.values()) child.stop();
    this.waiting.clear();
  }

  /** Pids of the children waiting (for tests and debugging). */
  pids(): number[] {
    return [...this.waiting.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  private forget(key: string): void {
    this.expected = this.expected.filter((s) => tsChildKey(s) !== key);
    this.refill();
  }

  private refill(): void {
    if (this.closed) return;
    const next = this.expected.slice(0, this.lookahead);
    const keys = new Set(next.map(tsChildKey));
    for (const [key, child] of this.waiting) {
      if (keys.has(key)) continue;
      child.stop();
      this.waiting.delete(key);
    }
    if ([...this.waiting.values()].some((c) => c.loading)) return; // one loads at a time
    const spec = next.find((s) => !this.waiting.has(tsChildKey(s)));
    if (!spec) return;
    const child = TsChild.start(spec);
    this.waiting.set(tsChildKey(spec), child);
    void child.loaded.then(() => this.refill());
  }
}
