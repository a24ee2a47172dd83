/**
 * Checks the `filter` a TS model declares on an input: it must be exactly one boolean DuckDB
 * expression over the input's plain column names. It is parsed as
 * `SELECT * FROM <input> WHERE <filter>` and the parse tree must be that statement and nothing
 * more (no `) UNION SELECT ...`, ORDER BY, LIMIT, second statement); it may not contain subqueries,
 * windows, `*`, parameters or table-qualified columns. Problems are BP0301, unknown columns BP0104,
 * located in the model file.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ColumnSchema } from "../plan-types.js";
import { boundColumnIndexes, columnsAt } from "./sql-columns-used.js";
import { errorText, quoteIdentifier, serializePlan, serializeSql } from "./sql-duckdb.js";
import { type DuckDbError, bindDiagnostic, errorFromJson, isUnknownColumn, unknownColumnDiagnostic } from "./sql-duckdb-errors.js";
import { type Json, type JsonObject, arrayField, forEachObject, isObject, objectField, offsetField, stringField } from "./sql-json.js";
import type { FileLocation } from "./sql-location.js";
import type { ScratchContext } from "./sql-scratch.js";
import { TextOffsets, splitSqlStatements } from "./sql-text.js";

/** Where the filter's text starts in the model file: its first character, just after the opening quote. */
export interface FilterLiteralStart {
  readonly line: number;
  readonly column: number;
}

export interface FilterCheck {
  /** Columns the filter reads, in the table's column order. */
  readonly columns: string[];
  /** The filter as DuckDB prints it back (comments dropped, fully parenthesized), or null when invalid. */
  readonly sql: string | null;
  readonly diagnostics: Diagnostic[];
}

const INPUT = "__bp_filter_input";
const PREFIX = `SELECT * FROM ${INPUT} WHERE `;
/** Binds the (already validated) filter without a `*`, so only the filter's own columns are bound. */
const BIND_PREFIX = `SELECT 1 FROM ${INPUT} WHERE `;
const SHAPE_HINT = "a filter is one boolean expression over the input's columns, e.g. \"amount > 0 AND country = 'IT'\"";

/** File location of offset `index` of the filter text (escape sequences in the literal are not accounted for). */
function filterLocation(file: string, at: FilterLiteralStart, filterText: string, index: number): FileLocation {
  const before = filterText.slice(0, Math.max(0, Math.min(index, filterText.length)));
  const newline = before.lastIndexOf("\n");
  if (newline === -1) return { file, line: at.line, column: at.column + before.length };
  return { file, line: at.line + before.split("\n").length - 1, column: before.length - newline };
}

/** The statement's problem, if it is anything but `SELECT * FROM <INPUT> WHERE <expr>`. */
function shapeProblem(select: JsonObject | undefined): string | undefined {
  if (!select || stringField(select, "type") !== "SELECT_NODE") return "it combines the input with another query";
  const star = arrayField(select, "select_list");
  const from = objectField(select, "from_table");
  const extras =
    arrayField(select, "modifiers").length > 0 ||
    arrayField(objectField(select, "cte_map"), "map").length > 0 ||
    arrayField(select, "group_expressions").length > 0 ||
    arrayField(select, "group_sets").length > 0 ||
    select.having !== null ||
    select.qualify !== null ||
    select.sample !== null ||
    stringField(select, "aggregate_handling") !== "STANDARD_HANDLING";
  if (extras) return "it adds clauses after the expression (ORDER BY, LIMIT, GROUP BY, QUALIFY...)";
  const plainStar = star.length === 1 && stringField(star[0], "class") === "STAR" && stringField(star[0], "relation_name") === "";
  const plainFrom = stringField(from, "type") === "BASE_TABLE" && stringField(from, "table_name") === INPUT && stringField(from, "alias") === "" && from?.sample === null;
  if (!plainStar || !plainFrom) return "it changes the query around it";
  if (!isObject(select.where_clause)) return "it is empty";
  return undefined;
}

/** A construct the filter may not contain, with the node where it appears. */
function forbiddenPart(where: Json, table: string, schema: readonly ColumnSchema[]): { node: JsonObject; message: string; hint: string } | undefined {
  const columns = new Set(schema.map((c) => c.name.toLowerCase()));
  let found: { node: JsonObject; message: string; hint: string } | undefined;
  forEachObject(where, (node) => {
    if (found) return;
    const cls = stringField(node, "class");
    if (cls === "SUBQUERY") found = { node, message: "a filter cannot contain a subquery", hint: "it may only read the columns of its own input" };
    else if (cls === "WINDOW") found = { node, message: "a filter cannot contain a window function", hint: SHAPE_HINT };
    else if (cls === "STAR") found = { node, message: "a filter cannot contain * or COLUMNS(...)", hint: SHAPE_HINT };
    else if (cls === "PARAMETER") found = { node, message: "a filter cannot contain a prepared-statement parameter", hint: "write the value into the expression" };
    else if (cls === "COLUMN_REF") {
      const names = arrayField(node, "column_names").filter((n): n is string => typeof n === "string");
      if (names.length >= 2 && !columns.has(names[0]!.toLowerCase())) {
        found = { node, message: `write plain column names in a filter, not "${names.join(".")}"`, hint: `columns of "${table}" are referenced by their name alone, e.g. ${names.slice(1).join(".")}` };
      }
    }
  });
  return found;
}

