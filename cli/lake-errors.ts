/** Lake errors as CLI results: a usage mistake (bad name) exits 2, any other refusal or failure 1. */
import { InvalidNameError, LakeError } from "../runtime/lake/errors.js";
import { S3ConditionalWritesUnsupportedError, S3RequestError, S3UnavailableError } from "../runtime/lake/s3-errors.js";
import type { Out } from "./console.js";

/** The lake's storage failed (S3 down, refused, or unable to move a head safely): not a bp bug, exit 1. */
export function isStorageError(err: unknown): err is S3UnavailableError | S3RequestError | S3ConditionalWritesUnsupportedError {
  return err instanceof S3UnavailableError || err instanceof S3RequestError || err instanceof S3ConditionalWritesUnsupportedError;
}

export function lakeFailure(out: Out, command: string, err: unknown, json: boolean | undefined): number {
  if (!(err instanceof LakeError) && !isStorageError(err)) throw err;
  if (json) out.result(JSON.stringify({ ok: false, error: err.message, code: err.code }, null, 2));
  out.error(`bp ${command}: ${err.message}`);
  return err instanceof InvalidNameError ? 2 : 1;
}

export const shortId = (id: string | null): string => (id === null ? "(empty)" : id.slice(0, 12));
