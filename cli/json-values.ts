/**
 * DuckDB's JSON-friendly values (node-api `getRowsJson`) turned into what a JSON consumer expects:
 * integers and decimals as numbers (big integers beyond 2^53 stay strings), dates as `YYYY-MM-DD`,
 * timestamps as ISO-8601 (`2023-01-02T03:04:05.123456`, with `Z`/offset for TIMESTAMPTZ).
 */
export function toJsonValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return value;
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (type.startsWith("DECIMAL")) return Number(value);
  if (type.startsWith("TIMESTAMP")) return isoTimestamp(value);
  return value;
}

function isoTimestamp(text: string): string {
  // "2023-01-02 03:04:05.123456" | "2023-01-02 03:04:05+00" | "2023-01-02 03:04:05.5-05:30"
  const m = /^(-?\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (!m) return text;
  const [, date, time, offset] = m;
  if (!offset) return `${date}T${time}`;
  const normalized = /^[+-]\d{2}$/.test(offset) ? `${offset}:00` : offset.includes(":") ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  return `${date}T${time}${normalized === "+00:00" ? "Z" : normalized}`;
}
