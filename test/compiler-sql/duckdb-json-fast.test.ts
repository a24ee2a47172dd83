/**
 * parseDuckJson's fast paths (plain JSON.parse when no 16-digit run; marking long integers found by
 * a scan otherwise) must give exactly what the exact tokenizing path gives, also when long digit
 * runs sit inside strings.
 */
import { describe, expect, it } from "vitest";
import { type Json, parseDuckJson, stringifyDuckJson } from "../../compiler/sql/sql-json.js";

/** The exact path alone: every token, strings skipped. */
function exact(text: string): Json {
  const TOKEN = /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  return JSON.parse(
    text.replace(TOKEN, (match, str: string | undefined) => {
      if (str !== undefined) return str;
      return /^-?\d+$/.test(match) && !Number.isSafeInteger(Number(match)) ? JSON.stringify(`\u0000bp-int:${match}`) : match;
    }),
  ) as Json;
}

describe("parseDuckJson", () => {
  const cases = [
    '{"a":1,"b":[2,3],"c":"x"}',
    '{"total_files":18446744073709551615,"filtered":18446744073709551615,"i":[18446744073709551615]}',
    '{"v":-9223372036854775808,"w":9007199254740993,"safe":9007199254740991,"short":1234567890123456}',
    '{"s":"12345678901234567890","t":":12345678901234567890,","u":"[12345678901234567890]","n":12345678901234567890}',
    '{"s":"a,12345678901234567890}","n":[1,12345678901234567890 , 2]}',
    '{"f":12345678901234567.5,"e":12345678901234567e3,"g":0.12345678901234567890}',
    "18446744073709551615",
    " 42 ",
    '"12345678901234567890"',
    '[12345678901234567890,\n 18446744073709551615\n]',
  ];
  it.each(cases)("%s", (text) => {
    expect(parseDuckJson(text)).toStrictEqual(exact(text));
    expect(stringifyDuckJson(parseDuckJson(text))).toBe(stringifyDuckJson(exact(text)));
  });
});
