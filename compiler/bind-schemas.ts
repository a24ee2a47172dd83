/**
 * Binds every model, in dependency order, against empty tables of its inputs' schemas (DuckDB),
 * giving each model its output schema and, per input, the columns and filter it reads.
 * A model whose input schema is unknown (a TS model without declared `columns`) is not bound:
 * its schema is null and it reads every column of its inputs.
 */
import { diagnostic, didYouMean, offsetToLineColumn, type Diagnostic } from "./diagnostics.js";
import type { LogicalPlan, LogicalSqlModel, LogicalTsModel } from "./logical-plan.js";
import type { ColumnSchema } from "./plan-types.js";
import type { ScratchCatalog } from "./sql/index.js";
import { duckdbTypeToArrow } from "../runtime/arrow/types.js";
import { NARROWED_FOR_ARROW } from "../runtime/arrow/narrowed-types.js";

/** One input read by a model: which table, which columns (null = all), which filter. */
export interface InputRead {
  readonly table: string; // canonical name of the model or source
  readonly from: "model" | "source";
  readonly param: string | null; // TS input parameter
  readonly columns: readonly string[] | null;
  readonly filter: string | null;
  /** Columns the filter reads (they must be scanned even when not returned). */
  readonly filterColumns: readonly string[];
}

export interface BoundModel {
  readonly name: string;
  readonly schema: readonly ColumnSchema[] | null;
  readonly reads: readonly InputRead[];
}

export async function bindSchemas(
  logical: LogicalPlan,
  scratch: ScratchCatalog,
): Promise<{ bound: Map<string, BoundModel>; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const schemas = new Map<string, readonly ColumnSchema[] | null>();
  for (const [name, entry] of Object.entries(logical.sources)) {
    schemas.set(name, entry.schema);
    await scratch.addTable(name, entry.schema);
  }
  const failed = new Set<string>();
  const bound = new Map<string, BoundModel>();

  for (const name of logical.order) {
    const model = logical.models.get(name)!;
    const resolved = logical.resolved.get(name)!;
    const upstream = [...resolved.values()];
    const unresolved = model.refs.some((ref) => !resolved.has(ref.name.toLowerCase()));
    if (unresolved || upstream.some((r) => r.kind === "model" && failed.has(r.name))) {
      failed.add(name); // an input is broken or unknown: already reported there
      continue;
    }
    const result =
      model.kind === "sql"
        ? await bindSql(model, logical, schemas, scratch)
        : await bindTs(model, logical, schemas, scratch);
    diagnostics.push(...result.diagnostics);
    if (result.diagnostics.some((d) => d.severity === "error")) {
      failed.add(name);
      continue;
    }
    bound.set(name, result.model);
    schemas.set(name, result.model.schema);
    if (result.model.schema) await scratch.addTable(name, result.model.schema);
  }
  return { bound, diagnostics };
}

async function bindSql(
  model: LogicalSqlModel,
  logical: LogicalPlan,
  schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>,
  scratch: ScratchCatalog,
): Promise<{ model: BoundModel; diagnostics: Diagnostic[] }> {
  const resolved = [...logical.resolved.get(model.name)!.values()];
  const unknownInput = resolved.some((r) => schemas.get(r.name) == null);
  if (unknownInput) {
    // Cannot bind without every input's schema: read all columns of each input, no pushdown.
    const reads = resolved.map((r) => ({ table: r.name, from: r.kind, param: null, columns: null, filter: null, filterColumns: [] }));
    return { model: { name: model.name, schema: null, reads }, diagnostics: [] };
  }
  const sources = new Set(resolved.filter((r) => r.kind === "source").map((r) => r.name.toLowerCase()));
  const b = await scratch.bindModel({
    file: model.file,
    sourceText: model.text,
    rendered: model.sql,
    toSourceOffset: model.toSourceOffset,
    tableRefs: model.refs,
    sources,
  });
  const reads = resolved.map((r): InputRead => {
    const columns = lookup(b.columnsUsed, r.name) ?? [];
    const filter = r.kind === "source" ? (lookup(b.pushdown, r.name) ?? null) : null;
    return { table: r.name, from: r.kind, param: null, columns, filter, filterColumns: [] };
  });
  return { model: { name: model.name, schema: b.schema, reads }, diagnostics: b.diagnostics };
}

