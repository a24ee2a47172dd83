import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { IncrementalCompiler } from "../../compiler/incremental-compiler.js";
import { importSql, writeProject } from "../helpers/temp-project.js";
import { removeFile, writeFile, writeWatchProject } from "../helpers/watch-project.js";

/** The plan and diagnostics of a fresh compileProject of the folder as it is now. */
async function fresh(dir: string, branch?: string) {
  const r = await compileProject({ projectDir: dir, ...(branch ? { branch } : {}) });
  return { plan: r.plan, diagnostics: r.diagnostics };
}

describe("IncrementalCompiler", () => {
  let dir: string;
  let compiler: IncrementalCompiler;
  beforeAll(async () => {
    dir = await writeWatchProject("incremental");
    compiler = new IncrementalCompiler({ projectDir: dir });
  });
  afterAll(async () => {
    await compiler.close();
  });

  const step = async (edit: () => void, expectRead: string[]) => {
    edit();
    const r = await compiler.compile();
    expect({ plan: r.plan, diagnostics: r.diagnostics }).toEqual(await fresh(dir));
    expect([...r.stats.filesRead].sort()).toEqual(expectRead.sort());
    return r;
  };

  it("compiles every file first, then only what changed, with the plan a fresh compile gives after each edit", async () => {
    const first = await compiler.compile();
    expect(first.plan).not.toBeNull();
    expect(first.stats.filesRead).toHaveLength(6);
    expect({ plan: first.plan, diagnostics: first.diagnostics }).toEqual(await fresh(dir));

    // Nothing changed: nothing read or bound again.
    const same = await step(() => {}, []);
    expect(same.stats.bindsReused).toBe(6);
    // A leaf changed: only it is read and bound again.
    const leaf = await step(() => writeFile(dir, "models/score_summary.sql", "SELECT count(*) AS customers, min(score) AS worst FROM scored\n"), ["models/score_summary.sql"]);
    expect(leaf.stats.bindsReused).toBe(5);
    // Change a column of an upstream model: only its file is read; downstream schemas follow.
    const upstream = await step(() => writeFile(dir, "models/base.sql", "SELECT id, customer, amount, amount * 2 AS doubled FROM orders\n"), ["models/base.sql"]);
    // base's schema changed: its readers are bound again (by_customer's output is the same, so scored and below are not).
    expect(upstream.stats.bindsReused).toBe(3);
    await step(() => writeFile(dir, "models/big_orders.sql", "SELECT id, doubled FROM base WHERE amount > 50\n"), ["models/big_orders.sql"]);
    // Add a model reading another.
    const added = await step(() => writeFile(dir, "models/new_leaf.sql", "SELECT customer FROM top_customers\n"), ["models/new_leaf.sql"]);
    expect(added.plan!.nodes.map((n) => n.id)).toContain("model:new_leaf");
    // Delete a model: its reader now fails (BP0102), as in a fresh compile.
    const broken = await step(() => removeFile(dir, "models/top_customers.sql"), []);
    expect(broken.plan).toBeNull();
    expect(broken.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual(["models/new_leaf.sql:1:22 BP0102"]);
    // Delete the reader too: compiles again.
    const fixed = await step(() => removeFile(dir, "models/new_leaf.sql"), []);
    expect(fixed.plan!.nodes.map((n) => n.id)).not.toContain("model:top_customers");
    // A TS model's columns change.
    await step(
      () => writeFile(dir, "models/scored.ts", readFileSync(`${dir}/models/scored.ts`, "utf8").replace('score: "DOUBLE"', 'score: "FLOAT"')),
      ["models/scored.ts"],
    );
    // A syntax error, then its fix.
    const bad = await step(() => writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) AS total, count(*) AS n FROM base GROUP BY\n"), ["models/by_customer.sql"]);
    expect(bad.diagnostics.some((d) => d.code === "BP0101" && d.file === "models/by_customer.sql")).toBe(true);
    await step(() => writeFile(dir, "models/by_customer.sql", "SELECT customer, sum(amount) AS total, count(*) AS n FROM base GROUP BY customer\n"), ["models/by_customer.sql"]);
    // A var used by a template: bp_project.yml changes, SQL models are read again (vars are part of their key).
    await step(() => {
      writeFile(dir, "bp_project.yml", "name: incremental\nvars:\n  min_amount: 10\n");
      writeFile(dir, "models/big_orders.sql", "SELECT id, doubled FROM base WHERE amount > {{ min_amount }}\n");
    }, ["models/base.sql", "models/big_orders.sql", "models/by_customer.sql", "models/score_summary.sql"]);
  });

  it("compiles for another branch with the same readings", async () => {
    compiler.setBranch("main");
    const r = await compiler.compile();
    expect(r.stats.filesRead).toEqual([]);
    expect({ plan: r.plan, diagnostics: r.diagnostics }).toEqual(await fresh(dir, "main"));
  });
});

describe("IncrementalCompiler on a generated 60-model project", () => {
  it("gives a fresh compile's plan after each of a series of edits", async () => {
    const { syntheticModels } = (await import("../../bench/lib/synthetic-models.mjs")) as { syntheticModels: (n: number) => [string, string][] };
    const models = syntheticModels(60);
    const dir = writeProject(Object.fromEntries(models.map(([n, sql]) => [`models/${n}.sql`, `${sql}\n`])), "incremental-many");
    await importSql(dir, "src", "SELECT i::BIGINT AS id, 'g' || (i % 5) AS grp, (i % 100)::DOUBLE AS val, TIMESTAMP '2023-01-01' + INTERVAL (i) MINUTE AS ts FROM range(100) t(i)");
    const compiler = new IncrementalCompiler({ projectDir: dir });
    try {
      const check = async () => {
        const r = await compiler.compile();
        expect({ plan: r.plan, diagnostics: r.diagnostics }).toEqual(await fresh(dir));
        return r;
      };
      expect((await check()).plan).not.toBeNull();
      // A chain head gains a column and changes a type: everything downstream sees new schemas.
      writeFile(dir, "models/m00010.sql", "SELECT id, grp, val::FLOAT AS val, ts, id % 3 AS extra FROM src WHERE val > 3\n");
      await check();
      // A model in the middle of a chain is deleted (its readers report BP0102), then comes back.
      const text = models.find(([n]) => n === "m00025")![1];
      removeFile(dir, "models/m00025.sql");
      expect((await check()).plan).toBeNull();
      writeFile(dir, "models/m00025.sql", `${text}\n`);
      expect((await check()).stats.bindsReused).toBeGreaterThan(0);
      // A new model reading two others, and a type error in another.
      writeFile(dir, "models/zz_join.sql", "SELECT a.id, a.val + b.val AS v FROM m00033 a JOIN m00047 b USING (id)\n");
      writeFile(dir, "models/m00050.sql", "SELECT id, grp, vall AS val, ts FROM src\n");
      expect((await check()).plan).toBeNull();
      writeFile(dir, "models/m00050.sql", "SELECT id, grp, val + 1 AS val, ts FROM src\n");
      const last = await check();
      expect(last.plan).not.toBeNull();
      expect(last.stats.filesRead).toEqual(["models/m00050.sql"]);
    } finally {
      await compiler.close();
    }
  });
});
