// Writes data/transactions.parquet: deterministic synthetic transactions (default 1,000,000 rows).
// Usage: node generate-data.mjs [rows] [output folder, default ./data beside this script]
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = path.resolve(process.argv[3] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "data"));
mkdirSync(dir, { recursive: true });
const file = path.join(dir, "transactions.parquet");
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
await conn.run(`
COPY (
  SELECT
    i::BIGINT AS id,
    TIMESTAMP '2022-12-01' + to_microseconds((hash(i, 'time') % 7776000000000)::BIGINT) AS eventTime,
    round(((hash(i, 'usd') % 100000) / 100.0 + 1)::DOUBLE, 2) AS usd,
    (['DE','FR','IT','ES','NL','PT','IE','AT','BE','PL','SE','US','CA','BR','JP','IN','AU','MX'])[(hash(i, 'country') % 18)::INTEGER + 1] AS country,
    (hash(i, 'client') % 20000)::BIGINT AS client_id,
    (['electronics','books','grocery','fashion','toys'])[(hash(i, 'cat') % 5)::INTEGER + 1] AS category
  FROM range(${rows}) t(i)
) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
conn.closeSync();
db.closeSync();
console.log(`wrote ${rows.toLocaleString("en-US")} rows to ${path.relative(process.cwd(), file)}`);
