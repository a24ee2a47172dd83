/**
 * Type mapping between DuckDB (type names as DESCRIBE prints them) and Apache Arrow.
 *
 * DuckDB -> Arrow is the mapping used when a DuckDB result is exported to Arrow; Arrow -> DuckDB
 * is used when an Arrow table is loaded into DuckDB. Every type DuckDB -> Arrow produces maps back
 * to the same DuckDB type. Arrow -> DuckDB additionally accepts the types apache-arrow's
 * `tableFromArrays` / `tableFromJSON` / `vectorFromArray` produce:
 *   - Dictionary<Utf8|LargeUtf8|Binary|LargeBinary> -> VARCHAR / BLOB (decoded)
 *   - LargeUtf8 -> VARCHAR, LargeBinary -> BLOB
 *   - DateMillisecond -> TIMESTAMP_MS (JS `Date`s carry a time of day, so DATE would lose it)
 *   - Timestamp with any time zone -> TIMESTAMP WITH TIME ZONE (values rescaled to microseconds)
 *   - Time32 (s, ms) -> TIME (rescaled), Time64 ns -> TIME_NS
 *   - Null (an all-null column) -> INTEGER (all NULL), as DuckDB types `SELECT NULL`.
 */
import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  Schema,
  TimeMicrosecond,
  TimeNanosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Type,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  DateUnit,
  TimeUnit,
  Precision,
} from "apache-arrow";
import type { ColumnSchema } from "../../compiler/plan-types.js";

/** Largest DECIMAL precision DuckDB supports (and that fits Arrow Decimal128). */
export const MAX_DECIMAL_PRECISION = 38;

/** DuckDB's own default for a bare `DECIMAL`. */
const DEFAULT_DECIMAL = { precision: 18, scale: 3 } as const;

const SIMPLE_DUCKDB_TO_ARROW: Readonly<Record<string, () => DataType>> = {
  BOOLEAN: () => new Bool(),
  TINYINT: () => new Int8(),
  SMALLINT: () => new Int16(),
  INTEGER: () => new Int32(),
  BIGINT: () => new Int64(),
  UTINYINT: () => new Uint8(),
  USMALLINT: () => new Uint16(),
  UINTEGER: () => new Uint32(),
  UBIGINT: () => new Uint64(),
  FLOAT: () => new Float32(),
  DOUBLE: () => new Float64(),
  VARCHAR: () => new Utf8(),
  BLOB: () => new Binary(),
  DATE: () => new DateDay(),
  TIMESTAMP: () => new TimestampMicrosecond(),
  TIMESTAMP_S: () => new TimestampSecond(),
  TIMESTAMP_MS: () => new TimestampMillisecond(),
  TIMESTAMP_NS: () => new TimestampNanosecond(),
  "TIMESTAMP WITH TIME ZONE": () => new TimestampMicrosecond("UTC"),
  TIME: () => new TimeMicrosecond(),
  TIME_NS: () => new TimeNanosecond(),
};

/** Aliases DuckDB accepts in DDL, normalized to the name DESCRIBE prints. */
const DUCKDB_ALIASES: Readonly<Record<string, string>> = {
  BOOL: "BOOLEAN",
  LOGICAL: "BOOLEAN",
  INT1: "TINYINT",
  INT2: "SMALLINT",
  SHORT: "SMALLINT",
  INT: "INTEGER",
  INT4: "INTEGER",
  SIGNED: "INTEGER",
  INT8: "BIGINT",
  LONG: "BIGINT",
  UINT8: "UTINYINT",
  UINT16: "USMALLINT",
  UINT32: "UINTEGER",
  UINT64: "UBIGINT",
  FLOAT4: "FLOAT",
  REAL: "FLOAT",
  FLOAT8: "DOUBLE",
  TEXT: "VARCHAR",
  STRING: "VARCHAR",
  CHAR: "VARCHAR",
  BPCHAR: "VARCHAR",
  BYTEA: "BLOB",
  BINARY: "BLOB",
  VARBINARY: "BLOB",
  DATETIME: "TIMESTAMP",
  "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
  TIMESTAMPTZ: "TIMESTAMP WITH TIME ZONE",
  "TIME WITHOUT TIME ZONE": "TIME",
};

