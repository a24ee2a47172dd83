// takeRows (the SDK's buffer-to-buffer row selection) checked against DuckDB: a multi-batch table
// of many types with NULLs goes DuckDB -> Arrow, rows are taken, the result goes back into DuckDB
// and must equal DuckDB's own selection of the same rows (same order, repeats included).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { Table, tableFromArrays, vectorFromArray, Utf8 } from "apache-arrow";
import { queryToArrowTable } from "../../runtime/arrow/duckdb-to-arrow.js";
import { arrowTableToDuckDB } from "../../runtime/arrow/arrow-to-duckdb.js";
import { takeRows } from "../../sdk/take-rows.js";

const SOURCE = `
SELECT i AS pos,
       i::BIGINT * 7 AS big,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 1000)::INTEGER END AS int_nulls,
       (i * 0.25)::DOUBLE AS dbl,
       (i % 3 = 0) AS flag,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'country-' || (i % 40) END AS short_text,
       CASE WHEN i % 11 = 0 THEN 'ünïcødé ' || repeat('x', 80 + i % 50) ELSE '' END AS long_text,
       DATE '2020-01-01' + (i % 900)::INTEGER AS day,
       TIMESTAMP '2023-01-01' + INTERVAL (i) SECOND AS ts,
       (i % 10000)::DECIMAL(12, 3) / 7 AS dec,
       NULL::INTEGER AS all_null
FROM range(150000) t(i)`;

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  conn = await instance.connect();
  await conn.run(`CREATE TABLE src AS ${SOURCE}`);
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

describe("takeRows", () => {
  it("equals DuckDB's selection of the same positions across batches, types and NULLs", async () => {
    const table = await queryToArrowTable(conn, "SELECT * FROM src ORDER BY pos");
    expect(table.batches.length).toBeGreaterThan(1);
    // ascending with gaps, then descending, then repeats across batch boundaries
    const picks: number[] = [];
    for (let i = 3; i < 150000; i += 97) picks.push(i);
    for (let i = 149999; i > 0; i -= 40013) picks.push(i);
    picks.push(65535, 65536, 65536, 0, 149999);
    const taken = takeRows(table, Uint32Array.from(picks));
    expect(taken.numRows).toBe(picks.length);
    expect(taken.schema.fields.map((f) => String(f.type))).toEqual(table.schema.fields.map((f) => String(f.type)));

    await arrowTableToDuckDB(conn, taken, "taken", { replace: true });
    await conn.run(`CREATE OR REPLACE TABLE picks AS SELECT * FROM unnest([${picks.join(",")}]) WITH ORDINALITY AS p(pos, k)`);
    const expected = await rows(`SELECT src.* FROM picks JOIN src USING (pos) ORDER BY k`);
    const actual = await rows(`SELECT * FROM taken`);
    expect(actual).toEqual(expected);
  });

  it("gives an empty table for no positions and refuses positions outside the table", async () => {
    const table = await queryToArrowTable(conn, "SELECT pos, short_text FROM src LIMIT 10");
    expect(takeRows(table, []).numRows).toBe(0);
    expect(() => takeRows(table, [10])).toThrow(/position 10 \(at index 0\) is not a row of a 10-row table/);
    expect(() => takeRows(table, [1.5])).toThrow(/position 1.5/);
  });

  it("keeps a dictionary column (vectorFromArray of strings) when its batches share the dictionary", () => {
    const table = new Table({ s: vectorFromArray(["a", "b", null, "a"]), n: vectorFromArray(Float64Array.from([1, 2, 3, 4])) });
    const taken = takeRows(table, [3, 2, 1]);
    expect(taken.toArray().map((r) => r.toJSON())).toEqual([{ s: "a", n: 4 }, { s: null, n: 3 }, { s: "b", n: 2 }]);
    const plain = tableFromArrays({ s: vectorFromArray(["x", "yy"], new Utf8()) });
    expect(takeRows(plain, [1, 1, 0]).getChild("s")!.toArray()).toEqual(["yy", "yy", "x"]);
  });
});
