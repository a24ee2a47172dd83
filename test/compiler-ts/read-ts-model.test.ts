import { describe, expect, it } from "vitest";
import { readTsModel, type TsModelSettings } from "../../compiler/ts/read-ts-model.js";
import { find, modelWith } from "./helpers.js";

const FULL = `import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";
export default model({
  description: "European transactions of January",
  inputs: {
    data: input("transactions", {
      columns: ["id", "usd", "country"],
      filter: "eventTime BETWEEN '2023-01-01' AND '2023-02-01'",
    }),
  },
  materialize: false,
  memory: "2GB",
  columns: { id: "BIGINT", usd: { type: "DOUBLE", description: "Amount in US dollars" }, country: "VARCHAR" },   // optional declared output schema
  packages: { "simple-statistics": "^7" },                          // optional
  run({ data }) { return tableFromArrays({ id: data.getChild("id")!.toArray() }); },
});
`;

function ok(text: string, file = "models/m.ts"): TsModelSettings {
  const r = readTsModel(file, text);
  expect(r.diagnostics).toEqual([]);
  expect(r.settings).not.toBeNull();
  return r.settings!;
}

describe("readTsModel: the full example", () => {
  it("extracts exactly the expected settings and locations", () => {
    const r = readTsModel("models/eu.ts", FULL);
    expect(r.diagnostics).toEqual([]);
    expect(r.settings).toEqual({
      description: "European transactions of January",
      inputs: [
        {
          param: "data",
          table: "transactions",
          columns: ["id", "usd", "country"],
          filter: "eventTime BETWEEN '2023-01-01' AND '2023-02-01'",
          at: { line: 6, column: 11 },
          tableAt: { line: 6, column: 17 },
          columnsAt: [
            { line: 7, column: 17 },
            { line: 7, column: 23 },
            { line: 7, column: 30 },
          ],
          filterAt: { line: 8, column: 16 },
          ref: null,
          refAt: null,
        },
      ],
      materialize: false,
      memoryMb: 2048,
      columns: [
        { name: "id", type: "BIGINT" },
        { name: "usd", type: "DOUBLE" },
        { name: "country", type: "VARCHAR" },
      ],
      columnDocs: [{ column: "usd", description: "Amount in US dollars", at: { line: 13, column: 33 } }],
      packages: { "simple-statistics": "^7" },
      codeIdentity: expect.stringMatching(/^[0-9a-f]{64}$/),
      at: { line: 3, column: 16 },
    });
  });

  it("points filterAt at the first character of the filter's content", () => {
    const s = ok(FULL);
    const line = FULL.split("\n")[s.inputs[0]!.filterAt!.line - 1]!;
    expect(line.slice(s.inputs[0]!.filterAt!.column - 1)).toMatch(/^eventTime BETWEEN/);
  });
});

