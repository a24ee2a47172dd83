/**
 * Golden tests for column-level lineage (compiler/sql/sql-lineage.ts): each cases/<name>.sql is
 * parsed by DuckDB, bound against empty tables of the input schemas named in its first line
 * (`-- inputs: orders(id BIGINT, amount DOUBLE); customers(id BIGINT, name VARCHAR)`, type BIGINT when left out), and its
 * lineage compared with cases/<name>.expected.json (reviewed by hand).
 * Re-bless with: UPDATE_GOLDENS=1 npx vitest run test/column-lineage
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ColumnSchema } from "../../compiler/plan-types.js";
import { columnLineage } from "../../compiler/sql/sql-lineage.js";
import { serializeSql } from "../../compiler/sql/sql-duckdb.js";
import { openSqlTools, type SqlTools } from "../../compiler/sql/index.js";
import { isObject, objectField, arrayField } from "../../compiler/sql/sql-json.js";
import { ROOT } from "../helpers/temp-project.js";

const HERE = path.join(ROOT, "test", "column-lineage", "cases");
const UPDATE = process.env.UPDATE_GOLDENS === "1";

function inputsOf(sql: string): Map<string, ColumnSchema[]> {
  const line = /^--\s*inputs:\s*(.*)$/m.exec(sql)?.[1] ?? "";
  const tables = new Map<string, ColumnSchema[]>();
  for (const table of splitTop(line, ";")) {
    const open = table.indexOf("(");
    const columns = splitTop(table.slice(open + 1, table.lastIndexOf(")")), ",").map((c) => {
      const [name, ...type] = c.split(/\s+/);
      return { name: name!, type: type.join(" ") || "BIGINT" };
    });
    tables.set(table.slice(0, open).trim(), columns);
  }
  return tables;
}

/** `text` split at `sep` outside parentheses, pieces trimmed, empty ones dropped. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if ((ch === sep && depth === 0) || i === text.length) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return parts.filter((p) => p !== "");
}

let tools: SqlTools;
beforeAll(async () => {
  tools = await openSqlTools();
});
afterAll(() => tools.close());

describe("column lineage", () => {
  for (const file of readdirSync(HERE).filter((f) => f.endsWith(".sql")).sort()) {
    it(file.replace(/\.sql$/, ""), async () => {
      const sql = readFileSync(path.join(HERE, file), "utf8");
      const inputs = inputsOf(sql);
      const names = [...inputs.keys()];
      await tools.scratch.dropTables(names);
      await tools.scratch.addTables(names.map((name) => ({ name, schema: inputs.get(name)! })));
      const described = await tools.scratch.conn.rows(`DESCRIBE ${sql.replace(/;\s*$/, "")}`);
      const schema = described.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
      const parsed = await serializeSql(tools.scratch.conn, sql);
      const ast = objectField(arrayField(parsed, "statements")[0], "node");
      expect(isObject(ast)).toBe(true);
      const lineage = columnLineage(ast!, schema, (name) => {
        const table = names.find((n) => n.toLowerCase() === name.toLowerCase());
        return table ? { table, columns: inputs.get(table)!.map((c) => c.name) } : undefined;
      });
      const text = `${JSON.stringify(lineage, null, 2)}\n`;
      const expected = path.join(HERE, file.replace(/\.sql$/, ".expected.json"));
      if (UPDATE) writeFileSync(expected, text);
      expect(text).toBe(readFileSync(expected, "utf8"));
    });
  }
});
