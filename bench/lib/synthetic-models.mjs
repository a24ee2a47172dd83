// The synthetic project of the compile case: `count` SQL models over one source `src`
// (id, grp, val, ts), as chains of up to 10 models whose heads read the source, with joins and
// fans into earlier chains. Deterministic; every model has the same columns (id, grp, val, ts).

import path from "node:path";
import { writeParquet } from "./data.mjs";
import { importSource, writeProject } from "./project.mjs";

const name = (i) => `m${String(i).padStart(5, "0")}`;

/** [[modelName, sql]] in dependency order. */
export function syntheticModels(count) {
  const models = [];
  for (let i = 0; i < count; i++) {
    const pos = i % 10; // position in its chain
    const prev = name(i - 1);
    let sql;
    if (pos === 0) {
      sql = `SELECT id, grp, val, ts FROM src WHERE val > ${i % 7} AND grp <> 'g${i % 5}'`;
    } else if (pos % 4 === 1) {
      sql = `SELECT id, grp, val * 1.01 AS val, ts FROM ${prev} WHERE val > 1`;
    } else if (pos % 4 === 2) {
      sql = `SELECT id, grp, val, ts FROM ${prev}\nQUALIFY row_number() OVER (PARTITION BY grp ORDER BY ts DESC) <= 100`;
    } else if (pos % 4 === 3 && i >= 10) {
      // fan-in: a join with a model of an earlier chain (which thereby fans out)
      const other = name((i * 7919) % (i - pos));
      sql = `SELECT a.id, a.grp, a.val + coalesce(b.val, 0) AS val, a.ts\nFROM ${prev} a LEFT JOIN ${other} b USING (id)`;
    } else {
      sql = `WITH g AS (SELECT grp, avg(val) AS av FROM ${prev} GROUP BY grp)\nSELECT p.id, p.grp, p.val - g.av AS val, p.ts FROM ${prev} p JOIN g USING (grp)`;
    }
    models.push([name(i), sql]);
  }
  return models;
}

/**
 * Writes the synthetic project of `count` models into `dir` and imports its 1,000-row source `src`
 * (the Parquet file made in `tmp`). Returns the models.
 */
export async function writeSyntheticProject(dir, count, tmp) {
  const models = syntheticModels(count);
  writeProject(dir, "many_models", Object.fromEntries(models.map(([n, sql]) => [`models/${n}.sql`, `${sql}\n`])));
  const source = path.join(tmp, `${path.basename(dir)}-src.parquet`);
  await writeParquet(`SELECT i::BIGINT AS id, 'g' || (i % 5) AS grp, (i % 100)::DOUBLE AS val, TIMESTAMP '2023-01-01' + INTERVAL (i) MINUTE AS ts FROM range(1000) t(i)`, source);
  await importSource(dir, source, "src");
  return models;
}
