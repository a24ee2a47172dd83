import { describe, expect, it } from "vitest";
import { Float64, Table, tableFromArrays, vectorFromArray } from "apache-arrow";
import { arrowTypeForDuckDb, BadReturnError, decodeDictionaries, describeValue, rowsToTable, toTable } from "../../runtime/ts-child/to-table.js";

const types = (t: Table) => t.schema.fields.map((f) => `${f.name}:${String(f.type)}`);

describe("toTable (in process)", () => {
  it("returns a Table as is", () => {
    const t = tableFromArrays({ a: Float64Array.from([1, 2]) });
    expect(toTable(t)).toBe(t);
  });

  it("builds columns from the union of row keys, missing keys as null", () => {
    const t = rowsToTable([{ a: 1, b: "x" }, { a: 2, c: true }, { b: null }]);
    expect(types(t)).toEqual(["a:Float64", "b:Utf8", "c:Bool"]);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { a: 1, b: "x", c: null },
      { a: 2, b: null, c: true },
      { a: null, b: null, c: null },
    ]);
  });

  it("maps bigint, Date, all-null and nested values", () => {
    const t = rowsToTable([{ n: 1n, d: new Date(86_400_000), z: null, l: [1, 2] }]);
    expect(types(t)).toEqual(["n:Int64", "d:Timestamp<MILLISECOND>", "z:Null", "l:List<Float64>"]);
    expect(t.get(0)!.toJSON()).toMatchObject({ n: 1n, d: 86_400_000, z: null });
  });

  it("rejects rows without keys, mixed kinds and non-objects", () => {
    expect(() => toTable([{}, {}])).toThrow(/array of rows that have no keys/);
    expect(() => toTable([{ a: 1n }, { a: 1 }])).toThrow(BadReturnError);
    expect(() => toTable([new Map()])).toThrow(/element 0 is an instance of Map/);
    expect(() => toTable([[1, 2]])).toThrow(/element 0 is an array/);
  });

  it("uses declared DuckDB columns only for an empty array", () => {
    expect(() => toTable([])).toThrow(/empty array/);
    expect(() => toTable([], { a: "STRUCT(x INT)" })).toThrow(/cannot map to Arrow/);
    expect(types(toTable([], { a: "integer", b: "double", c: "timestamp", d: "boolean" }))).toEqual([
      "a:Int32",
      "b:Float64",
      "c:Timestamp<MICROSECOND>",
      "d:Bool",
    ]);
    expect(arrowTypeForDuckDb("numeric(10)")).toMatchObject({ precision: 10, scale: 0 });
    expect(arrowTypeForDuckDb("HUGEINT")).toBeNull();
  });

  it("describes values for messages", () => {
    expect(describeValue(null)).toBe("null");
    expect(describeValue(3n)).toBe("a bigint (3n)");
    expect(describeValue("x".repeat(50))).toBe(`a string ("${"x".repeat(40)}…")`);
    expect(describeValue(() => 1)).toBe("a function");
    expect(describeValue(vectorFromArray([1], new Float64()))).toMatch(/apache-arrow Vector/);
    expect(describeValue(new (class Foo {})())).toBe("an instance of Foo");
  });
});

describe("decodeDictionaries", () => {
  it("decodes dictionary columns, also across batches, so the table can be written as an IPC file", async () => {
    const { tableToIPC, tableFromIPC, DataType } = await import("apache-arrow");
    const ragged = new Table({ a: vectorFromArray([1, 2, 3]), b: vectorFromArray(["x"]) });
    expect(() => tableToIPC(ragged, "file")).toThrow(/dictionar/i);
    const decoded = decodeDictionaries(ragged);
    expect(DataType.isDictionary(decoded.schema.fields[1]!.type)).toBe(false);
    const back = tableFromIPC(tableToIPC(decoded, "file"));
    expect(back.toArray().map((r) => r.toJSON())).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: null },
      { a: 3, b: null },
    ]);
  });
});
