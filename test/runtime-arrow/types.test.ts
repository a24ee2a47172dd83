import { describe, expect, it } from "vitest";
import {
  Binary,
  DateDay,
  DateMillisecond,
  Decimal,
  Dictionary,
  Field,
  Float16,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  Schema,
  TimeMillisecond,
  TimestampMillisecond,
  TimestampNanosecond,
  Utf8,
} from "apache-arrow";
import { arrowSchemaToColumns, arrowTypeToDuckdb, duckdbTypeToArrow } from "../../runtime/arrow/types.js";

describe("duckdbTypeToArrow / arrowTypeToDuckdb", () => {
  it.each([
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL(4,1)",
    "DECIMAL(18,3)",
    "DECIMAL(38,10)",
    "VARCHAR",
    "BLOB",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE",
    "TIME",
    "TIME_NS",
  ])("%s maps to Arrow and back to itself", (t) => {
    expect(arrowTypeToDuckdb(duckdbTypeToArrow(t))).toBe(t);
  });

  it("decimals are Decimal128 with DuckDB's precision and scale", () => {
    const d = duckdbTypeToArrow("DECIMAL(9,2)") as Decimal;
    expect([d.precision, d.scale, d.bitWidth]).toEqual([9, 2, 128]);
    const dflt = duckdbTypeToArrow("DECIMAL") as Decimal;
    expect([dflt.precision, dflt.scale]).toEqual([18, 3]);
  });

  it("accepts aliases and spacing", () => {
    expect(String(duckdbTypeToArrow("int"))).toBe("Int32");
    expect(String(duckdbTypeToArrow("TIMESTAMPTZ"))).toBe("Timestamp<MICROSECOND, UTC>");
    expect(String(duckdbTypeToArrow("text"))).toBe("Utf8");
    expect(String(duckdbTypeToArrow("numeric( 10 , 4 )"))).toBe("Decimal[10e+4]");
  });

  it("rejects unsupported DuckDB types with the type's name", () => {
    expect(() => duckdbTypeToArrow("INTERVAL")).toThrow(/unsupported DuckDB type INTERVAL/);
    expect(() => duckdbTypeToArrow("INTEGER[]")).toThrow(/unsupported DuckDB type INTEGER\[\]/);
    expect(() => duckdbTypeToArrow("HUGEINT")).toThrow(/unsupported DuckDB type HUGEINT/);
    expect(() => duckdbTypeToArrow("DECIMAL(40,2)")).toThrow(/DECIMAL\(40,2\)/);
  });

  it("Arrow-only types that tableFromArrays/tableFromJSON produce", () => {
    expect(arrowTypeToDuckdb(new Dictionary(new Utf8(), new Int32()))).toBe("VARCHAR");
    expect(arrowTypeToDuckdb(new LargeUtf8())).toBe("VARCHAR");
    expect(arrowTypeToDuckdb(new DateMillisecond())).toBe("TIMESTAMP_MS");
    expect(arrowTypeToDuckdb(new DateDay())).toBe("DATE");
    expect(arrowTypeToDuckdb(new TimestampMillisecond())).toBe("TIMESTAMP_MS");
    expect(arrowTypeToDuckdb(new TimestampNanosecond("America/New_York"))).toBe("TIMESTAMP WITH TIME ZONE");
    expect(arrowTypeToDuckdb(new TimeMillisecond())).toBe("TIME");
    expect(arrowTypeToDuckdb(new Binary())).toBe("BLOB");
  });

  it("rejects unsupported Arrow types; the schema variant names the column", () => {
    expect(() => arrowTypeToDuckdb(new Float16())).toThrow(/unsupported Arrow type Float16/);
    expect(() => arrowTypeToDuckdb(new Dictionary(new Int64(), new Int32()))).toThrow(/Dictionary<Int32, Int64>/);
    const schema = new Schema([
      new Field("ok", new Float64()),
      new Field("tags", new List(new Field("item", new Utf8()))),
    ]);
    expect(() => arrowSchemaToColumns(schema)).toThrow(/column "tags": unsupported Arrow type List<Utf8>/);
    expect(arrowSchemaToColumns(new Schema([new Field("ok", new Float64())]))).toEqual([{ name: "ok", type: "DOUBLE" }]);
  });
});