describe("readTsModel: defaults and shapes", () => {
  it("applies defaults when optional settings are left out", () => {
    const s = ok(modelWith('  inputs: { data: input("t") },'));
    expect(s).toMatchObject({ description: null, materialize: false, memoryMb: 1024, columns: null, packages: {} });
    expect(s.inputs).toEqual([
      { param: "data", table: "t", columns: null, filter: null, at: { line: 3, column: 19 }, tableAt: { line: 3, column: 25 }, columnsAt: null, filterAt: null, ref: null, refAt: null },
    ]);
  });

  it("reads an input's lake ref and points refAt at the ref string (like tableAt)", () => {
    const s = ok(modelWith('  inputs: { data: input("t", { ref: "friday" }) },'));
    expect(s.inputs[0]).toMatchObject({ table: "t", ref: "friday", refAt: { line: 3, column: 37 } });
  });

  it("keeps inputs and declared columns in declaration order, including integer-like names", () => {
    const s = ok(
      modelWith(`  inputs: { zeta: input("z"), alpha: input("a", { filter: \`x > 1\` }) },
  columns: { b: "INT", "1": "INT", a: "VARCHAR" },
  materialize: true,
  memory: "512mb",`),
    );
    expect(s.inputs.map((i) => [i.param, i.table, i.filter])).toEqual([
      ["zeta", "z", null],
      ["alpha", "a", "x > 1"],
    ]);
    expect(s.columns!.map((c) => c.name)).toEqual(["b", "1", "a"]);
    expect(s.materialize).toBe(true);
    expect(s.memoryMb).toBe(512);
  });

  it("accepts aliased imports", () => {
    const text = `import { model as defineModel, input as from } from "bauplan-ts";
export default defineModel({ inputs: { data: from("orders", { columns: ["id"] }) }, run: ({ data }) => data });`;
    const s = ok(text);
    expect(s.at).toEqual(find(text, "defineModel({"));
    expect(s.inputs[0]).toMatchObject({ param: "data", table: "orders", columns: ["id"], at: find(text, "from(") });
  });

  it("accepts a namespace import", () => {
    const text = `import * as bp from "bauplan-ts";
export default bp.model({ inputs: { data: bp.input("orders") }, run: function ({ data }) { return data; } });`;
    const s = ok(text);
    expect(s.at).toEqual(find(text, "bp.model"));
    expect(s.inputs[0]!.at).toEqual(find(text, "bp.input"));
  });

  it("accepts `satisfies`, `as` and `as const`", () => {
    const sat = `import { model, input } from "bauplan-ts";
import type { Model } from "bauplan-ts";
export default model({ inputs: { d: input("t", { columns: ["a", "b"] as const }) }, run: ({ d }) => d }) satisfies Model<any>;`;
    expect(ok(sat).inputs[0]!.columns).toEqual(["a", "b"]);
    const as = `import { model, input } from "bauplan-ts";
export default (model({ inputs: { d: input("t") }, memory: ("1.5GiB"), run: ({ d }) => d }) as unknown);`;
    expect(ok(as).memoryMb).toBe(1536);
  });

  it("follows `const m = model(...); export default m;` and `export { m as default }`", () => {
    const viaConst = `import { model, input } from "bauplan-ts";
const m = model({ inputs: { d: input("t") }, run: ({ d }) => d });
export default m;`;
    expect(ok(viaConst).at).toEqual({ line: 2, column: 11 });
    const viaClause = `import { model, input } from "bauplan-ts";
const m = model({ inputs: { d: input("t") }, run: ({ d }) => d });
export { m as default };`;
    expect(ok(viaClause).inputs[0]!.table).toBe("t");
  });

  it("ignores comments and trailing commas", () => {
    const text = `import { model, input } from "bauplan-ts";
// a comment before
export default model({
  /* block comment */ description: /* inline */ "with comments", // trailing comment
  inputs: {
    data: input(
      // the table
      "transactions",
      { columns: ["id", /* c */ "usd",], },
    ),
  },
  packages: { "@scope/pkg": "1.2.3", lodash: "^4", },
  run({ data }) {
    return data; // fine
  },
});`;
    const s = ok(text);
    expect(s.description).toBe("with comments");
    expect(s.inputs[0]!.tableAt).toEqual(find(text, '"transactions"'));
    expect(s.inputs[0]!.columnsAt).toEqual([find(text, '"id"'), find(text, '"usd"')]);
    expect(s.packages).toEqual({ "@scope/pkg": "1.2.3", lodash: "^4" });
  });

  it("accepts every form of run: method, async method, function expression, arrow", () => {
    for (const run of ["run({ d }) { return d; }", "async run({ d }) { return d; }", "run: async function ({ d }) { return d; }", "run: async ({ d }) => d"]) {
      const text = `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { d: input("t") }, ${run} });`;
      expect(readTsModel("models/m.ts", text).diagnostics, run).toEqual([]);
    }
  });
});

