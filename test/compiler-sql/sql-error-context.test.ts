import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offsetFromErrorContext } from "../../compiler/sql/sql-error-context.js";
import { ScratchCatalog } from "../../compiler/sql/index.js";
import { addFixtureTables } from "./fixtures.js";

let scratch: ScratchCatalog;
beforeAll(async () => {
  scratch = await ScratchCatalog.open();
  await addFixtureTables(scratch);
});
afterAll(() => scratch?.close());

/** The message DuckDB throws for `query` (which must fail). */
async function thrownBy(query: string): Promise<string> {
  try {
    await scratch.conn.run(query);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${query} to fail`);
}

const longSelect = (n: number) => Array.from({ length: n }, (_, i) => `amount + ${i} AS c${i}`).join(", ");

/** [name, failing query, the text the error must point at] */
const CASES: [string, string, string][] = [
  ["single line", "SELECT zz FROM orders", "zz FROM"],
  ["line 5 of a multi-line query", "SELECT\n  id,\n  status,\n  amount,\n      bogus_col AS b\nFROM orders", "bogus_col"],
  ["far into a long line (cut at the start)", `SELECT ${longSelect(40)}, zz_far FROM orders`, "zz_far"],
  ["middle of a long line (cut on both sides)", `SELECT ${longSelect(20)}, zz_mid, ${longSelect(20)} FROM orders`, "zz_mid"],
  ["after non-ASCII text on the same line", "SELECT 'ééé ü' AS x, 'ß' AS y, zz_accent FROM orders", "zz_accent"],
  ["after wide characters on the same line", "SELECT '漢字漢字' AS x, zz_wide FROM orders", "zz_wide"],
  ["after wide characters on a long line", `SELECT '漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字' AS x, ${longSelect(3)}, zz_wide_long FROM orders`, "zz_wide_long"],
  ["in a CRLF file", "SELECT id,\r\n  zz_crlf\r\nFROM orders", "zz_crlf"],
  ["a missing table on line 3", "SELECT 1\nFROM orders o\nJOIN nope_table n ON true", "nope_table"],
  ["a qualified column", "SELECT o.id, o.statuz FROM orders o", "o.statuz"],
];

describe("offsetFromErrorContext", () => {
  it.each(CASES)("%s", async (_name, query, target) => {
    const message = await thrownBy(query);
    expect(message).toMatch(/\nLINE \d+: /);
    expect(offsetFromErrorContext(message, query)).toBe(query.indexOf(target));
  });

  it("works through a prefix added before the query (DESCRIBE)", async () => {
    const query = "DESCRIBE\nSELECT id,\n  zz_desc\nFROM orders";
    expect(offsetFromErrorContext(await thrownBy(query), query)).toBe(query.indexOf("zz_desc"));
  });

  it("gives undefined when the message has no context", () => {
    expect(offsetFromErrorContext("Binder Error: column k must appear in the GROUP BY clause", "SELECT k FROM t")).toBeUndefined();
  });
});
