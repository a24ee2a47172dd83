/**
 * A SQL model read by another is written through the output cache as Parquet and read back as a
 * view: every DuckDB type must come back as it was (HUGEINT beyond 2^64, ENUM, nested types,
 * DECIMAL(38,10), TIMESTAMPTZ, INTERVAL, BLOB, UUID), with the same values and row order, as when
 * it runs as an in-memory table (--no-cache) and as DuckDB computes it directly.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { runPlan } from "../../runtime/run-plan.js";
import { OutputCache } from "../../runtime/output-cache/store.js";
import { duckdbRows, importSql, writeProject } from "../helpers/temp-project.js";
import path from "node:path";

const TYPED = `SELECT
  n,
  (n::HUGEINT * 1000000000000000000000::HUGEINT) AS h,
  (['low', 'mid', 'high'])[n % 3 + 1]::ENUM('low', 'mid', 'high') AS e,
  {'a': n, 'b': 'x' || n} AS st,
  [n, n + 1] AS li,
  (n / 7)::DECIMAL(38,10) AS d,
  TIMESTAMPTZ '2024-03-01 10:00:00+00' + to_hours(n) AS tz,
  to_minutes(n) AS iv,
  ('\\x00\\x01' || n::VARCHAR)::BLOB AS bl,
  uuid_extract_version('6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID)::INTEGER AS uv,
  '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS u
FROM nums
ORDER BY n DESC
`;
const READER = `-- bp: materialize = true
SELECT row_number() OVER () AS pos, n, typeof(h) AS th, h::VARCHAR AS h, typeof(e) AS te, e::VARCHAR AS e, typeof(st) AS tst, st::VARCHAR AS st,
  typeof(li) AS tli, li::VARCHAR AS li, typeof(d) AS td, d::VARCHAR AS d, typeof(tz) AS ttz, tz::VARCHAR AS tz, typeof(iv) AS tiv, iv::VARCHAR AS iv,
  typeof(bl) AS tbl, bl::VARCHAR AS bl, typeof(u) AS tu, u::VARCHAR AS u
FROM typed
`;

let dir: string;
beforeAll(async () => {
  dir = writeProject({ "models/typed.sql": TYPED, "models/reader.sql": READER }, "write-through");
  await importSql(dir, "nums", "SELECT range::BIGINT AS n FROM range(50)");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readerRows(cache: boolean): Promise<Record<string, unknown>[]> {
  const { plan } = await compileProject({ projectDir: dir });
  const run = await runPlan(plan!, { projectDir: dir, cache: cache ? {} : false, threads: 1 });
  expect(run.nodes.filter((n) => n.status === "failed").map((n) => n.failure)).toEqual([]);
  return duckdbRows(`SELECT * FROM read_parquet('${path.join(dir, ".bp/lake")}/data/reader/*.parquet') ORDER BY pos`).then((rows) => rows.slice(-50));
}

it("keeps every type, value and the row order, like an in-memory table and like DuckDB", async () => {
  const through = await readerRows(true);
  const entries = new OutputCache(path.join(dir, ".bp", "cache", "outputs")).list();
  expect(entries.find((e) => e.meta.node === "model:typed")?.meta.format).toBe("parquet");
  rmSync(path.join(dir, ".bp/lake"), { recursive: true });
  await importSql(dir, "nums", "SELECT range::BIGINT AS n FROM range(50)");
  const inMemory = await readerRows(false);
  expect(through).toEqual(inMemory);
  const direct = await duckdbRows(
    `WITH nums AS (SELECT range::BIGINT AS n FROM range(50)), typed AS (${TYPED}) ${READER.replace("-- bp: materialize = true\n", "")} ORDER BY pos`,
  );
  expect(through).toEqual(direct);
  expect(through[0]).toMatchObject({ pos: "1", n: "49", th: "HUGEINT", te: "ENUM('low', 'mid', 'high')", tst: "STRUCT(a BIGINT, b VARCHAR)", td: "DECIMAL(38,10)", ttz: "TIMESTAMP WITH TIME ZONE", tiv: "INTERVAL", tbl: "BLOB", tu: "UUID" });
});
