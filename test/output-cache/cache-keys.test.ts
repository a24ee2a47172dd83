/**
 * Cache keys in the plan: unchanged by edits that cannot change a table (comments, whitespace,
 * another model's reads of the same source), changed by every edit that can (SQL, a TS
 * input's filter, a var, a package version, a helper module, the source data), and passed on
 * downstream.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { importSql } from "../helpers/temp-project.js";
import { cacheProject, edit, ORDERS } from "./project.js";

let dir: string;
beforeAll(async () => {
  dir = await cacheProject();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keys(vars: Record<string, string | number> = {}): Promise<Record<string, string>> {
  const r = await compileProject({ projectDir: dir, vars });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return Object.fromEntries(r.plan!.nodes.map((n) => [n.id, n.cacheKey]));
}

/** Node ids whose key differs between two compiles. */
function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys({ ...a, ...b })
    .filter((id) => a[id] !== b[id])
    .sort();
}

const DOWNSTREAM_OF_BIG_ORDERS = [
  "materialize:by_client",
  "materialize:score_stats",
  "model:big_orders",
  "model:by_client",
  "model:score_stats",
  "model:scored",
  "model:top_clients",
];

describe("cache keys", () => {
  it("are 64-hex strings on every node and the same on a recompile", async () => {
    const a = await keys();
    expect(Object.values(a).every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(new Set(Object.values(a)).size).toBe(Object.keys(a).length);
    expect(await keys()).toEqual(a);
  });

  it("do not change when only comments, whitespace or line breaks of a SQL model change", async () => {
    const before = await keys();
    edit(dir, "models/big_orders.sql", (t) => `-- a new comment\n${t.replace("SELECT id, client, amount", "SELECT   id,\n       client,   /* inline */ amount")}\n\n-- trailing comment\n`);
    expect(changed(before, await keys())).toEqual([]);
  });

  it("change for a SQL edit that changes the query, and for everything downstream of it", async () => {
    const before = await keys();
    edit(dir, "models/big_orders.sql", (t) => t.replace("WHERE amount >", "WHERE amount + 0 >"));
    expect(changed(before, await keys())).toEqual(DOWNSTREAM_OF_BIG_ORDERS);
  });

  it("change for a var the SQL uses (only downstream of its model)", async () => {
    const before = await keys();
    expect(changed(before, await keys({ min_amount: 20 }))).toEqual(DOWNSTREAM_OF_BIG_ORDERS);
  });

  it("of a TS model do not change for comments, whitespace, a description or the memory limit; do for a code edit", async () => {
    const before = await keys();
    edit(dir, "models/scored.ts", (t) =>
      `/** scores */\n${t}`
        .replace("export default model({", "export default model({\n  description: \"orders scored\", // added\n  memory:   \"2GB\",")
        .replace('score: "DOUBLE"', 'score: { type: "DOUBLE", description: "twice the amount" }')
        .replace("amount.map((a) => a * 2)", "amount.map( (a) =>   a * 2 /* doubled */ )"),
    );
    const edited = await keys();
    expect(changed(before, edited)).toEqual([]);
    edit(dir, "models/scored.ts", (t) => t.replace("a * 2", "a * 3"));
    const code = await keys();
    expect(changed(edited, code)).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
    // whitespace inside a string literal is code
    edit(dir, "models/scored.ts", (t) => t.replace("export default", "const label = `x ${1}  y`;\nexport default"));
    const withLabel = await keys();
    edit(dir, "models/scored.ts", (t) => t.replace("`x ${1}  y`", "`x ${1} y`"));
    expect(changed(withLabel, await keys())).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
  });

  it("change for a TS input's filter", async () => {
    const before = await keys();
    edit(dir, "models/scored.ts", (t) => t.replace('filter: "amount < 500"', 'filter: "amount < 400"'));
    expect(changed(before, await keys())).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
  });

  it("change for a package version", async () => {
    const before = await keys();
    edit(dir, "models/scored.ts", (t) => t.replace("run({ orders })", 'packages: { "is-number": "7.0.0" },\n  run({ orders })'));
    const withPackage = await keys();
    expect(changed(before, withPackage)).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
    edit(dir, "models/scored.ts", (t) => t.replace('"is-number": "7.0.0"', '"is-number": "6.0.0"'));
    expect(changed(withPackage, await keys())).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
  });

  it("change for a helper module TS models may import", async () => {
    const before = await keys();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${dir}/models/_helpers.ts`, "export const factor = 2;\n");
    expect(changed(before, await keys())).toEqual(["materialize:score_stats", "model:score_stats", "model:scored"]);
  });

  it("of a model do not change when another model reads more columns of the same source (only the scan's key does)", async () => {
    const before = await keys();
    edit(dir, "models/countries.sql", (t) => t.replace("count(*) AS n", "count(*) AS n, max(note) AS last_note"));
    expect(changed(before, await keys())).toEqual(["model:countries", "scan:orders"]);
  });

  it("change for new source data, for every model reading it", async () => {
    const before = await keys();
    await importSql(dir, "orders", ORDERS(11));
    expect(changed(before, await keys())).toEqual([...DOWNSTREAM_OF_BIG_ORDERS, "model:countries", "scan:orders"].sort());
  });
});
