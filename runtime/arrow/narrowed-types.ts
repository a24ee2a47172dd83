/**
 * DuckDB types that cross to a TS model as a narrower type: 128-bit integers (e.g. SUM(BIGINT))
 * have no Arrow type JS code can use, so they cross as 64-bit integers (DuckDB raises a conversion
 * error if a value does not fit).
 */
export const NARROWED_FOR_ARROW: Readonly<Record<string, string>> = { HUGEINT: "BIGINT", UHUGEINT: "UBIGINT" };
