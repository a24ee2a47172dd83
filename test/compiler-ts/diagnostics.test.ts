import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, type Diagnostic } from "../../compiler/diagnostics.js";
import { readTsModel } from "../../compiler/ts/read-ts-model.js";
import { find, modelWith, where, whereOf } from "./helpers.js";

const FILE = "models/m.ts";

function errors(text: string): Diagnostic[] {
  const r = readTsModel(FILE, text);
  expect(r.settings).toBeNull();
  for (const d of r.diagnostics) {
    expect(d.code in DIAGNOSTIC_CODES).toBe(true);
    expect(d.file).toBe(FILE);
  }
  return r.diagnostics;
}

/** Exactly one diagnostic, with this code, at the first occurrence of `needle`. */
function only(text: string, code: string, needle: string, nth = 0): Diagnostic {
  const ds = errors(text);
  expect(ds.map(where)).toEqual([whereOf(code, find(text, needle, nth))]);
  return ds[0]!;
}

describe("BP0201 ts-syntax-error", () => {
  it("reports the parser's errors at their location and nothing else", () => {
    const text = `import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("t") },
  run({ data }) { return data; },
};`;
    const ds = errors(text);
    expect(ds.map(where)).toEqual(["BP0201@5:2"]);
    expect(ds[0]!.message).toContain("')' expected");
    expect(ds[0]!.hint).toBe('a ")" is missing: every "(" needs its ")" (check the brackets before this point)');
  });

  it("a missing comma at the end of a line: the hint names that line", () => {
    const text = modelWith('  inputs: { data: input("t") },\n  materialize: true');
    const ds = errors(text);
    expect(ds.map(where)).toEqual([whereOf("BP0201", find(text, "run("))]);
    expect(ds[0]!.message).toBe("',' expected. (TS1005)");
    expect(ds[0]!.hint).toBe(`add "," at the end of line ${find(text, "materialize").line}`);
    const sameLine = errors(modelWith('  inputs: { data: input("t" "u") },'));
    expect(sameLine[0]!.hint).toBe('add "," just before the caret');
  });

  it("reports an unterminated string at its location", () => {
    const text = modelWith('  inputs: { data: input("t) },');
    const ds = errors(text);
    expect(ds.every((d) => d.code === "BP0201")).toBe(true);
    // TypeScript places it where the line ends without the closing quote.
    expect(where(ds[0]!)).toBe(whereOf("BP0201", { line: 3, column: '  inputs: { data: input("t) },'.length + 1 }));
    expect(ds[0]!.message).toBe("Unterminated string literal. (TS1002)");
    expect(ds[0]!.hint).toMatch(/^close the string/);
  });
});

describe("BP0202 ts-missing-model", () => {
  it("no default export at all: file-level, with the expected shape as hint", () => {
    const ds = errors(`import { model } from "bauplan-ts";\nexport const x = 1;\n`);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: "BP0202", file: FILE });
    expect(ds[0]!.line).toBeUndefined();
    expect(ds[0]!.hint).toContain('export default model({ inputs: { data: input("table") }');
    expect(ds[0]!.hint).toContain('import { model, input } from "bauplan-ts"');
  });

  it("a model(...) call that is not exported is pointed at, with one hint that says how to export it", () => {
    const text = `import { model, input } from "bauplan-ts";\nconst m = model({ inputs: { d: input("t") }, run: ({ d }) => d });\n`;
    const d = only(text, "BP0202", "model({");
    expect(d.hint).toBe("make it the default export: write `export default model({ ... })` instead of `const m = model({ ... })`, or add `export default m;`");
    const named = `import { model, input } from "bauplan-ts";\nexport const scored = model({ inputs: { d: input("t") }, run: ({ d }) => d });\n`;
    expect(only(named, "BP0202", "model({").hint).toBe(
      "make it the default export: write `export default model({ ... })` instead of `export const scored = model({ ... })`, or add `export default scored;`",
    );
    const bare = `import { model, input } from "bauplan-ts";\nmodel({ inputs: { d: input("t") }, run: ({ d }) => d });\n`;
    expect(only(bare, "BP0202", "model({").hint).toBe("make it the default export: write `export default model({ ... })`");
  });

  it("a default export that is not a model(...) call", () => {
    only(`import { model } from "bauplan-ts";\nexport default { inputs: {}, run() {} };\n`, "BP0202", "{ inputs");
    only(`export default function run() { return 1; }\n`, "BP0202", "export default");
  });

  it("`model` that is not imported from bauplan-ts", () => {
    const text = `import { model, input } from "bauplan";\nexport default model({ inputs: { d: input("t") }, run: ({ d }) => d });\n`;
    const d = only(text, "BP0202", "model({");
    expect(d.message).toContain("bauplan-ts");
  });
});

