import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Table, tableFromArrays } from "apache-arrow";
import { runTsModel } from "../../runtime/ts-child/run-ts-model.js";
import { outputLeftovers, Project, readOutput, rowsOf, transactions } from "./helpers.js";

let project: Project;
let txPath: string;

beforeAll(() => {
  project = new Project();
  txPath = project.writeInput("transactions", transactions());
});
afterAll(() => project.dispose());

describe("runTsModel: successful runs", () => {
  it("passes a table through, applying the declared columns in their declared order", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions", { columns: ["usd", "id"] }) },
  run({ data }) {
    console.log("rows", data.numRows);
    return data;
  },
});
`;
    const { result, stdout, outputPath } = await project.run("passthrough", src, {
      inputs: [{ param: "data", path: txPath, columns: ["usd", "id"] }],
    });
    expect(result).toMatchObject({ ok: true, rows: 6, schema: [{ name: "usd", type: "Float64" }, { name: "id", type: "Int32" }] });
    expect(stdout).toEqual(["rows 6"]);
    const out = readOutput(outputPath);
    expect(out.schema.fields.map((f) => f.name)).toEqual(["usd", "id"]);
    expect(rowsOf(out)).toEqual(rowsOf(transactions().select(["usd", "id"])).map((r) => ({ usd: r.usd, id: r.id })));
    if (result.ok) expect(result.bytes).toBe(statSync(outputPath).size);
    expect(outputLeftovers(outputPath)).toEqual([outputPath]);
  });

  it("filters and computes (the euro_selection example)", async () => {
    const src = `
import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

const RATE: number = 0.5;

export default model({
  inputs: { data: input("transactions", { columns: ["id", "usd", "country"] }) },
  memory: "2GB",
  run({ data }) {
    const ids: number[] = [];
    const eur: number[] = [];
    for (const row of data) {
      if (row.country === "IT") {
        ids.push(row.id);
        eur.push(row.usd * RATE);
      }
    }
    return tableFromArrays({ id: Int32Array.from(ids), eur: Float64Array.from(eur) });
  },
});
`;
    const { result, outputPath } = await project.run("euro_selection", src, {
      inputs: [{ param: "data", path: txPath, columns: ["id", "usd", "country"] }],
    });
    expect(result).toMatchObject({ ok: true, rows: 3, schema: [{ name: "id", type: "Int32" }, { name: "eur", type: "Float64" }] });
    expect(rowsOf(readOutput(outputPath))).toEqual([
      { id: 1, eur: 5 },
      { id: 3, eur: 15 },
      { id: 5, eur: 25.125 },
    ]);
  });

  it("accepts an array of row objects and infers column types", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    return data.toArray().map((r) => ({
      id: BigInt(r.id),
      country: r.country,
      big: r.usd > 25,
      note: r.id === 2 ? "second" : null,
    }));
  },
});
`;
    const { result, outputPath } = await project.run("rows", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result).toMatchObject({
      ok: true,
      rows: 6,
      schema: [
        { name: "id", type: "Int64" },
        { name: "country", type: "Utf8" },
        { name: "big", type: "Bool" },
        { name: "note", type: "Utf8" },
      ],
    });
    const rows = rowsOf(readOutput(outputPath));
    expect(rows[0]).toEqual({ id: 1n, country: "IT", big: false, note: null });
    expect(rows[1]).toEqual({ id: 2n, country: "US", big: false, note: "second" });
    expect(rows.map((r) => r.big)).toEqual([false, false, true, true, true, true]);
  });

  it("awaits an async run", async () => {
    const src = `
import { model, input } from "bauplan-ts";
import { setTimeout as sleep } from "node:timers/promises";
export default model({
  inputs: { data: input("transactions") },
  async run({ data }) {
    await sleep(50);
    const n = await Promise.resolve(data.numRows);
    return [{ n }];
  },
});
`;
    const { result, outputPath } = await project.run("async_model", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result).toMatchObject({ ok: true, rows: 1, schema: [{ name: "n", type: "Float64" }] });
    expect(rowsOf(readOutput(outputPath))).toEqual([{ n: 6 }]);
  });

  it("resolves apache-arrow and bauplan-ts from a project without node_modules, sharing the child's arrow", async () => {
    // the temp folder has no node_modules anywhere above the model
    let dir = path.join(project.dir, "proj", "models");
    for (;;) {
      expect(existsSync(path.join(dir, "node_modules"))).toBe(false);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    const src = `
import { model, input, type Table as SdkTable } from "bauplan-ts";
import { Table, tableFromArrays, vectorFromArray } from "apache-arrow";
import { Int32 } from "apache-arrow/type";

export default model({
  inputs: { data: input("transactions") },
  run({ data }: { data: SdkTable }) {
    console.log("same-arrow", data instanceof Table);
    const v = vectorFromArray([7, 8], new Int32());
    return new Table({ v });
  },
});
`;
    const { result, stdout, outputPath } = await project.run("imports", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result).toMatchObject({ ok: true, rows: 2, schema: [{ name: "v", type: "Int32" }] });
    expect(stdout).toEqual(["same-arrow true"]);
    expect(rowsOf(readOutput(outputPath))).toEqual([{ v: 7 }, { v: 8 }]);
  });

  it("resolves the project's own packages normally, but never the project's own apache-arrow", async () => {
    project.write("vendored/node_modules/apache-arrow/package.json", JSON.stringify({ name: "apache-arrow", type: "module", exports: "./index.js" }));
    project.write("vendored/node_modules/apache-arrow/index.js", "export const FAKE = true; export class Table {}\n");
    project.write("vendored/node_modules/shout/package.json", JSON.stringify({ name: "shout", type: "module", exports: "./index.js" }));
    project.write("vendored/node_modules/shout/index.js", "export const shout = (s) => s.toUpperCase() + '!';\n");
    const modelFile = project.write(
      "vendored/models/m.ts",
      `
import { model, input } from "bauplan-ts";
import * as arrow from "apache-arrow";
import { shout } from "shout";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    console.log("fake:", "FAKE" in arrow, "same:", data instanceof arrow.Table);
    return [{ s: shout("hi") }];
  },
});
`,
    );
    const lines: string[] = [];
    const outputPath = path.join(project.shm, "vendored.arrow");
    const result = await runTsModel(
      { model: "m", modelFile, inputs: [{ param: "data", path: txPath, columns: null }], outputPath, memoryMb: 256 },
      { onLine: (_s, l) => lines.push(l) },
    );
    expect(result.ok).toBe(true);
    expect(lines).toEqual(["fake: false same: true"]);
    expect(rowsOf(readOutput(outputPath))).toEqual([{ s: "HI!" }]);
  });

  it("imports local .ts helpers however TypeScript spells them (./x.js, ./x, ./x.ts, ./dir)", async () => {
    project.write("models/lib/rate.ts", `export const RATE: number = 3;\n`);
    project.write("models/lib/index.ts", `export { RATE } from "./rate.js";\nexport const OFFSET = 1;\n`);
    project.write("models/helper.ts", `import { RATE } from "./lib/rate";\nexport function scale(x: number): number { return x * RATE; }\n`);
    project.write("models/other.mts", `export const label = (s: string): string => "<" + s + ">";\n`);
    const src = `
import { model, input } from "bauplan-ts";
import { scale } from "./helper.js";
import { OFFSET } from "./lib";
import { label } from "./other.mjs";
import { RATE } from "./lib/rate.ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    return data.toArray().slice(0, 2).map((r) => ({ id: r.id, x: scale(r.id) + OFFSET + RATE, l: label(r.country) }));
  },
});
`;
    const { result, outputPath } = await project.run("with_helper", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result.ok).toBe(true);
    expect(rowsOf(readOutput(outputPath))).toEqual([
      { id: 1, x: 7, l: "<IT>" },
      { id: 2, x: 10, l: "<US>" },
    ]);
  });

  it("feeds several inputs, each under its parameter", async () => {
    const other = project.writeInput("countries", tableFromArrays({ code: ["IT", "US", "FR"], rate: Float64Array.from([1, 2, 3]) }));
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { tx: input("transactions", { columns: ["country", "usd"] }), countries: input("countries") },
  run({ tx, countries }) {
    const rate = new Map(countries.toArray().map((c) => [c.code, c.rate]));
    return tx.toArray().map((r) => ({ country: r.country, scaled: r.usd * rate.get(r.country) }));
  },
});
`;
    const { result, outputPath } = await project.run("two_inputs", src, {
      inputs: [
        { param: "tx", path: txPath, columns: ["country", "usd"] },
        { param: "countries", path: other, columns: null },
      ],
    });
    expect(result.ok).toBe(true);
    expect(rowsOf(readOutput(outputPath)).map((r) => r.scaled)).toEqual([10, 41, 30, 120, 50.25, 120]);
  });

  it("builds an empty table from the declared columns when run() returns []", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  columns: { id: "BIGINT", name: "VARCHAR", amount: "DECIMAL(18,3)", day: "DATE" },
  run() {
    return [];
  },
});
`;
    const { result, outputPath } = await project.run("empty_declared", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result).toMatchObject({ ok: true, rows: 0 });
    if (!result.ok) return;
    expect(result.schema.map((c) => c.name)).toEqual(["id", "name", "amount", "day"]);
    const out = readOutput(outputPath);
    expect(out.numRows).toBe(0);
    expect(out.schema.fields.map((f) => String(f.type))).toEqual(["Int64", "Utf8", "Decimal[18e+3]", "Date32<DAY>"]);
    expect(out.schema.fields[2]!.type).toMatchObject({ precision: 18, scale: 3, bitWidth: 128 });
  });

  it("exits promptly even when the model leaves a timer running", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    setInterval(() => console.log("tick"), 1000);
    return data;
  },
});
`;
    const { result, stdout, elapsed } = await project.run("leaves_timer", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result.ok).toBe(true);
    expect(stdout).toEqual([]);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("streams stderr and flushes a last line without a newline", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    console.error("warn: é ünïcode");
    process.stdout.write("part one, ");
    process.stdout.write("part two");
    return data;
  },
});
`;
    const { result, stdout, stderr } = await project.run("streams", src, { inputs: [{ param: "data", path: txPath, columns: null }] });
    expect(result.ok).toBe(true);
    expect(stderr).toEqual(["warn: é ünïcode"]);
    expect(stdout).toEqual(["part one, part two"]);
  });

  it("replaces a stale output file from an earlier run", async () => {
    const src = `
import { model, input } from "bauplan-ts";
export default model({ inputs: { data: input("transactions") }, run: ({ data }) => data.slice(0, 1) });
`;
    const outputPath = path.join(project.shm, "stale.out.arrow");
    project.writeInput("stale.out", tableFromArrays({ old: Float64Array.from([1, 2, 3]) }));
    const { result } = await project.run("stale", src, { inputs: [{ param: "data", path: txPath, columns: null }], outputPath });
    expect(result).toMatchObject({ ok: true, rows: 1 });
    const out = readOutput(outputPath);
    expect(out.numRows).toBe(1);
    expect(out).toBeInstanceOf(Table);
    expect(outputLeftovers(outputPath)).toEqual([outputPath]);
  });
});
