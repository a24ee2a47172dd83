/** Collects a watch session's events; `next` waits (event-driven, with a timeout) for the next match. */
import type { WatchEvent } from "../../cli/watch/watch-events.js";

export class EventLog {
  readonly events: WatchEvent[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];

  readonly onEvent = (e: WatchEvent): void => {
    this.events.push(e);
    for (const w of this.waiters.splice(0)) w();
  };

  /** The next event (after the last one `next` returned) of this type matching `where`. */
  async next<T extends WatchEvent["type"]>(type: T, where: (e: Extract<WatchEvent, { type: T }>) => boolean = () => true, timeoutMs = 60_000): Promise<Extract<WatchEvent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++]!;
        if (e.type === type && where(e as Extract<WatchEvent, { type: T }>)) return e as Extract<WatchEvent, { type: T }>;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(", ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Forget what came before: `next` looks only at events from now on. */
  skip(): void {
    this.cursor = this.events.length;
  }
}