describe("BP0203 ts-non-literal-setting", () => {
  const cases: [string, string, string, RegExp][] = [
    ["a variable", '  description: DESC,\n  inputs: { data: input("t") },', "DESC,", /`description` must be a literal, not the variable `DESC`/],
    ["a function call", '  inputs: { data: input("t", { columns: pickColumns() }) },', "pickColumns()", /`inputs\.data\.columns` must be a literal, not a call to `pickColumns\(\.\.\.\)`/],
    ["a template with ${}", '  inputs: { data: input(`tx_${year}`) },', "`tx_", /`inputs\.data\.table` must be a literal, not a template literal/],
    ["a spread in an array", '  inputs: { data: input("t", { columns: ["id", ...more] }) },', "...more", /`inputs\.data\.columns\[1\]` must be a literal, not a spread/],
    ["a spread in an object", '  inputs: { data: input("t") },\n  packages: { ...shared },', "...shared", /packages cannot use a spread `\.\.\.shared`/],
    ["a computed key", '  inputs: { data: input("t") },\n  columns: { [ID]: "BIGINT" },', "[ID]", /columns cannot use a computed key `\[ID\]`/],
    ["a shorthand property", '  inputs: { data: input("t") },\n  memory,', "memory,", /`memory` must be a literal, not the variable `memory`/],
    ["an arithmetic expression", '  inputs: { data: input("t") },\n  description: "a" + "b",', '"a" + "b"', /not the expression `"a" \+ "b"`/],
    ["undefined", '  inputs: { data: input("t") },\n  description: undefined,', "undefined", /not `undefined`/],
    ["an empty array slot", '  inputs: { data: input("t", { columns: ["a", , "b"] }) },', ', "b"', /`inputs\.data\.columns\[1\]` must be a literal, not an empty array slot/],
    ["a property access", '  inputs: { data: input(config.table) },', "config.table", /not the expression `config\.table`/],
  ];
  for (const [name, settings, needle, message] of cases) {
    it(`rejects ${name} at its exact location, saying what is allowed`, () => {
      const text = modelWith(settings);
      const d = only(text, "BP0203", needle);
      expect(d.message).toMatch(message);
      expect(d.hint).toMatch(/strings, numbers, booleans, arrays, object literals and input/);
    });
  }

  it("rejects input() that is not imported from bauplan-ts", () => {
    const text = modelWith('  inputs: { data: input("t") },', 'import { model } from "bauplan-ts";\n');
    const d = only(text, "BP0203", "input(");
    expect(d.hint).toContain('import { model, input } from "bauplan-ts"');
  });

  it("rejects settings passed as a variable", () => {
    const text = `import { model } from "bauplan-ts";\nconst spec = { inputs: {}, run() {} };\nexport default model(spec);\n`;
    only(text, "BP0203", "spec)");
  });

  it("a top-level spread does not also report the settings it may provide as missing", () => {
    const text = `import { model } from "bauplan-ts";\nexport default model({ ...base, run() { return []; } });\n`;
    only(text, "BP0203", "...base");
  });

  it("reports every non-literal in one pass", () => {
    const text = modelWith('  description: D,\n  inputs: { a: input(T), b: input("t", { filter: F }) },\n  memory: M,');
    expect(errors(text).map(where)).toEqual(["D,", "T)", "F }", "M,"].map((n) => whereOf("BP0203", find(text, n))));
  });
});

