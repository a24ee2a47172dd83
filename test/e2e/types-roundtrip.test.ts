/**
 * Every common type, with NULLs, goes DuckDB -> Arrow (shared memory) -> a TS process -> Arrow ->
 * DuckDB -> Parquet in the lake, and comes back equal to what DuckDB generated, with the same types.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bp, importSql, runResultOf, writeProject } from "../helpers/temp-project.js";

const TYPED = `
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 200 - 100)::TINYINT END AS tiny,
  CASE WHEN i % 7 = 1 THEN NULL ELSE (i * 7 - 20000)::SMALLINT END AS small,
  CASE WHEN i % 7 = 2 THEN NULL ELSE (i * 100000 - 7)::INTEGER END AS int,
  CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 9007199254740 - 1)::BIGINT END AS big,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE AS dbl,
  CASE WHEN i % 5 = 1 THEN NULL ELSE (i * 1.25)::FLOAT END AS flt,
  CASE WHEN i % 6 = 0 THEN NULL ELSE (i * 12.345)::DECIMAL(10,3) END AS dec_small,
  CASE WHEN i % 6 = 1 THEN NULL ELSE (i * 123456789.123456)::DECIMAL(28,6) END AS dec_big,
  CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN '' WHEN i % 4 = 2 THEN 'short' ELSE 'a longer string, ünïcødé ✓ ' || i END AS str,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
  CASE WHEN i % 8 = 0 THEN NULL ELSE DATE '1969-12-25' + i::INTEGER END AS day,
  CASE WHEN i % 9 = 0 THEN NULL ELSE TIMESTAMP '2023-01-01 00:00:00.123456' + to_seconds(i * 3601) END AS ts
FROM range(5000) t(i)`;

let dir: string;
beforeAll(async () => {
  dir = writeProject(
    {
      "models/echo.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("typed") },
  materialize: true,
  run({ t }) { return t; },
});
`,
      "models/via_sql.sql": "-- bp: materialize = true\nSELECT * FROM echo\n",
    },
    "types",
  );
  await importSql(dir, "typed", TYPED);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("round-trips every type with NULLs through a TS process and back into the lake", async () => {
  const build = await bp(["build", "-p", dir, "--json"]);
  expect(build.code, build.stderr + build.stdout).toBe(0);
  const run = runResultOf<{ edges: { to: string; transport: string; readMode?: string }[] }>(build.stdout);
  // The TS process mapped its input from shared memory (zero-copy), it did not read it.
  expect(run.edges.find((e) => e.to === "model:echo")).toMatchObject({ transport: "duckdb-to-shm", readMode: "mmap" });

  const tables = JSON.parse((await bp(["tables", "--json", "-p", dir])).stdout) as { tables: { name: string; schema: unknown; rows: number }[] };
  const byName = Object.fromEntries(tables.tables.map((t) => [t.name, t]));
  expect(byName.echo!.schema).toEqual(byName.typed!.schema);
  expect(byName.via_sql!.schema).toEqual(byName.typed!.schema);
  expect(byName.echo!.rows).toBe(5000);

  for (const [a, b] of [["typed", "echo"], ["echo", "typed"], ["typed", "via_sql"], ["via_sql", "typed"]]) {
    const diff = await bp(["query", `SELECT count(*) AS n FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`, "--json", "-p", dir]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout)).toEqual([{ n: 0 }]);
  }
  const nulls = await bp(["query", "SELECT count(*) FILTER (WHERE str IS NULL) AS n, count(*) FILTER (WHERE str = '') AS e FROM echo", "--json", "-p", dir]);
  expect(JSON.parse(nulls.stdout)).toEqual([{ n: 1250, e: 1250 }]);
});

it("a HUGEINT (SUM of BIGINT) reaches a TS model as BIGINT with its exact values", async () => {
  const d = writeProject(
    {
      "models/sums.sql": "SELECT n % 3 AS k, SUM(n * 1000000000) AS total FROM nums GROUP BY ALL\n",
      "models/echo_sums.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { s: input("sums") },
  materialize: true,
  run({ s }) {
    console.log("total type", s.schema.fields[1].type.toString());
    return s;
  },
});
`,
    },
    "hugeint",
  );
  try {
    await importSql(d, "nums", "SELECT range AS n FROM range(100000)");
    const build = await bp(["build", "-p", d]);
    expect(build.code, build.stderr + build.stdout).toBe(0);
    expect(build.stdout).toMatch(/\[echo_sums\] total type Int64/);
    const q = await bp(["query", "SELECT k, total::VARCHAR AS total FROM echo_sums ORDER BY k", "--json", "-p", d]);
    const expected = [0, 1, 2].map((k) => {
      let t = 0n;
      for (let n = k; n < 100000; n += 3) t += BigInt(n) * 1000000000n;
      return { k, total: t.toString() };
    });
    expect(JSON.parse(q.stdout)).toEqual(expected);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
