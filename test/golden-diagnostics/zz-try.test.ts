import { it } from "vitest";
import { readFileSync } from "node:fs";
import { writeProject, importSql, bp } from "../helpers/temp-project.js";
const TX = "SELECT range AS id, range * 1.5 AS usd, 'DE' AS country, TIMESTAMP '2023-01-01' + to_days(range::INTEGER) AS eventTime FROM range(10)";
const projects = JSON.parse(readFileSync("/tmp/gd/projects.json", "utf8")) as Record<string, Record<string, string>>;
it("try", async () => {
  for (const [name, files] of Object.entries(projects)) {
    const dir = writeProject(files, "t");
    await importSql(dir, "transactions", TX);
    const r = await bp(["compile", "-p", dir]);
    console.log(`===== ${name} (exit ${r.code})\n${r.stderr.split(dir).join("<p>")}`);
  }
});
