import Handlebars from "handlebars";
import { describe, expect, it } from "vitest";
import { renderSqlTemplate } from "../../compiler/sql/index.js";
import { textAt, where } from "./helpers.js";

const F = "models/m.sql";
const VARS = { start_date: "2024-01-01", country: "IT", long_value: "a much longer substituted value" };

/** Every offset of `rendered` outside substitutions must map to the same character in `source`. */
function expectVerbatimMapping(source: string, rendered: string, map: (o: number) => number, literal: string): void {
  const at = rendered.indexOf(literal);
  expect(at).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < literal.length; i++) expect(source[map(at + i)]).toBe(literal[i]);
}

describe("renderSqlTemplate", () => {
  it("substitutes vars without escaping and keeps comments", () => {
    const text = `-- bp: description = since {{var "start_date"}}\nSELECT * FROM t WHERE day >= '{{var "start_date"}}' AND c = '{{{var "country"}}}' AND s = '<&>'`;
    const r = renderSqlTemplate(F, text, VARS);
    expect(r.diagnostics).toEqual([]);
    expect(r.sql).toBe(`-- bp: description = since 2024-01-01\nSELECT * FROM t WHERE day >= '2024-01-01' AND c = 'IT' AND s = '<&>'`);
  });

  it("maps rendered offsets back to the original text: exact outside substitutions, start inside them", () => {
    const text = `SELECT a,\n  '{{var "long_value"}}' AS v,\n  bogus_column\nFROM t WHERE x = '{{var "country"}}' AND y = 1`;
    const r = renderSqlTemplate(F, text, VARS);
    expectVerbatimMapping(text, r.sql, r.toSourceOffset, "bogus_column\nFROM t WHERE x = '");
    expectVerbatimMapping(text, r.sql, r.toSourceOffset, "' AND y = 1");
    expectVerbatimMapping(text, r.sql, r.toSourceOffset, "SELECT a,\n  '");
    const inside = r.sql.indexOf("longer");
    expect(r.toSourceOffset(inside)).toBe(text.indexOf('{{var "long_value"}}'));
    expect(r.toSourceOffset(r.sql.length)).toBe(text.length);
    expect(r.toSourceOffset(0)).toBe(0);
  });

  it("maps through block helpers and whitespace control, matching a plain Handlebars render", () => {
    const text = [
      "SELECT a",
      "{{#if (var \"country\")}}",
      "  , '{{var \"country\"}}' AS c",
      "{{/if}}",
      "FROM t {{~!-- trimmed --~}}  WHERE b = 1",
      "  {{!-- standalone comment --}}",
      "  AND zz = 2 \\{{literal}}",
    ].join("\n");
    const r = renderSqlTemplate(F, text, VARS);
    expect(r.diagnostics).toEqual([]);
    const env = Handlebars.create();
    env.registerHelper("var", (name: string) => VARS[name as keyof typeof VARS]);
    expect(r.sql).toBe(env.compile(text, { noEscape: true })({}));
    expectVerbatimMapping(text, r.sql, r.toSourceOffset, "WHERE b = 1");
    expectVerbatimMapping(text, r.sql, r.toSourceOffset, "AND zz = 2 {{literal}}".slice(0, 11));
    expect(r.toSourceOffset(r.sql.indexOf("{{literal}}"))).toBe(text.indexOf("{{literal}}"));
    expect(r.toSourceOffset(r.sql.indexOf("'IT'"))).toBe(text.indexOf("{{#if"));
  });

  it("reports an unknown var at its mustache with did-you-mean", () => {
    const text = `SELECT 1\nFROM t\nWHERE day >= '{{var "start_dat"}}' AND {{var "nothing_like_it"}}`;
    const r = renderSqlTemplate(F, text, VARS);
    expect(r.diagnostics.map(where)).toEqual(["BP0107@3:15", "BP0107@3:40"]);
    expect(textAt(text, r.diagnostics[0]!, 16)).toBe('{{var "start_dat');
    expect(textAt(text, r.diagnostics[1]!, 7)).toBe('{{var "');
    expect(r.diagnostics[0]!.hint).toBe('did you mean "start_date"?');
    expect(r.diagnostics[1]!.hint).toContain("start_date, country");
  });

  it("reports var misuse and unknown names (a var written without the helper)", () => {
    const text = `SELECT {{var}}, {{var "a" "b"}},\n  {{start_date}}, {{nope 1}}`;
    const r = renderSqlTemplate(F, text, VARS);
    expect(r.diagnostics.map(where)).toEqual(["BP0106@1:8", "BP0106@1:17", "BP0106@2:3", "BP0106@2:19"]);
    expect(r.diagnostics[2]!.hint).toBe('"start_date" is a var: write {{var "start_date"}}');
  });

  it("reports Handlebars syntax errors where Handlebars stopped", () => {
    const unclosed = renderSqlTemplate(F, `SELECT 1\nFROM t WHERE a = '{{var "x"}'\n`, VARS);
    expect(unclosed.diagnostics.map(where)).toEqual(["BP0106@2:28"]);
    expect(textAt(`FROM t WHERE a = '{{var "x"}'`, { line: 1, column: 28 }, 2)).toBe("}'");
    expect(unclosed.sql).toBe(`SELECT 1\nFROM t WHERE a = '{{var "x"}'\n`);

    expect(unclosed.diagnostics[0]!.message).toBe('unclosed "{{": expected "}}"');

    const strayClose = renderSqlTemplate(F, "SELECT 1\n  {{/if}} FROM t", VARS);
    expect(strayClose.diagnostics.map(where)).toEqual(["BP0106@2:3"]);
    expect(strayClose.diagnostics[0]!.message).toBe("{{/if}} closes a block that was never opened");
  });

  it("words syntax errors in user terms, never Handlebars' token names", () => {
    const cases: [string, string, string][] = [
      [`SELECT {{var "x"`, "BP0106@1:8", 'unclosed "{{": expected "}}"'],
      [`SELECT {{{var "x"}}`, "BP0106@1:18", 'unclosed "{{{": expected "}}}"'],
      [`SELECT {{var "x}}`, "BP0106@1:14", 'unclosed string in a mustache: expected a closing "'],
      [`SELECT {{var 'x' )}}`, "BP0106@1:18", 'unexpected ")" in a mustache: expected "}}"'],
      [`SELECT {{!-- note`, "BP0106@1:8", 'unclosed template comment: expected "--}}"'],
    ];
    for (const [text, at, message] of cases) {
      const r = renderSqlTemplate(F, text, VARS);
      expect(r.diagnostics.map(where), text).toEqual([at]);
      expect(r.diagnostics[0]!.message, text).toBe(message);
      expect(r.diagnostics[0]!.message, text).not.toMatch(/CLOSE|INVALID|EOF|OPEN_/);
    }
  });

  it("an unclosed block is reported at its {{#...}} with the closing tag to add; a mismatched close at the close", () => {
    const open = renderSqlTemplate(F, "SELECT 1 {{#if x}}\nFROM t", VARS);
    expect(open.diagnostics.map(where)).toEqual(["BP0106@1:10"]);
    expect(open.diagnostics[0]!.message).toBe("block {{#if}} is never closed");
    expect(open.diagnostics[0]!.hint).toBe("add {{/if}} where the block ends");

    const nested = renderSqlTemplate(F, "SELECT 1 {{#if x}}\n  {{#unless y}} a {{/unless}}\n  {{#each z}} b\nFROM t", VARS);
    expect(nested.diagnostics.map(where)).toEqual(["BP0106@3:3"]);
    expect(nested.diagnostics[0]!.hint).toBe("add {{/each}} where the block ends");

    const escaped = renderSqlTemplate(F, "SELECT '\\{{#if x}}' {{#if y}} FROM t", VARS);
    expect(escaped.diagnostics.map(where)).toEqual(["BP0106@1:21"]);

    const mismatch = renderSqlTemplate(F, "SELECT {{#if a}} x {{#each b}} y\n{{/if}}", VARS);
    expect(mismatch.diagnostics.map(where)).toEqual(["BP0106@2:1"]);
    expect(mismatch.diagnostics[0]!.message).toBe("{{/if}} does not match the open block {{#each}}");
  });

  it("reports runtime template errors at the failing statement", () => {
    const r = renderSqlTemplate(F, `SELECT '{{var "nope"}}'\nFROM t {{> missing_partial}}`, VARS);
    expect(r.diagnostics.map(where)).toEqual(["BP0107@1:9", "BP0106@2:8"]);
    expect(r.diagnostics[1]!.message).toContain("missing_partial");
  });

  it("leaves text without mustaches untouched with an identity map", () => {
    const text = "-- ünïcødé 😀\nSELECT 'a{b}c' FROM t";
    const r = renderSqlTemplate(F, text, {});
    expect(r.sql).toBe(text);
    for (let i = 0; i <= text.length; i++) expect(r.toSourceOffset(i)).toBe(i);
  });
});
