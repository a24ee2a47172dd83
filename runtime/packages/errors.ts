/** A package of a model's environment could not be resolved or installed: the node fails with npm's reason. */
export class PackageInstallError extends Error {
  constructor(
    /** The npm package that failed (a declared one, or a dependency of one: see `neededBy`). */
    readonly packageName: string,
    /** The version range asked for. */
    readonly range: string,
    /** npm's error code when it gave one (E404, ETARGET, ECONNREFUSED, EINTEGRITY...). */
    readonly code: string | undefined,
    /** npm's own message. */
    readonly reason: string,
    /** The package (name@version) whose dependency this is, or undefined for a declared package. */
    readonly neededBy?: string,
  ) {
    super(
      `package "${packageName}@${range}"${neededBy ? ` (a dependency of ${neededBy})` : ""} could not be installed: ` +
        `${code && !reason.includes(code) ? `${code} ` : ""}${reason}`,
    );
    this.name = "PackageInstallError";
  }
}

/** npm's code and message of a failure (pacote, npm-pick-manifest, the file system). */
export function npmReason(err: unknown): { code: string | undefined; reason: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const reason = typeof e?.message === "string" ? e.message.split("\n")[0]!.trim() : String(err);
  return { code, reason };
}
