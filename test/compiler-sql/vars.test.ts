/** Template vars keep their YAML types: booleans work in {{#if}}; the plan records them as text. */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { renderSqlTemplate } from "../../compiler/sql/index.js";
import { parseVarValue } from "../../compiler/vars.js";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("parseVarValue (a --var value read as a YAML scalar)", () => {
  it.each([
    ["true", true],
    ["false", false],
    ["False", false],
    ["TRUE", true],
    ["null", null],
    ["~", null],
    ["10", 10],
    ["-2.5", -2.5],
    ["0", 0],
    ["007", "007"],
    ["1.10", "1.10"],
    ["1e3", "1e3"],
    ["0x1F", "0x1F"],
    ["", ""],
    ["yes", "yes"],
    ["2023-01-01", "2023-01-01"],
    ["a: b", "a: b"],
    ["[1, 2]", "[1, 2]"],
    ["'quoted'", "'quoted'"],
    ["NaN", "NaN"],
  ] as const)("%j -> %j", (text, value) => {
    expect(parseVarValue(text)).toStrictEqual(value);
  });
});

describe("typed vars in templates", () => {
  const text = `SELECT {{#if (var "flag")}}1{{else}}0{{/if}} AS on, {{var "flag"}} AS flag, {{var "n"}} AS n`;
  it("a false boolean is false in {{#if}} and prints as false", () => {
    expect(renderSqlTemplate("m.sql", text, { flag: false, n: 0 }).sql).toBe("SELECT 0 AS on, false AS flag, 0 AS n");
    expect(renderSqlTemplate("m.sql", text, { flag: true, n: 2.5 }).sql).toBe("SELECT 1 AS on, true AS flag, 2.5 AS n");
    // A string is truthy whatever it says (as before).
    expect(renderSqlTemplate("m.sql", text, { flag: "false", n: "0" }).sql).toBe("SELECT 1 AS on, false AS flag, 0 AS n");
  });

  it("bp_project.yml booleans stay booleans; the plan records every var as text", async () => {
    const dir = writeProject(
      {
        "bp_project.yml": "name: typed\nvars:\n  recent_only: false\n  limit_n: 3\n  since: '2023-01-01'\n",
        "models/m.sql": `SELECT id FROM src {{#if (var "recent_only")}}WHERE id > 5{{/if}} LIMIT {{var "limit_n"}}\n`,
      },
      "typed-vars",
    );
    temps.push(dir);
    await importSql(dir, "src", "SELECT range::BIGINT AS id FROM range(10)");
    const off = await compileProject({ projectDir: dir });
    expect(off.diagnostics).toEqual([]);
    const sql = (r: typeof off) => r.plan!.nodes.find((n) => n.kind === "sql")!;
    expect(JSON.stringify(sql(off))).not.toContain("WHERE id > 5");
    expect(off.plan!.project.vars).toEqual({ limit_n: "3", recent_only: "false", since: "2023-01-01" });
    const on = await compileProject({ projectDir: dir, vars: { recent_only: parseVarValue("true") } });
    expect(JSON.stringify(sql(on))).toContain("WHERE id > 5");
    expect(on.plan!.project.vars.recent_only).toBe("true");
    const cli = await bp(["compile", "-p", dir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "target", "plan.json"), "utf8")).not.toContain("WHERE id > 5");
  });
});
