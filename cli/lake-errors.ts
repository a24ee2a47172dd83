/** Lake errors as CLI results: a usage mistake (bad name) exits 2, any other refusal or failure 1. */
import { InvalidNameError, LakeError } from "../runtime/lake/errors.js";
import type { Out } from "./console.js";

export function lakeFailure(out: Out, command: string, err: unknown, json: boolean | undefined): number {
  if (!(err instanceof LakeError)) throw err;
  if (json) out.result(JSON.stringify({ ok: false, error: err.message, code: err.code }, null, 2));
  out.error(`bp ${command}: ${err.message}`);
  return err instanceof InvalidNameError ? 2 : 1;
}

export const shortId = (id: string | null): string => (id === null ? "(empty)" : id.slice(0, 12));