async function bindTs(
  model: LogicalTsModel,
  logical: LogicalPlan,
  schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>,
  scratch: ScratchCatalog,
): Promise<{ model: BoundModel; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const resolved = logical.resolved.get(model.name)!;
  const reads: InputRead[] = [];
  for (const input of model.settings.inputs) {
    const r = resolved.get(input.table.toLowerCase())!;
    const schema = schemas.get(r.name) ?? null;
    let filterColumns: string[] = [];
    let filter = input.filter;
    let columns = input.columns;
    if (schema) {
      const names = schema.map((c) => c.name);
      const canonical: string[] = [];
      (input.columns ?? []).forEach((col, i) => {
        const match = names.find((n) => n.toLowerCase() === col.toLowerCase());
        if (match) {
          canonical.push(match);
          return;
        }
        const suggestion = didYouMean(col, names);
        const at = input.columnsAt?.[i] ?? input.at;
        diagnostics.push(
          diagnostic(
            "BP0104",
            `column "${col}" does not exist in "${r.name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
            { file: model.file, line: at.line, column: at.column },
            `"${r.name}" has columns: ${names.join(", ")}`,
          ),
        );
      });
      if (input.columns) columns = canonical;
      diagnostics.push(...unsupportedInputTypes(model, input, r.name, schema, columns));
      if (input.filter !== null) {
        const checked = await scratch.checkFilter(model.file, input.filter, input.filterAt ?? input.at, r.name, schema);
        diagnostics.push(...checked.diagnostics);
        filterColumns = checked.columns;
        // DuckDB's normalized text: no comments that could swallow SQL the runtime wraps around it.
        if (checked.sql !== null) filter = checked.sql;
      }
    }
    reads.push({ table: r.name, from: r.kind, param: input.param, columns, filter, filterColumns });
  }
  const schema = model.settings.columns ? await declaredSchema(model, scratch, diagnostics) : null;
  return { model: { name: model.name, schema, reads }, diagnostics };
}

function lookup<T>(map: ReadonlyMap<string, T>, name: string): T | undefined {
  if (map.has(name)) return map.get(name);
  for (const [k, v] of map) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/;

/** The declared output columns with DuckDB's spelling of each type; unknown types are BP0204. */
async function declaredSchema(model: LogicalTsModel, scratch: ScratchCatalog, diagnostics: Diagnostic[]): Promise<ColumnSchema[]> {
  const schema: ColumnSchema[] = [];
  for (const c of model.settings.columns!) {
    const normalized = TYPE_NAME.test(c.type.trim()) ? await scratch.normalizeType(c.type.trim()) : null;
    if (normalized !== null) {
      schema.push({ name: c.name, type: normalized });
      continue;
    }
    diagnostics.push(
      diagnostic(
        "BP0204",
        `column "${c.name}" is declared with type "${c.type}", which DuckDB does not know`,
        { file: model.file, ...typeLiteralAt(model.text, c.type, model.at) },
        'use a DuckDB type name, e.g. "BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP", "DECIMAL(18,2)"',
      ),
    );
  }
  return schema;
}

/** Where the type's string literal is written (searched after `columns`), else the model's place. */
function typeLiteralAt(text: string, type: string, fallback: { line: number; column: number }): { line: number; column: number } {
  const start = Math.max(0, text.search(/\bcolumns\s*:\s*\{/));
  for (const quote of ['"', "'", "`"]) {
    const at = text.indexOf(`${quote}${type}${quote}`, start);
    if (at >= 0) return offsetToLineColumn(text, at);
  }
  return fallback;
}

/** Columns a TS input would receive whose DuckDB type has no Arrow form bp can hand over yet. */
function unsupportedInputTypes(
  model: LogicalTsModel,
  input: LogicalTsModel["settings"]["inputs"][number],
  table: string,
  schema: readonly ColumnSchema[],
  columns: readonly string[] | null,
): Diagnostic[] {
  const wanted = columns ? schema.filter((c) => columns.some((n) => n.toLowerCase() === c.name.toLowerCase())) : schema;
  const bad = wanted.filter((c) => {
    try {
      duckdbTypeToArrow(NARROWED_FOR_ARROW[c.type] ?? c.type);
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length === 0) return [];
  return [
    diagnostic(
      "BP0205",
      `input "${input.param}" reads ${bad.map((c) => `"${c.name}" (${c.type})`).join(", ")} from "${table}": ${bad.length === 1 ? "this type" : "these types"} cannot be handed to a TS model yet`,
      { file: model.file, line: input.at.line, column: input.at.column },
      `leave ${bad.length === 1 ? "it" : "them"} out with columns: [...], or have "${table}" return a supported type (numbers, DECIMAL, VARCHAR, BLOB, BOOLEAN, DATE, TIME, TIMESTAMP), e.g. CAST(x AS VARCHAR) or to_json(x)`,
    ),
  ];
}
