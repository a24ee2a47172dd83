import { describe, expect, it } from "vitest";
import { parseDuckJson, stringifyDuckJson, offsetField } from "../../compiler/sql/sql-json.js";
import { TextOffsets, firstTokenOffset, splitSqlStatements } from "../../compiler/sql/sql-text.js";

describe("DuckDB JSON without precision loss", () => {
  it("keeps integers beyond 2^53 exact and leaves strings alone", () => {
    const text = '{"a":18446744073709551615,"b":-9007199254740993,"c":1.5e300,"d":"18446744073709551615","e":[1,2],"f":"x\\"9007199254740993"}';
    const value = parseDuckJson(text);
    expect(stringifyDuckJson(value)).toBe(text.replace("1.5e300", "1.5e+300"));
    expect(offsetField(value, "a")).toBeUndefined();
    expect(offsetField(value, "e")).toBeUndefined();
    expect(offsetField(parseDuckJson('{"position":"42"}'), "position")).toBe(42);
  });
});

describe("TextOffsets", () => {
  const text = "aé😀b\nc";
  it("converts UTF-8 byte offsets and code point offsets to string indexes", () => {
    const o = new TextOffsets(text);
    expect([0, 1, 3, 7, 8, 9].map((b) => o.fromUtf8Byte(b))).toEqual([0, 1, 2, 4, 5, 6]);
    expect([0, 1, 2, 3, 4, 5].map((c) => o.fromCodePoint(c))).toEqual([0, 1, 2, 4, 5, 6]);
    expect(new TextOffsets("abc").fromUtf8Byte(2)).toBe(2);
  });
});

describe("statement splitting", () => {
  it("splits on top-level semicolons only", () => {
    const sql = "-- c; x\nSELECT ';' AS \"a;b\", $$;$$ /* ; */;\n\n insert into t values (1);  ; -- end";
    expect(splitSqlStatements(sql).map((s) => [s.firstWord, sql.slice(s.start, s.start + 6)])).toEqual([
      ["SELECT", "SELECT"],
      ["INSERT", "insert"],
    ]);
    expect(firstTokenOffset(sql)).toBe(sql.indexOf("SELECT"));
    expect(firstTokenOffset("/* a /* nested */ b */ (SELECT 1)")).toBe(23);
  });
});
