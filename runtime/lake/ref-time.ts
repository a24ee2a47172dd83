/**
 * The time part of a `branch@time` ref: ISO-8601, minutes or seconds optional, `T` or a space
 * between date and time. A time without a zone is UTC (`main@2026-11-20T17:00` = 17:00Z).
 */

const TIME_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Milliseconds since the epoch, or null when `text` is not such a time. */
export function parseRefTime(text: string): number | null {
  const m = TIME_RE.exec(text.trim());
  if (!m) return null;
  const [, date, time, zone] = m;
  if (zone !== undefined && time === undefined) return null;
  let z = zone === undefined ? "Z" : zone.toUpperCase();
  if (/^[+-]\d{4}$/.test(z)) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const iso = `${date}T${time ?? "00:00"}${z}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2026-02-31 over into March: refuse dates that do not exist.
  const day = new Date(Date.parse(`${date}T00:00Z`));
  if (day.toISOString().slice(0, 10) !== date) return null;
  return ms;
}

export const REF_TIME_HELP = "write BRANCH@YYYY-MM-DDTHH:MM[:SS] (UTC unless a zone such as Z or +02:00 is given), e.g. main@2026-11-20T17:00";
