/** RunOptions.preview: the first rows of each model that ran, from DuckDB or from a TS model's Arrow file. */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { runPlan } from "../../runtime/run-plan.js";
import { importSql, writeProject } from "../helpers/temp-project.js";

let dir: string;
beforeAll(async () => {
  dir = writeProject({
    "models/firsts.sql": "SELECT id, name, (id * 1.5)::DOUBLE AS x FROM people ORDER BY id",
    "models/shouted.ts": `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";
export default model({
  inputs: { p: input("firsts", { columns: ["id", "name"] }) },
  run({ p }) {
    const names = Array.from(p.getChild("name")!.toArray() as string[], (n) => String(n).toUpperCase());
    return tableFromArrays({ id: p.getChild("id")!.toArray() as BigInt64Array, loud: names });
  },
});
`,
  }, "preview");
  await importSql(dir, "people", "SELECT i::BIGINT AS id, 'name' || i AS name FROM range(10) t(i)");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("reports the first rows of a SQL model (from DuckDB) and of a TS leaf (from its Arrow file)", async () => {
  const { plan } = await compileProject({ projectDir: dir });
  const run = await runPlan(plan!, { projectDir: dir, preview: 3, cache: false });
  expect(run.ok).toBe(true);
  expect(run.nodes.find((n) => n.id === "model:firsts")!.preview).toEqual({
    columns: ["id", "name", "x"],
    rows: [
      [0, "name0", 0],
      [1, "name1", 1.5],
      [2, "name2", 3],
    ],
  });
  expect(run.nodes.find((n) => n.id === "model:shouted")!.preview).toEqual({
    columns: ["id", "loud"],
    rows: [
      [0, "NAME0"],
      [1, "NAME1"],
      [2, "NAME2"],
    ],
  });
  // without preview, nothing is read
  const plain = await runPlan(plan!, { projectDir: dir, cache: false });
  expect(plain.nodes.some((n) => n.preview !== undefined)).toBe(false);
});
