/**
 * Errors of the S3 backend. They name the endpoint, the operation and the object, so a user who
 * sees one knows which server to look at (the SDK's own messages often say only "socket hang up").
 */

/** The server could not be reached, or did not answer in time, after the SDK's retries. */
export class S3UnavailableError extends Error {
  readonly code = "s3-unavailable";
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    readonly target: string,
    readonly attempts: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `S3 endpoint ${endpoint} did not answer ${operation} ${target} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${detail}`,
      options,
    );
    this.name = "S3UnavailableError";
  }
}

/** The server answered with an error we do not handle (access denied, no such bucket, ...). */
export class S3RequestError extends Error {
  readonly code = "s3-request-failed";
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    readonly target: string,
    readonly status: number | undefined,
    readonly s3Code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`S3 ${operation} ${target} at ${endpoint} failed: ${s3Code}${status === undefined ? "" : ` (HTTP ${status})`}: ${detail}`, options);
    this.name = "S3RequestError";
  }
}

/** `conditional_writes: required` and the server ignores `If-None-Match` / `If-Match` on PUT. */
export class S3ConditionalWritesUnsupportedError extends Error {
  readonly code = "s3-no-conditional-writes";
  constructor(readonly endpoint: string) {
    super(
      `S3 endpoint ${endpoint} ignores conditional writes (If-None-Match/If-Match on PUT), so it cannot move a branch ` +
        `head by compare-and-swap; set s3.conditional_writes: host-lock to serialize writers with a lock on this host ` +
        `(safe only when every writer runs on this machine)`,
    );
    this.name = "S3ConditionalWritesUnsupportedError";
  }
}
