import { describe, expect, it } from "vitest";
import { parseSqlHeader } from "../../compiler/sql/index.js";
import { where } from "./helpers.js";

const F = "models/m.sql";

describe("parseSqlHeader", () => {
  it("reads materialize and description from the leading comment lines", () => {
    const text = "-- Revenue model\n\n-- bp: materialize = true\n--bp:description =  Revenue by country = per day  \nSELECT 1";
    const h = parseSqlHeader(F, text);
    expect(h.diagnostics).toEqual([]);
    expect(h.materialize).toBe(true);
    expect(h.description).toBe("Revenue by country = per day");
    expect(h.settings.map((s) => [s.key, s.line, s.column, s.valueColumn])).toEqual([
      ["materialize", 3, 8, 22],
      ["description", 4, 6, 21],
    ]);
    expect(h.headerEnd).toBe(text.indexOf("SELECT"));
  });

  it("defaults to not materialized and no description", () => {
    const h = parseSqlHeader(F, "select 1");
    expect(h).toMatchObject({ materialize: false, description: null, settings: [], diagnostics: [], headerEnd: 0 });
  });

  it("accepts false and any case of the boolean, and CRLF line ends", () => {
    const h = parseSqlHeader(F, "-- bp: materialize = FALSE\r\n-- bp: description = x\r\nselect 1");
    expect(h.diagnostics).toEqual([]);
    expect(h.materialize).toBe(false);
    expect(h.description).toBe("x");
  });

  it("reports an unknown key at the key, with did-you-mean and what is allowed", () => {
    const h = parseSqlHeader(F, "-- intro\n--   bp: materialise = true\nselect 1");
    expect(h.diagnostics.map(where)).toEqual(["BP0110@2:10"]);
    expect(h.diagnostics[0]!.message).toContain('did you mean "materialize"');
    expect(h.diagnostics[0]!.hint).toContain("materialize = true|false");
  });

  it("accepts `ref <table> = <ref>` and records the pinned source with its positions", () => {
    const h = parseSqlHeader(F, "-- bp: ref orders = main@2026-11-20T17:00\n-- bp: ref Customers = friday\nselect 1");
    expect(h.diagnostics).toEqual([]);
    expect(h.settings[0]).toEqual({ key: "ref", arg: "orders", argColumn: 12, value: "main@2026-11-20T17:00", line: 1, column: 8, valueColumn: 21 });
    expect(h.refs).toEqual([
      { table: "orders", ref: "main@2026-11-20T17:00", line: 1, tableColumn: 12, column: 21 },
      { table: "Customers", ref: "friday", line: 2, tableColumn: 12, column: 24 },
    ]);
  });

  it("reports a malformed `ref`: no table, not a table name, empty or spaced ref, a table pinned twice", () => {
    const text = [
      "-- bp: ref = main",
      "-- bp: ref 1orders = main",
      "-- bp: ref orders =",
      "-- bp: ref items = two words",
      "-- bp: ref x = a",
      "-- bp: ref X = b",
      "select 1",
    ].join("\n");
    const h = parseSqlHeader(F, text);
    expect(h.diagnostics.map(where)).toEqual(["BP0110@1:8", "BP0110@2:12", "BP0110@3:20", "BP0110@4:20", "BP0110@6:12"]);
    expect(h.diagnostics.map((d) => d.message)).toEqual([
      "`ref` needs the table it applies to",
      '"1orders" is not a table name',
      'the ref of "orders" is empty',
      'ref "two words" contains a space',
      'the ref of "X" is set twice (first on line 5)',
    ]);
    expect(h.diagnostics[0]!.hint).toContain("-- bp: ref transactions = friday");
    expect(h.refs.map((r) => r.table)).toEqual(["x"]);
  });

  it("reads `column <name> = <text>` lines: bare and double-quoted names, with the name's position", () => {
    const text = '-- bp: column usd = Amount = in US dollars\n-- bp: column "unit ""net"" price" = Per unit\nSELECT 1';
    const h = parseSqlHeader(F, text);
    expect(h.diagnostics).toEqual([]);
    expect(h.columnDocs).toEqual([
      { column: "usd", description: "Amount = in US dollars", line: 1, nameColumn: 15 },
      { column: 'unit "net" price', description: "Per unit", line: 2, nameColumn: 15 },
    ]);
  });

  it("reports a `column` line without a name, with an empty text, or repeated (case-insensitively)", () => {
    const h = parseSqlHeader(F, "-- bp: column = x\n-- bp: column a =\n-- bp: column b = one\n-- bp: column B = two\nselect 1");
    expect(h.diagnostics.map(where)).toEqual(["BP0110@1:8", "BP0110@2:18", "BP0110@4:15"]);
    expect(h.diagnostics[2]!.message).toBe('the description of column "B" is set twice (first on line 3)');
    expect(h.columnDocs.map((d) => d.column)).toEqual(["b"]);
  });

  it("reports a missing `=` where it was expected", () => {
    const h = parseSqlHeader(F, "-- bp: materialize true\nselect 1");
    expect(h.diagnostics.map(where)).toEqual(["BP0110@1:20"]);
    expect(h.diagnostics[0]!.message).toBe("expected `=` after `materialize`");
  });

  it("reports a bad boolean at the value", () => {
    const h = parseSqlHeader(F, "\n-- bp: materialize =  yes\nselect 1");
    expect(h.diagnostics.map(where)).toEqual(["BP0110@2:23"]);
    expect(h.diagnostics[0]!.hint).toContain("true");
    expect(h.materialize).toBe(false);
  });

  it("reports an empty value, a missing key, an argument on a plain key, and a repeated key", () => {
    const text = ["-- bp: materialize =", "-- bp: = 3", "-- bp: description extra = x", "-- bp: description = a", "-- bp: description = b", "select 1"].join("\n");
    const h = parseSqlHeader(F, text);
    expect(h.diagnostics.map(where)).toEqual(["BP0110@2:8", "BP0110@1:21", "BP0110@3:20", "BP0110@5:8"]);
    expect(h.description).toBe("a");
  });

  it("stops the header at the first SQL line and flags settings after it", () => {
    const h = parseSqlHeader(F, "-- bp: materialize = true\nselect 1\n  -- bp: description = late\n");
    expect(h.description).toBeNull();
    expect(h.diagnostics.map(where)).toEqual(["BP0110@3:6"]);
  });

  it("ignores ordinary comments and block comments end the header", () => {
    const h = parseSqlHeader(F, "-- just a note: a = b\n/* -- bp: materialize = true */\nselect 1");
    expect(h.settings).toEqual([]);
    expect(h.diagnostics).toEqual([]);
  });
});