describe("readTsModel: partialSettings, the valid part of settings that have errors", () => {
  it("an invalid memory does not hide the inputs, their columns and filter: memory takes its default", () => {
    const text = modelWith(
      '  inputs: { tx: input("transactions", { columns: ["id", "ammount"], filter: "usd > 0 ORDER BY id" }) },\n  memory: "a lot",\n  columns: { id: "BIGINT", score: "DOUBLE" },',
    );
    const r = readTsModel("models/scored.ts", text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["BP0204"]);
    expect(r.settings).toBeNull();
    expect(r.partialSettings).toMatchObject({
      memoryMb: 1024,
      columns: [
        { name: "id", type: "BIGINT" },
        { name: "score", type: "DOUBLE" },
      ],
    });
    expect(r.partialSettings!.inputs).toEqual([
      {
        param: "tx",
        table: "transactions",
        columns: ["id", "ammount"],
        filter: "usd > 0 ORDER BY id",
        at: find(text, "input("),
        tableAt: find(text, '"transactions"'),
        columnsAt: [find(text, '"id"'), find(text, '"ammount"')],
        filterAt: { ...find(text, '"usd'), column: find(text, '"usd').column + 1 },
        ref: null,
        refAt: null,
      },
    ]);
  });

  it("drops exactly what is invalid: a bad option, an input with a bad table, bad settings and unknown keys", () => {
    const text = modelWith(
      [
        '  inputs: { a: input("t1", { columns: ["id", "id"], filter: "x > 0" }), b: input(TABLE), c: input("t3", { colums: ["x"] }) },',
        "  materialize: 1,",
        '  description: "kept",',
        '  columns: { id: "BIGINT", ID: "DOUBLE" },',
        '  packages: { lodash: "^4" },',
        "  memory: MEMORY,",
        "  extra: true,",
      ].join("\n"),
    );
    const r = readTsModel("models/m.ts", text);
    expect(r.settings).toBeNull();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const s = r.partialSettings!;
    expect(s.inputs.map((i) => [i.param, i.table, i.columns, i.filter])).toEqual([
      ["a", "t1", null, "x > 0"],
      ["c", "t3", null, null],
    ]);
    expect(s).toMatchObject({ description: "kept", materialize: false, memoryMb: 1024, columns: null, packages: { lodash: "^4" } });
  });

  it("missing inputs and run: no inputs, still a model", () => {
    const r = readTsModel("models/m.ts", `import { model } from "bauplan-ts";\nexport default model({ memory: "2GB" });\n`);
    expect(r.settings).toBeNull();
    expect(r.partialSettings).toMatchObject({ inputs: [], memoryMb: 2048 });
  });

  it("is the settings themselves when there is no error, and null when there is no model to read", () => {
    const r = readTsModel("models/m.ts", modelWith('  inputs: { data: input("t") },'));
    expect(r.partialSettings).toBe(r.settings);
    expect(readTsModel("models/m.ts", "export default 1;\n").partialSettings).toBeNull();
    expect(readTsModel("models/m.ts", "export default model({;\n").partialSettings).toBeNull();
  });
});

describe("readTsModel never imports, transpiles or runs the file", () => {
  it("reads a model whose top level would throw and whose imports do not exist", () => {
    const text = `import { model, input } from "bauplan-ts";
import { magic } from "this-package-does-not-exist-anywhere";
import "./not-a-file-either.js";
(globalThis as any).__bpReadTsModelSideEffect = true;
throw new Error("top level ran");
export default model({ inputs: { d: input("t") }, run: ({ d }) => magic(d) });`;
    const s = ok(text);
    expect(s.inputs[0]!.table).toBe("t");
    expect((globalThis as Record<string, unknown>).__bpReadTsModelSideEffect).toBeUndefined();
  });

  it("does not evaluate run's body", () => {
    const text = modelWith('  inputs: { data: input("t") },').replace("return data;", "process.exit(3); return data;");
    expect(ok(text).inputs).toHaveLength(1);
  });
});