/** Parses `DECIMAL(p,s)` / `NUMERIC(p)` / `DECIMAL`; returns null for any other name. */
export function parseDecimal(type: string): { precision: number; scale: number } | null {
  const m = /^(?:DECIMAL|NUMERIC)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/i.exec(type.trim());
  if (!m) return null;
  if (m[1] === undefined) return { ...DEFAULT_DECIMAL };
  return { precision: Number(m[1]), scale: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Upper-cases, collapses whitespace and resolves aliases (`TIMESTAMPTZ` -> `TIMESTAMP WITH TIME ZONE`). */
export function normalizeDuckdbTypeName(type: string): string {
  const t = type.trim().replace(/\s+/g, " ").toUpperCase();
  const dec = parseDecimal(t);
  if (dec) return `DECIMAL(${dec.precision},${dec.scale})`;
  return DUCKDB_ALIASES[t] ?? t;
}

/** The Arrow type a DuckDB column of this type is exported as. Throws for unsupported types. */
export function duckdbTypeToArrow(type: string): DataType {
  const name = normalizeDuckdbTypeName(type);
  const dec = parseDecimal(name);
  if (dec) {
    if (dec.precision < 1 || dec.precision > MAX_DECIMAL_PRECISION || dec.scale > dec.precision) {
      throw new Error(`unsupported DuckDB type ${type}: DECIMAL precision must be 1..38 and scale <= precision`);
    }
    return new Decimal(dec.scale, dec.precision, 128);
  }
  const make = SIMPLE_DUCKDB_TO_ARROW[name];
  if (!make) {
    throw new Error(
      `unsupported DuckDB type ${type} for Arrow transfer (supported: ${Object.keys(SIMPLE_DUCKDB_TO_ARROW).join(", ")}, DECIMAL(p,s)); cast it in SQL (e.g. to VARCHAR)`,
    );
  }
  return make();
}

/** The DuckDB type (as DESCRIBE prints it) an Arrow column of this type is loaded as. Throws for unsupported types. */
export function arrowTypeToDuckdb(type: DataType): string {
  const r = tryArrowTypeToDuckdb(type);
  if (typeof r === "string") return r;
  throw new Error(`unsupported Arrow type ${String(type)}: ${r.reason}`);
}

/** One DuckDB column per Arrow field; the error of an unsupported type names the column. */
export function arrowSchemaToColumns(schema: Schema): ColumnSchema[] {
  return schema.fields.map((f: Field) => {
    const r = tryArrowTypeToDuckdb(f.type);
    if (typeof r !== "string") {
      throw new Error(`column "${f.name}": unsupported Arrow type ${String(f.type)}: ${r.reason}`);
    }
    return { name: f.name, type: r };
  });
}

function tryArrowTypeToDuckdb(type: DataType): string | { reason: string } {
  switch (type.typeId) {
    case Type.Null:
      return "INTEGER";
    case Type.Bool:
      return "BOOLEAN";
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const names: Record<number, [string, string]> = {
        8: ["TINYINT", "UTINYINT"],
        16: ["SMALLINT", "USMALLINT"],
        32: ["INTEGER", "UINTEGER"],
        64: ["BIGINT", "UBIGINT"],
      };
      const pair = names[bitWidth];
      if (!pair) return { reason: `integer width ${bitWidth}` };
      return isSigned ? pair[0] : pair[1];
    }
    case Type.Float: {
      const { precision } = type as unknown as { precision: Precision };
      if (precision === Precision.SINGLE) return "FLOAT";
      if (precision === Precision.DOUBLE) return "DOUBLE";
      return { reason: "half floats (Float16) are not supported; cast to Float32" };
    }
    case Type.Decimal: {
      const d = type as Decimal;
      if (d.bitWidth !== 128) return { reason: `only Decimal128 is supported (got bitWidth ${d.bitWidth})` };
      if (d.precision < 1 || d.precision > MAX_DECIMAL_PRECISION) return { reason: `DECIMAL precision ${d.precision} > 38` };
      if (d.scale < 0 || d.scale > d.precision) return { reason: `DECIMAL scale ${d.scale} outside 0..precision` };
      return `DECIMAL(${d.precision},${d.scale})`;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return "VARCHAR";
    case Type.Binary:
    case Type.LargeBinary:
      return "BLOB";
    case Type.Date: {
      const { unit } = type as unknown as { unit: DateUnit };
      return unit === DateUnit.DAY ? "DATE" : "TIMESTAMP_MS";
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: TimeUnit; timezone?: string | null };
      if (timezone != null && timezone !== "") return "TIMESTAMP WITH TIME ZONE";
      switch (unit) {
        case TimeUnit.SECOND:
          return "TIMESTAMP_S";
        case TimeUnit.MILLISECOND:
          return "TIMESTAMP_MS";
        case TimeUnit.MICROSECOND:
          return "TIMESTAMP";
        case TimeUnit.NANOSECOND:
          return "TIMESTAMP_NS";
      }
      return { reason: `timestamp unit ${String(unit)}` };
    }
    case Type.Time: {
      const { unit } = type as unknown as { unit: TimeUnit };
      return unit === TimeUnit.NANOSECOND ? "TIME_NS" : "TIME";
    }
    case Type.Dictionary: {
      const dict = (type as unknown as { dictionary: DataType }).dictionary;
      const id = dict.typeId;
      if (id === Type.Utf8 || id === Type.LargeUtf8) return "VARCHAR";
      if (id === Type.Binary || id === Type.LargeBinary) return "BLOB";
      return { reason: `only dictionaries of strings/binary are supported (dictionary of ${String(dict)})` };
    }
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
    case Type.Struct:
    case Type.Map:
    case Type.Union:
    case Type.DenseUnion:
    case Type.SparseUnion:
      return { reason: "nested types (list/struct/map/union) are not supported yet" };
    default:
      return { reason: "no DuckDB mapping" };
  }
}