describe("BP0204 ts-bad-setting", () => {
  it("unknown setting, with did-you-mean and the allowed keys", () => {
    const text = modelWith('  inputs: { data: input("t") },\n  materialise: true,');
    const d = only(text, "BP0204", "materialise");
    expect(d.message).toBe("unknown setting `materialise` (did you mean `materialize`?)");
    expect(d.hint).toBe("allowed: description, inputs, materialize, memory, columns, packages, run");
  });

  it("unknown input option, with did-you-mean", () => {
    const text = modelWith('  inputs: { data: input("t", { colums: ["a"] }) },');
    expect(only(text, "BP0204", "colums").message).toBe("unknown input option `colums` (did you mean `columns`?)");
  });

  it("wrong types are placed on the value", () => {
    const text = modelWith('  inputs: { data: input("t") },\n  materialize: "yes",\n  description: 42,');
    expect(errors(text).map((d) => `${where(d)} ${d.message}`)).toEqual([
      `${whereOf("BP0204", find(text, '"yes"'))} materialize must be true or false, got a string`,
      `${whereOf("BP0204", find(text, "42"))} description must be a string, got a number`,
    ]);
  });

  it("a bad memory format: a short message, and a hint listing the allowed formats", () => {
    for (const memory of ['"2 gigs"', '"2TB"', '"0MB"', '"GB"', "2048"]) {
      const text = modelWith(`  inputs: { data: input("t") },\n  memory: ${memory},`);
      const d = only(text, "BP0204", memory);
      expect(d.message).not.toContain("512MB");
      expect(d.hint).toBe(
        'write a number and a unit MB, MiB, GB or GiB (case-insensitive; MB = MiB, GB = GiB), at least 1MB, such as "512MB", "2GB", "1.5GiB", "2048MiB"',
      );
    }
    expect(only(modelWith('  inputs: { data: input("t") },\n  memory: "lots",'), "BP0204", '"lots"').message).toBe('memory "lots" is not a size');
    expect(only(modelWith('  inputs: { data: input("t") },\n  memory: "0.2MB",'), "BP0204", '"0.2MB"').message).toBe('memory "0.2MB" is less than 1MB');
    expect(only(modelWith('  inputs: { data: input("t") },\n  memory: 2048,'), "BP0204", "2048").message).toBe("memory must be a string with a unit, got a number");
  });

  it("input columns must be an array of strings", () => {
    const notArray = modelWith('  inputs: { data: input("t", { columns: "id" }) },');
    expect(only(notArray, "BP0204", '"id"').message).toMatch(/columns must be an array of column names/);
    const notStrings = modelWith('  inputs: { data: input("t", { columns: ["id", 7] }) },');
    expect(only(notStrings, "BP0204", "7").message).toBe("inputs.data: a column name must be a string, got a number");
    const empty = modelWith('  inputs: { data: input("t", { columns: [] }) },');
    only(empty, "BP0204", "[]");
  });

  it("empty or missing table name", () => {
    only(modelWith('  inputs: { data: input("") },'), "BP0204", '""');
    only(modelWith('  inputs: { data: input("  ") },'), "BP0204", '"  "');
    const d = only(modelWith("  inputs: { data: input() },"), "BP0204", "input()");
    expect(d.message).toBe("inputs.data: input(...) needs the table name as its first argument");
  });

  it("an input that is not an input(...) call", () => {
    only(modelWith('  inputs: { data: "transactions" },'), "BP0204", '"transactions"');
  });

  it("duplicate column names in an input's columns (case-insensitive)", () => {
    const text = modelWith('  inputs: { data: input("t", { columns: ["id", "usd", "ID"] }) },');
    expect(only(text, "BP0204", '"ID"').message).toMatch(/duplicate column `ID`/);
  });

  it("duplicate column names in the declared schema (case-insensitive), on the key", () => {
    const text = modelWith('  inputs: { data: input("t") },\n  columns: { id: "BIGINT", Id: "VARCHAR" },');
    expect(only(text, "BP0204", "Id:").message).toMatch(/duplicate column `Id`/);
  });

  it("duplicated keys in an object literal, at the second one", () => {
    const top = modelWith('  inputs: { data: input("t") },\n  memory: "1GB",\n  memory: "2GB",');
    const d = only(top, "BP0204", "memory", 1);
    expect(d.message).toBe("duplicate key `memory` in model settings");
    expect(d.hint).toContain(`line ${find(top, "memory").line}:`);
    const nested = modelWith('  inputs: { data: input("t") },\n  columns: { id: "BIGINT", "id": "DOUBLE" },');
    only(nested, "BP0204", '"id"');
  });

  it("missing run, and run that is not a function", () => {
    const missing = `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { d: input("t") } });\n`;
    expect(only(missing, "BP0204", "{ inputs").message).toMatch(/need a `run` function/);
    const notFn = modelWith('  inputs: { data: input("t") },').replace("run({ data }) { return data; }", "run: 42");
    only(notFn, "BP0204", "42");
    const variable = modelWith('  inputs: { data: input("t") },').replace("run({ data }) { return data; }", "run: handler");
    expect(only(variable, "BP0204", "handler").message).toMatch(/not the variable `handler`/);
    const getter = modelWith('  inputs: { data: input("t") },').replace("run({ data })", "get run()");
    only(getter, "BP0204", "get run");
  });

  it("missing inputs", () => {
    const text = `import { model } from "bauplan-ts";\nexport default model({ run() { return []; } });\n`;
    expect(only(text, "BP0204", "{ run").message).toMatch(/need `inputs`/);
  });

  it("bad packages: invalid npm name and non-string version", () => {
    const text = modelWith('  inputs: { data: input("t") },\n  packages: { "Not A Name": "^1" },');
    only(text, "BP0204", '"Not A Name"');
    const version = modelWith('  inputs: { data: input("t") },\n  packages: { lodash: 4 },');
    only(version, "BP0204", "4 }");
  });

  it("extra arguments to model() and input()", () => {
    only(modelWith('  inputs: { data: input("t", {}, "x") },'), "BP0204", '"x"');
    const twoArgs = `import { model, input } from "bauplan-ts";\nexport default model({ inputs: { d: input("t") }, run: ({ d }) => d }, { more: 1 });\n`;
    only(twoArgs, "BP0204", "{ more");
    const noArgs = `import { model } from "bauplan-ts";\nexport default model();\n`;
    expect(only(noArgs, "BP0204", "model()").hint).toContain("export default model({");
  });

  it("reports every bad setting in one pass, sorted by position", () => {
    const text = modelWith('  descripton: "x",\n  inputs: { data: input("", { columns: "id" }) },\n  memory: "lots",\n  materialize: 1,');
    expect(errors(text).map(where)).toEqual(
      ["descripton", '""', '"id"', '"lots"', "1,"].map((n) => whereOf("BP0204", find(text, n))),
    );
  });
});
