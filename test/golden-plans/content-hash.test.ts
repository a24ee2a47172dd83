/** The plan's contentHash covers every file under models/, helper modules included. */
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = () => JSON.parse(readFileSync(path.join(dir, "target/plan.json"), "utf8")) as { project: { contentHash: string }; nodes: { id: string }[] };

it("changes when a helper that a model imports changes, and symlinked models are found", async () => {
  dir = writeProject({
    "models/_helpers.ts": "export const factor = 2;\n",
    "models/scaled.ts": `import { model, input } from "bauplan-ts";
import { factor } from "./_helpers.ts";
export default model({ inputs: { t: input("nums") }, run({ t }) { console.log(factor); return t; } });
`,
    "shared/total.sql": "SELECT count(*) AS n FROM nums\n",
  }, "hash");
  await importSql(dir, "nums", "SELECT range AS n FROM range(3)");
  symlinkSync(path.join(dir, "shared/total.sql"), path.join(dir, "models/total.sql"));
  expect((await bp(["compile", "-p", dir])).code).toBe(0);
  const first = plan();
  expect(first.nodes.map((n) => n.id)).toContain("model:total");
  writeFileSync(path.join(dir, "models/_helpers.ts"), "export const factor = 3;\n");
  expect((await bp(["compile", "-p", dir])).code).toBe(0);
  expect(plan().project.contentHash).not.toBe(first.project.contentHash);
});
