/** The compiler's small DuckDB client (compiler/sql/duckdb-client.ts) against @duckdb/node-api. */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBClient } from "../../compiler/sql/duckdb-client.js";

let client: DuckDBClient;
beforeAll(async () => {
  client = await DuckDBClient.open({ threads: "1" });
});
afterAll(() => client.close());

describe("DuckDBClient", () => {
  it("reads VARCHAR (inline and long), integers, BIGINT, BOOLEAN and NULL like @duckdb/node-api", async () => {
    const sql = `SELECT 'short' AS a, repeat('é', 40) AS b, 42 AS c, -7::TINYINT AS d, 300::SMALLINT AS e, 4000000000::UINTEGER AS f,
      9007199254740993::BIGINT AS g, 18446744073709551615::UBIGINT AS h, true AS i, NULL::VARCHAR AS j, ''::VARCHAR AS k, 'exactly12chr' AS l`;
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    const expected = (await conn.runAndReadAll(sql)).getRows();
    conn.closeSync();
    instance.closeSync();
    expect(await client.rows(sql)).toEqual(expected);
  });

  it("reads every chunk of a result, with NULLs in place", async () => {
    const rows = await client.rows("SELECT range AS i, CASE WHEN range % 3 = 0 THEN NULL ELSE 'v' || range END AS s FROM range(5000)");
    expect(rows).toHaveLength(5000);
    expect(rows[4998]).toEqual([4998n, null]);
    expect(rows[4999]).toEqual([4999n, "v4999"]);
    expect(rows[2500]).toEqual([2500n, "v2500"]);
  });

  it("binds VARCHAR parameters, runs scripts, and rejects with DuckDB's own message", async () => {
    expect(await client.rows("SELECT ? || ?", ["a'", "b\u0000c"])).toEqual([["a'b\u0000c"]]);
    await client.run("CREATE TABLE t (x INTEGER); CREATE TABLE u (y INTEGER)");
    expect(await client.rows("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('t', 'u')")).toEqual([[2n]]);
    await expect(client.rows("SELECT nope FROM t")).rejects.toThrow(/^Binder Error: Referenced column "nope" not found/);
    await expect(client.rows("SELECT DATE '2020-01-01'")).rejects.toThrow(/cannot read values of type DATE/);
  });

  it("opens more connections to the same database", async () => {
    const other = await client.connect();
    await client.run("CREATE TABLE shared (x INTEGER)");
    expect(await other.rows("SELECT count(*) FROM shared")).toEqual([[0n]]);
    other.close();
    expect(await client.rows("SELECT 1")).toEqual([[1]]);
  });
});