export async function checkFilterSql(
  ctx: ScratchContext,
  file: string,
  filterText: string,
  at: FilterLiteralStart,
  table: string,
  schema: readonly ColumnSchema[],
): Promise<FilterCheck> {
  const query = PREFIX + filterText;
  const offsets = new TextOffsets(query);
  const locateIn = (prefix: string) => (queryIndex: number | undefined) => filterLocation(file, at, filterText, (queryIndex ?? prefix.length) - prefix.length);
  const locate = locateIn(PREFIX);
  const locateNode = (node: Json) => {
    const byte = offsetField(node, "query_location");
    return locate(byte === undefined ? undefined : offsets.fromUtf8Byte(byte));
  };
  const invalid = (d: Diagnostic): FilterCheck => ({ columns: [], sql: null, diagnostics: [d] });

  if (filterText.trim() === "") return invalid(diagnostic("BP0301", "the filter is empty", locate(undefined), SHAPE_HINT));

  // `usd > 0; DROP TABLE t`: reported at the `;`, whatever follows it (DuckDB may refuse to parse it).
  const statements = splitSqlStatements(query);
  if (statements.length > 1) {
    return invalid(diagnostic("BP0301", "the filter contains more than one statement", locate(statements[0]!.end), `remove the ";" and what follows: ${SHAPE_HINT}`));
  }
  const parsed = await serializeSql(ctx.conn, query);
  if (isObject(parsed) && parsed.error === true) {
    const error = errorFromJson(parsed, query);
    const message = error.kind === "parser" ? `the filter is not a valid expression: ${error.message}` : "the filter must be a single expression";
    return invalid(diagnostic("BP0301", message, locate(error.index), SHAPE_HINT));
  }
  const parsedStatements = arrayField(parsed, "statements");
  const select = objectField(parsedStatements[0], "node");
  const problem = parsedStatements.length !== 1 ? "it contains more than one statement" : shapeProblem(select);
  if (problem) return invalid(diagnostic("BP0301", `the filter must be a single expression: ${problem}`, locate(undefined), SHAPE_HINT));
  const where = select!.where_clause as JsonObject;
  const forbidden = forbiddenPart(where, table, schema);
  if (forbidden) return invalid(diagnostic("BP0301", forbidden.message, locateNode(forbidden.node), forbidden.hint));

  try {
    await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${INPUT} (${schema.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ")})`);
    const bindQuery = BIND_PREFIX + filterText;
    const plan = await serializePlan(ctx.conn, bindQuery);
    if (isObject(plan) && plan.error === true) return invalid(bindProblem(errorFromJson(plan, bindQuery), locateIn(BIND_PREFIX), table, schema));
    const columns = columnsAt(schema, boundColumnIndexes(plan).get(INPUT));
    const sql = await ctx.printer.expression([where]);
    const type = await expressionType(ctx, sql);
    if (type !== "BOOLEAN") {
      return { columns, sql: null, diagnostics: [diagnostic("BP0301", `the filter is ${type ?? "not typed"}, not a boolean`, locate(undefined), SHAPE_HINT)] };
    }
    return { columns, sql, diagnostics: [] };
  } finally {
    await ctx.conn.run(`DROP TABLE IF EXISTS temp.${INPUT}`);
  }
}

function bindProblem(error: DuckDbError, locate: (i: number | undefined) => FileLocation, table: string, schema: readonly ColumnSchema[]): Diagnostic {
  if (isUnknownColumn(error) && error.name !== undefined) {
    return unknownColumnDiagnostic(error.name, locate(error.index), `"${table}"`, [{ table, columns: schema.map((c) => c.name) }]);
  }
  const bound = bindDiagnostic(error, locate(error.index), []);
  return diagnostic("BP0301", `the filter does not bind: ${bound.message}`, locate(error.index), bound.hint ?? SHAPE_HINT);
}

async function expressionType(ctx: ScratchContext, expressionSql: string): Promise<string | undefined> {
  try {
    const type = (await ctx.conn.rows(`DESCRIBE SELECT ${expressionSql} AS f FROM ${INPUT}`))[0]?.[1];
    return typeof type === "string" ? type : undefined;
  } catch (e) {
    return `invalid (${errorText(e).split("\n")[0]})`;
  }
}
