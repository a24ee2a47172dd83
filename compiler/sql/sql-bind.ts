/**
 * Binds a rendered SQL model against the scratch catalog's empty tables:
 * 1. `json_serialize_plan` binds it (errors come back as data, with a byte position) and yields the
 *    unoptimized plan, whose table scans list the columns bound (sql-columns-used.ts);
 * 2. `DESCRIBE` gives the output schema with DuckDB's type names;
 * 3. the parse tree gives the WHERE conjuncts pushable into source scans (sql-pushdown.ts).
 * Errors are diagnostics located in the original file (sql-bind-errors.ts): BP0104 unknown column,
 * BP0102 unknown table, BP0105 any other binding problem.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ColumnSchema } from "../plan-types.js";
import { boundColumnIndexes, columnsAt } from "./sql-columns-used.js";
import { errorText, serializePlan } from "./sql-duckdb.js";
import { bindErrorDiagnostic } from "./sql-bind-errors.js";
import { type DuckDbError, errorFromJson, errorFromMessage, isUserError } from "./sql-duckdb-errors.js";
import { type Json, isObject } from "./sql-json.js";
import { type SqlModelText, locateStatementStart } from "./sql-location.js";
import { type TableRef, parseModelSql } from "./sql-parse.js";
import { findPushdownConjuncts } from "./sql-pushdown.js";
import type { ScratchContext } from "./sql-scratch.js";

export interface BindModelInput extends SqlModelText {
  /** From parseModelSql. */
  readonly tableRefs: readonly TableRef[];
  /** Names of the referenced tables that are lake sources (only those get pushdown filters). */
  readonly sources?: ReadonlySet<string>;
}

export interface BoundModel {
  /** Output columns with DuckDB's type names; empty when binding failed. */
  readonly schema: ColumnSchema[];
  /** Catalog table name -> the columns the query binds from it, in the table's column order. */
  readonly columnsUsed: Map<string, string[]>;
  /** Source table name -> a filter over its plain column names that may run inside its scan. */
  readonly pushdown: Map<string, string>;
  readonly diagnostics: Diagnostic[];
}

const DESCRIBE_PREFIX = "DESCRIBE\n";

function failure(diagnostics: Diagnostic[]): BoundModel {
  return { schema: [], columnsUsed: new Map(), pushdown: new Map(), diagnostics };
}

function errorDiagnostic(ctx: ScratchContext, model: SqlModelText, error: DuckDbError, indexShift = 0): Promise<Diagnostic> {
  const shifted = error.index === undefined || indexShift === 0 ? error : { ...error, index: Math.max(0, error.index - indexShift) };
  return bindErrorDiagnostic(ctx, model, shifted);
}

async function describe(ctx: ScratchContext, model: SqlModelText): Promise<ColumnSchema[] | Diagnostic> {
  const query = DESCRIBE_PREFIX + model.rendered;
  try {
    const reader = await ctx.conn.runAndReadAll(query);
    return reader.getRows().map(([name, type]) => ({ name: String(name), type: String(type) }));
  } catch (e) {
    return errorDiagnostic(ctx, model, errorFromMessage(errorText(e), query), DESCRIBE_PREFIX.length);
  }
}

function duplicateColumns(model: SqlModelText, schema: readonly ColumnSchema[]): Diagnostic[] {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const c of schema) {
    const key = c.name.toLowerCase();
    if (seen.has(key)) dupes.add(c.name);
    seen.add(key);
  }
  return [...dupes].map((name) =>
    diagnostic("BP0105", `the query outputs the column "${name}" more than once`, locateStatementStart(model), "give each output column a distinct name (AS ...)"),
  );
}

export async function bindModelSql(ctx: ScratchContext, input: BindModelInput): Promise<BoundModel> {
  const planResult = await serializePlan(ctx.conn, input.rendered);
  let plan: Json | undefined = planResult;
  if (isObject(planResult) && planResult.error === true) {
    const error = errorFromJson(planResult, input.rendered);
    if (isUserError(error)) return failure([await errorDiagnostic(ctx, input, error)]);
    plan = undefined; // DuckDB cannot serialize this plan: fall back to every column below.
  }

  const schema = await describe(ctx, input);
  if (!Array.isArray(schema)) return failure([schema]);
  const diagnostics = duplicateColumns(input, schema);

  const bound = plan === undefined ? undefined : boundColumnIndexes(plan);
  diagnostics.push(...hiddenReads(input, bound));
  const columnsUsed = new Map<string, string[]>();
  for (const ref of input.tableRefs) {
    const table = ctx.table(ref.name);
    if (!table) continue;
    const all = new Set(table.schema.map((_, i) => i));
    columnsUsed.set(table.name, columnsAt(table.schema, bound ? bound.get(table.name.toLowerCase()) : all));
  }

  const pushdown = await pushdownFilters(ctx, input);
  return { schema, columnsUsed, pushdown, diagnostics };
}

/** Tables the plan scans that the query never names (read through query_table(), query()...). */
function hiddenReads(input: BindModelInput, bound: ReadonlyMap<string, unknown> | undefined): Diagnostic[] {
  if (!bound) return [];
  const named = new Set(input.tableRefs.map((r) => r.name.toLowerCase()));
  return [...bound.keys()]
    .filter((table) => !named.has(table))
    .map((table) =>
      diagnostic(
        "BP0105",
        `the query reads table "${table}" without naming it in a FROM clause`,
        locateStatementStart(input),
        "read models and sources by their plain name (FROM name), not through query_table() or query(), so bp can see the dependency",
      ),
    );
}

async function pushdownFilters(ctx: ScratchContext, input: BindModelInput): Promise<Map<string, string>> {
  const filters = new Map<string, string>();
  if (!input.sources || input.sources.size === 0) return filters;
  const parsed = await parseModelSql(ctx.conn, input);
  if (parsed.ast === null) return filters;
  const traits = await ctx.functionTraits();
  const conjuncts = findPushdownConjuncts({
    ast: parsed.ast,
    sites: parsed.sites,
    table: (name) => {
      const t = ctx.table(name);
      return t ? { name: t.name, columns: t.schema.map((c) => c.name) } : undefined;
    },
    sources: new Set([...input.sources].map((s) => s.toLowerCase())),
    isVolatile: (fn) => traits.volatile.has(fn),
    isAggregate: (fn) => traits.aggregate.has(fn),
  });
  for (const [table, exprs] of conjuncts) filters.set(table, await ctx.printer.expression(exprs));
  return filters;
}
