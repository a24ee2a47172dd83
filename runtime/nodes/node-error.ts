import type { NodeFailure } from "../run-events.js";

/** Thrown by a node runner: carries the failure as data for the run summary. */
export class NodeError extends Error {
  constructor(readonly failure: NodeFailure) {
    super(failure.message);
  }
}

/** DuckDB's message without its "Error: " noise, first lines only. */
export function duckdbMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim();
}
