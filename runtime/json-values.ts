/**
 * DuckDB's JSON-friendly values (node-api `getRowsJson`) turned into what a JSON consumer expects:
 * numbers (see columnEncoders for integers and decimals), dates as `YYYY-MM-DD`,
 * timestamps as ISO-8601 (`2023-01-02T03:04:05.123456`, with `Z`/offset for TIMESTAMPTZ).
 */
const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;

/**
 * How a column's values are written, decided once per column so its JSON type never changes from
 * row to row: integers are numbers unless some value exceeds 2^53 (then all are strings); DECIMALs
 * are numbers up to 15 digits of precision, strings beyond (exact).
 */
export function columnEncoders(types: readonly string[], rows: readonly (readonly unknown[])[]): ((v: unknown) => unknown)[] {
  return types.map((type, i) => {
    if (INTEGER.test(type)) {
      const safe = rows.every((r) => r[i] === null || typeof r[i] !== "string" || Number.isSafeInteger(Number(r[i])));
      return safe ? (v) => (typeof v === "string" ? Number(v) : v) : (v) => (v === null ? null : String(v));
    }
    const decimal = /^DECIMAL\((\d+),/.exec(type);
    if (decimal) return Number(decimal[1]) <= 15 ? (v) => (v === null ? null : Number(v)) : (v) => v;
    return (v) => toJsonValue(v, type);
  });
}

export function toJsonValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return value;
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
