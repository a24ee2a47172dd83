/**
 * Binds a rendered SQL model against the scratch catalog's empty tables:
 * 1. `json_serialize_plan` binds it (errors come back as data, with a byte position) and yields the
 *    unoptimized plan, whose table scans list the columns bound (sql-columns-used.ts);
 * 2. `DESCRIBE` gives the output schema with DuckDB's type names;
 * 3. the parse tree gives the WHERE conjuncts pushable into source scans (sql-pushdown.ts).
 * Errors are diagnostics located in the original file (sql-bind-errors.ts): BP0104 unknown column,
 * BP0102 unknown table, BP0105 any other binding problem.
 *
 * `bindCleanModels` does the same for many models in a few statements (one json_serialize_plan over
 * all of them, one UNION ALL of DESCRIBE subqueries, one json_deserialize_sql): it returns the
 * result of each model that binds cleanly (no diagnostic), identical to bindModelSql's, and null for
 * the others, which the caller binds alone with bindModelSql to get their diagnostics.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ColumnSchema } from "../plan-types.js";
import { boundColumnIndexes, columnsAt } from "./sql-columns-used.js";
import { type DuckDBConnection, chunked, errorText, isInlinable, serializePlan, serializePlanMany } from "./sql-duckdb.js";
import { bindErrorDiagnostic } from "./sql-bind-errors.js";
import { type DuckDbError, errorFromJson, errorFromMessage, isUserError } from "./sql-duckdb-errors.js";
import { type Json, type JsonObject, isObject } from "./sql-json.js";
import { type SqlModelText, locateStatementStart } from "./sql-location.js";
import { type ParsedSql, type TableRef, parseModelSql, parseModelsSql } from "./sql-parse.js";
import { findPushdownConjuncts } from "./sql-pushdown.js";
import type { ScratchContext } from "./sql-scratch.js";
import { splitSqlStatements } from "./sql-text.js";

export interface BindModelInput extends SqlModelText {
  /** From parseModelSql. */
  readonly tableRefs: readonly TableRef[];
  /** Names of the referenced tables that are lake sources (only those get pushdown filters). */
  readonly sources?: ReadonlySet<string>;
  /** The parse of `rendered` (parseModelSql), when the caller kept it: saves parsing it again. */
  readonly parsed?: ParsedSql;
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
    return (await ctx.conn.rows(query)).map(([name, type]) => ({ name: String(name), type: String(type) }));
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
  const columnsUsed = columnsUsedBy(ctx, input, bound);
  const pushdown = new Map<string, string>();
  if (input.sources && input.sources.size > 0) {
    const conjuncts = await pushdownConjuncts(ctx, input, input.parsed ?? (await parseModelSql(ctx.conn, input)));
    for (const [table, exprs] of conjuncts) pushdown.set(table, await ctx.printer.expression(exprs));
  }
  return { schema, columnsUsed, pushdown, diagnostics };
}

/** bindModelSql of models that do not read each other; null for a model that does not bind cleanly. */
export async function bindCleanModels(ctx: ScratchContext, inputs: readonly BindModelInput[]): Promise<(BoundModel | null)[]> {
  const results: (BoundModel | null)[] = inputs.map(() => null);
  const batch = inputs.flatMap((input, i) => {
    const describable = describableText(input.rendered);
    return describable !== undefined && isInlinable(input.rendered) ? [{ i, input, describable }] : [];
  });
  if (batch.length === 0) return results;

  // Plans and DESCRIBEs bind the same queries; they run on two connections at once. A DESCRIBE
  // costs about twice a plan, so the first connection also describes a quarter of the queries, and
  // the plans are read while the DESCRIBEs run.
  const split = Math.floor(batch.length / 4);
  const describable = batch.map((b) => b.describable);
  const describingB = describeMany(ctx.sideConn, describable.slice(split));
  const planTexts = await serializePlanMany(ctx.conn, batch.map((b) => b.input.rendered)).catch(() => undefined);
  const describingA = describeMany(ctx.conn, describable.slice(0, split));
  const reads = planTexts?.map((text, k) => readPlan(ctx, batch[k]!.input, text));
  const schemas = [...(await describingA), ...(await describingB)];
  if (reads === undefined) return results;

  const clean = batch.flatMap((b, k) => {
    const read = reads[k];
    const schema = schemas[k];
    if (!read || !schema || duplicateColumns(b.input, schema).length > 0) return [];
    return [{ i: b.i, input: b.input, schema, columnsUsed: read.columnsUsed }];
  });

  const withSources = clean.filter((c) => c.input.sources && c.input.sources.size > 0);
  const unparsed = withSources.filter((c) => c.input.parsed === undefined);
  const parses = new Map<BindModelInput, ParsedSql>(withSources.flatMap((c) => (c.input.parsed ? [[c.input, c.input.parsed] as const] : [])));
  (await parseModelsSql(ctx.conn, unparsed.map((c) => c.input))).forEach((parsed, k) => parses.set(unparsed[k]!.input, parsed));
  const prints: { input: BindModelInput; table: string; exprs: JsonObject[] }[] = [];
  for (const c of withSources) {
    for (const [table, exprs] of await pushdownConjuncts(ctx, c.input, parses.get(c.input)!)) prints.push({ input: c.input, table, exprs });
  }
  const printed = await ctx.printer.expressions(prints.map((p) => p.exprs));

  for (const c of clean) {
    const pushdown = new Map<string, string>();
    prints.forEach((p, k) => {
      if (p.input === c.input) pushdown.set(p.table, printed[k]!);
    });
    results[c.i] = { schema: c.schema, columnsUsed: c.columnsUsed, pushdown, diagnostics: [] };
  }
  return results;
}

