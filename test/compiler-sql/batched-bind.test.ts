/**
 * Models are bound level by level in batches (bind-schemas.ts). These tests compile the same
 * projects with `bindSequentially` (one model at a time, in topological order: the reference) and
 * compare: same plan, same diagnostics, byte for byte. The projects mix every way a batch can go
 * wrong: binding errors, a hidden read of a model bound later in the order, duplicate output
 * columns, TS models in the middle of chains, pushdown into sources, trailing `;` and comments.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject, type CompileResult } from "../../compiler/compile-project.js";
import { topologicalOrder } from "../../compiler/graph.js";
import { importSql, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SRC = "SELECT range::BIGINT AS id, 'g' || (range % 5) AS grp, (range % 100)::DOUBLE AS val, TIMESTAMP '2023-01-01' + to_minutes(range::BIGINT) AS ts FROM range(50)";
const OTHER = "SELECT range::INTEGER AS k, 'v' || range AS v FROM range(10)";

/** Chains of models over `src`, with joins into earlier chains and CTEs: several levels deep. */
function chainModels(count: number): Record<string, string> {
  const name = (i: number) => `m${String(i).padStart(3, "0")}`;
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const pos = i % 6;
    const prev = name(i - 1);
    let sql: string;
    if (pos === 0) sql = `SELECT id, grp, val, ts FROM src WHERE val > ${i % 7} AND grp <> 'g${i % 5}'`;
    else if (pos === 1) sql = `SELECT id, grp, val * 1.01 AS val, ts FROM ${prev} WHERE val > 1;\n-- trailing comment`;
    else if (pos === 2) sql = `SELECT id, grp, val, ts FROM ${prev}\nQUALIFY row_number() OVER (PARTITION BY grp ORDER BY ts DESC) <= 100`;
    else if (pos === 3 && i >= 6) sql = `SELECT a.id, a.grp, a.val + coalesce(b.val, 0) AS val, a.ts\nFROM ${prev} a LEFT JOIN ${name((i * 7) % (i - pos))} b USING (id)`;
    else sql = `WITH g AS (SELECT grp, avg(val) AS av FROM ${prev} GROUP BY grp)\nSELECT p.id, p.grp, p.val - g.av AS val, p.ts FROM ${prev} p JOIN g USING (grp) /* end */`;
    files[`models/${name(i)}.sql`] = `${sql}\n`;
  }
  return files;
}

async function project(files: Record<string, string>, name: string): Promise<string> {
  const dir = writeProject(files, name);
  temps.push(dir);
  await importSql(dir, "src", SRC);
  await importSql(dir, "other", OTHER);
  return dir;
}

async function bothWays(dir: string): Promise<{ batched: CompileResult; sequential: CompileResult }> {
  const batched = await compileProject({ projectDir: dir });
  const sequential = await compileProject({ projectDir: dir, bindSequentially: true });
  return { batched, sequential };
}