/**
 * The columns a model reads, from its `json_serialize_plan` text; undefined when the plan is an
 * error (or DuckDB could not serialize it) or shows a hidden read: then it is bound alone.
 */
function readPlan(ctx: ScratchContext, input: BindModelInput, text: string): { columnsUsed: Map<string, string[]> } | undefined {
  // Plain JSON.parse: a plan is only read for table names and column indexes. DuckDB's 2^64-1 "none"
  // markers come out as unsafe numbers, which offsetField ignores as it ignores parseDuckJson's
  // marker strings; an error plan goes to bindModelSql, which reads it exactly.
  const plan = JSON.parse(text) as Json;
  if (isObject(plan) && plan.error === true) return undefined;
  const bound = boundColumnIndexes(plan);
  if (hiddenReads(input, bound).length > 0) return undefined;
  return { columnsUsed: columnsUsedBy(ctx, input, bound) };
}

/**
 * The text of a single-statement query that can stand in `(DESCRIBE ...)` (its trailing `;` and
 * comments cut), or undefined when the text is not one statement.
 */
function describableText(rendered: string): string | undefined {
  const statements = splitSqlStatements(rendered);
  if (statements.length !== 1) return undefined;
  return rendered.slice(0, statements[0]!.end);
}

/**
 * DESCRIBE of each query, a hundred per statement (a UNION ALL of `(DESCRIBE ...)` subqueries, each
 * tagged with its index; the database runs one thread, so a DESCRIBE's rows keep their column order).
 * A statement that fails is split in halves until the failing queries are alone: those get null and
 * are bound alone by the caller, which reports their errors.
 */
async function describeMany(conn: DuckDBConnection, queries: readonly string[]): Promise<(ColumnSchema[] | null)[]> {
  const schemas: (ColumnSchema[] | null)[] = queries.map(() => null);
  const describe = async (items: readonly { query: string; i: number }[]): Promise<void> => {
    const union = items.map(({ query, i }) => `SELECT ${i} AS i, column_name, column_type FROM (DESCRIBE\n${query}\n)`).join("\nUNION ALL\n");
    try {
      const rows = await conn.rows(union);
      for (const { i } of items) schemas[i] = [];
      for (const [i, name, type] of rows) schemas[Number(i)]!.push({ name: String(name), type: String(type) });
    } catch {
      if (items.length === 1) return;
      const half = Math.ceil(items.length / 2);
      await describe(items.slice(0, half));
      await describe(items.slice(half));
    }
  };
  for (const chunk of chunked(queries.map((query, i) => ({ query, i })), (q) => q.query.length, 100)) await describe(chunk);
  return schemas;
}

/** Catalog table name -> the columns the query binds from it (all of them without a plan). */
function columnsUsedBy(ctx: ScratchContext, input: BindModelInput, bound: ReadonlyMap<string, ReadonlySet<number>> | undefined): Map<string, string[]> {
  const columnsUsed = new Map<string, string[]>();
  for (const ref of input.tableRefs) {
    const table = ctx.table(ref.name);
    if (!table) continue;
    const all = new Set(table.schema.map((_, i) => i));
    columnsUsed.set(table.name, columnsAt(table.schema, bound ? bound.get(table.name.toLowerCase()) : all));
  }
  return columnsUsed;
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

/** Source table -> the WHERE conjuncts that can run inside its scan (see sql-pushdown.ts). */
async function pushdownConjuncts(ctx: ScratchContext, input: BindModelInput, parsed: ParsedSql): Promise<Map<string, JsonObject[]>> {
  if (!input.sources || input.sources.size === 0 || parsed.ast === null) return new Map();
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
  return conjuncts;
}