describe("binding in batches", () => {
  it("gives the plan of binding one model at a time (many levels, joins, pushdown, TS models)", async () => {
    const dir = await project(
      {
        ...chainModels(40),
        "models/with_other.sql": "SELECT m000.id, other.v FROM m000 JOIN other ON m000.id = other.k WHERE other.k > 2 AND other.v <> 'v9'\n",
        "models/scored.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { m: input("m001", { columns: ["id", "val"], filter: "val > 5" }) },
  columns: { id: "BIGINT", score: "DOUBLE" },
  run({ m }) { return m; },
});
`,
        "models/after_ts.sql": "SELECT id, score FROM scored WHERE score > 1;\n",
        "models/untyped.ts": `import { model, input } from "bauplan-ts";
export default model({ inputs: { s: input("src") }, run({ s }) { return s; } });
`,
        "models/after_untyped.sql": "SELECT * FROM untyped\n",
        "models/literal.sql": "SELECT 1 AS one; -- no input at all\n",
      },
      "batch-clean",
    );
    const { batched, sequential } = await bothWays(dir);
    expect(batched.diagnostics).toEqual([]);
    expect(batched.plan).not.toBeNull();
    expect(JSON.stringify(batched.plan)).toBe(JSON.stringify(sequential.plan));
  });

  it("reports exactly the diagnostics of binding one model at a time, errors in some models", async () => {
    const dir = await project(
      {
        ...chainModels(24),
        "models/bad_col.sql": "SELECT id, nope FROM m000\n",
        "models/after_bad.sql": "SELECT * FROM bad_col\n",
        "models/bad_type.sql": "SELECT id + DATE '2020-01-01' AS z FROM m001\n",
        "models/dupe.sql": "SELECT id, val AS ID FROM m002\n",
        // Read through query_table(): m005 is bound before this model in the order, but a level later.
        "models/p_hidden.sql": "SELECT count(*) AS n FROM query_table('m005')\n",
        "models/p_hidden_typo.sql": "SELECT count(*) AS n FROM query_table('m0005')\n",
        "models/ambiguous.sql": "SELECT id FROM m003 JOIN m004 USING (grp)\n",
        "models/grouping.sql": "SELECT grp, val FROM m006 GROUP BY grp\n",
        "models/ok_after_errors.sql": "SELECT id FROM m007 WHERE val > 0\n",
        "models/ts_bad.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { m: input("m001", { columns: ["nope"], filter: "val >" }) },
  columns: { id: "BIGINT" },
  run({ m }) { return m; },
});
`,
        "models/after_ts_bad.sql": "SELECT * FROM ts_bad\n",
        "models/not_select.sql": "SELECT 1 AS a; SELECT 2 AS b\n",
        "models/unknown.sql": "SELECT * FROM m0O1\n",
      },
      "batch-errors",
    );
    const { batched, sequential } = await bothWays(dir);
    expect(batched.plan).toBeNull();
    expect(JSON.stringify(batched.diagnostics, null, 2)).toBe(JSON.stringify(sequential.diagnostics, null, 2));
    const codes = (file: string) => batched.diagnostics.filter((d) => d.file === `models/${file}`).map((d) => d.code);
    expect(codes("bad_col.sql")).toEqual(["BP0104"]);
    expect(codes("after_bad.sql")).toEqual([]);
    expect(codes("dupe.sql")).toEqual(["BP0105"]);
    expect(codes("p_hidden.sql")).toEqual(["BP0105"]);
    expect(batched.diagnostics.find((d) => d.file === "models/p_hidden.sql")!.message).toContain('"m005"');
    expect(codes("p_hidden_typo.sql")).toEqual(["BP0102"]);
    expect(codes("ok_after_errors.sql")).toEqual([]);
    expect(codes("ts_bad.ts").length).toBeGreaterThan(0);
  });
});

describe("the topological order", () => {
  /** The first implementation: sorts the ready list before every pick. */
  function reference(ids: string[], deps: Map<string, string[]>): string[] | null {
    const all = [...new Set(ids)].sort();
    const pending = new Map(all.map((id) => [id, new Set((deps.get(id) ?? []).filter((d) => all.includes(d))).size] as const));
    const ready = all.filter((id) => pending.get(id) === 0);
    const order: string[] = [];
    while (ready.length > 0) {
      ready.sort();
      const id = ready.shift()!;
      order.push(id);
      for (const next of all) {
        if (!new Set(deps.get(next) ?? []).has(id)) continue;
        pending.set(next, pending.get(next)! - 1);
        if (pending.get(next) === 0) ready.push(next);
      }
    }
    return order.length === all.length ? order : null;
  }

  it("picks the smallest ready id first (a heap, same order as sorting every time)", () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(random() * 40);
      const ids = Array.from({ length: n }, () => `${["a", "B", "_", "é", "m0", "m00"][Math.floor(random() * 6)]}${Math.floor(random() * 50)}`);
      const deps = new Map<string, string[]>();
      // Mostly acyclic (edges to earlier ids), sometimes not.
      ids.forEach((id, i) => deps.set(id, Array.from({ length: Math.floor(random() * 3) }, () => ids[Math.floor(random() * (random() < 0.95 ? Math.max(i, 1) : n))]!)));
      expect(topologicalOrder(ids, deps)).toEqual(reference(ids, deps));
    }
  });
});
