/**
 * Binds every model, in dependency order, against empty tables of its inputs' schemas (DuckDB),
 * giving each model its output schema and, per input, the columns and filter it reads.
 * A model whose input schema is unknown (a TS model without declared `columns`) is not bound:
 * its schema is null and it reads every column of its inputs.
 */
import { diagnostic, didYouMean, hasErrors, offsetToLineColumn, type Diagnostic } from "./diagnostics.js";
import type { LogicalPlan, LogicalSqlModel, LogicalTsModel } from "./logical-plan.js";
import type { ColumnSchema } from "./plan-types.js";
import type { BindModelInput, BoundModel as SqlBound, ScratchCatalog, ScratchTable } from "./sql/index.js";
import { ArrowHandoff } from "./arrow-handoff.js";

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

export interface BindOptions {
  /**
   * Bind one model after the other in topological order, each against every table bound before it
   * (the reference the batched path must equal; tests compare the two). Default: batched.
   */
  readonly sequential?: boolean;
  /** Which column types can be handed to TS models (with its cache); default: asks the runtime. */
  readonly arrow?: ArrowHandoff;
  /**
   * Bindings kept from earlier compiles (incremental-compiler.ts): a model whose text and inputs'
   * schemas are the same as when it bound cleanly is not bound again. Batched pass only.
   */
  readonly memo?: BindMemo;
}

/**
 * Clean bindings (no diagnostic) by what they depend on: the model's file, text and rendered SQL,
 * its references and what each resolved to, and the schema of each input. A model with a diagnostic
 * is never kept: its messages may depend on other tables (did-you-mean lists).
 */
export class BindMemo {
  private kept = new Map<string, BoundModel>();
  private used = new Map<string, BoundModel>();
  hits = 0;

  get(key: string): BoundModel | undefined {
    const found = this.used.get(key) ?? this.kept.get(key);
    if (found) {
      this.used.set(key, found);
      this.hits++;
    }
    return found;
  }

  set(key: string, model: BoundModel): void {
    this.used.set(key, model);
  }

  /** Ends a compile: keeps only what it used or made. */
  endCompile(): void {
    this.kept = this.used;
    this.used = new Map();
    this.hits = 0;
  }
}

/** The memo key of a model's binding (see BindMemo). */
function memoKey(name: string, logical: LogicalPlan, schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>): string {
  const model = logical.models.get(name)!;
  const resolved = [...logical.resolved.get(name)!.entries()].map(([ref, r]) => [ref, r.kind, r.name, schemas.get(r.name) ?? null]);
  return JSON.stringify([model.kind, model.name, model.file, model.text, model.kind === "sql" ? model.sql : null, model.refs, resolved]);
}

/** A model's binding: its BoundModel, or null when it has errors; and its diagnostics. */
interface Step {
  readonly model: BoundModel | null;
  readonly diagnostics: Diagnostic[];
}

/** What binding has found so far: schemas of sources and bound models, failed models, each model's step. */
class BindState {
  readonly schemas = new Map<string, readonly ColumnSchema[] | null>();
  readonly failed = new Set<string>();
  readonly steps = new Map<string, Step>();

  constructor(
    readonly logical: LogicalPlan,
    readonly arrow: ArrowHandoff,
  ) {
    for (const [name, entry] of Object.entries(logical.sources)) this.schemas.set(name, entry.schema);
  }

  /** An input is unknown or broken (already reported there): the model is left out. */
  blocked(name: string): boolean {
    const model = this.logical.models.get(name)!;
    const resolved = this.logical.resolved.get(name)!;
    const unresolved = model.refs.some((ref) => !resolved.has(ref.name.toLowerCase()));
    return unresolved || [...resolved.values()].some((r) => r.kind === "model" && this.failed.has(r.name));
  }

  record(name: string, step: Step): void {
    this.steps.set(name, step);
    if (step.model) this.schemas.set(name, step.model.schema);
    else this.failed.add(name);
  }

  /** The scratch table of a bound model with a known schema. */
  table(name: string): ScratchTable[] {
    const schema = this.steps.get(name)?.model?.schema;
    return schema ? [{ name, schema }] : [];
  }
}

/**
 * Binds every model. Batched (the default): models are bound level by level (a model's level is one
 * more than its deepest model input), each level's SQL models together (ScratchCatalog.bindCleanModels)
 * and their output tables created in one script; a model that does not bind cleanly is bound alone.
 * A model's diagnostics may depend on which other tables exist (unknown tables read through
 * query_table(), did-you-mean lists), and the sequential pass is the reference for that: every model
 * with a diagnostic is bound again, in order, against exactly the tables the sequential pass would
 * have had (sources, then every model before it in the order that bound).
 */
export async function bindSchemas(
  logical: LogicalPlan,
  scratch: ScratchCatalog,
  options: BindOptions = {},
): Promise<{ bound: Map<string, BoundModel>; diagnostics: Diagnostic[] }> {
  await scratch.addTables(Object.entries(logical.sources).map(([name, entry]) => ({ name, schema: entry.schema })));
  const arrow = options.arrow ?? new ArrowHandoff();
  let state = options.sequential ? await bindSequential(logical, scratch, arrow) : await bindBatched(logical, scratch, arrow, options.memo);
  if (state === undefined) {
    // Not expected: replaying a model gave another outcome. Start over, one model at a time.
    await scratch.dropTables([...logical.models.keys()]);
    state = await bindSequential(logical, scratch, arrow);
  }
  const bound = new Map<string, BoundModel>();
  const diagnostics: Diagnostic[] = [];
  for (const name of logical.order) {
    const step = state.steps.get(name);
    if (!step) continue;
    diagnostics.push(...step.diagnostics);
    if (step.model) bound.set(name, step.model);
  }
  return { bound, diagnostics };
}

async function bindSequential(logical: LogicalPlan, scratch: ScratchCatalog, arrow: ArrowHandoff): Promise<BindState> {
  const state = new BindState(logical, arrow);
  for (const name of logical.order) {
    if (state.blocked(name)) {
      state.failed.add(name);
      continue;
    }
    state.record(name, await bindAlone(name, state, scratch));
    for (const t of state.table(name)) await scratch.addTable(t.name, t.schema);
  }
  return state;
}

/** The batched pass, or undefined when a replayed model disagrees with it (see bindSchemas). */
async function bindBatched(logical: LogicalPlan, scratch: ScratchCatalog, arrow: ArrowHandoff, memo?: BindMemo): Promise<BindState | undefined> {
  const state = new BindState(logical, arrow);
  const keys = new Map<string, string>();
  const record = (name: string, step: Step) => {
    state.record(name, step);
    const key = keys.get(name);
    if (key !== undefined && step.model && step.diagnostics.length === 0) memo!.set(key, step.model);
  };
  const read = new Set(logical.order.flatMap((name) => [...logical.resolved.get(name)!.values()].filter((r) => r.kind === "model").map((r) => r.name)));
  // Tables of bound models are created when a later bind needs them: with a memo, a level whose
  // models were all kept binds nothing and needs none.
  const pending: ScratchTable[] = [];
  const flush = async () => {
    if (pending.length > 0) await scratch.addTables(pending.splice(0));
  };
  for (const level of dependencyLevels(logical)) {
    const batch: { name: string; model: LogicalSqlModel; input: BindModelInput }[] = [];
    for (const name of level) {
      if (state.blocked(name)) {
        state.failed.add(name);
        continue;
      }
      if (memo) {
        const key = memoKey(name, logical, state.schemas);
        const kept = memo.get(key);
        if (kept) {
          state.record(name, { model: kept, diagnostics: [] });
          continue;
        }
        keys.set(name, key);
      }
      const model = logical.models.get(name)!;
      const input = model.kind === "sql" ? bindInput(model, logical, state.schemas) : undefined;
      if (model.kind === "sql" && input) batch.push({ name, model, input });
      else {
        await flush();
        record(name, await bindAlone(name, state, scratch));
      }
    }
    if (batch.length > 0) await flush();
    const clean = await scratch.bindCleanModels(batch.map((b) => b.input));
    for (const [k, { name, model }] of batch.entries()) {
      const b = clean[k];
      if (!b) await flush();
      record(name, b ? { model: boundSql(model, logical, b), diagnostics: [] } : await bindAlone(name, state, scratch));
    }
    // Only models that another model reads need a table to bind against.
    pending.push(...level.filter((name) => read.has(name)).flatMap((name) => state.table(name)));
  }
  return (await replayWithDiagnostics(state, scratch)) ? state : undefined;
}

/**
 * Binds again, in order, every model that has a diagnostic, against the tables the sequential pass
 * would have had at that point. False when a model's outcome (bound or not) changes.
 */
async function replayWithDiagnostics(state: BindState, scratch: ScratchCatalog): Promise<boolean> {
  const order = state.logical.order;
  const replayed = order.flatMap((name, i) => ((state.steps.get(name)?.diagnostics.length ?? 0) > 0 ? [i] : []));
  if (replayed.length === 0) return true;
  await scratch.dropTables(order.filter((name) => state.table(name).length > 0));
  let created = 0;
  for (const i of replayed) {
    await scratch.addTables(order.slice(created, i).flatMap((name) => state.table(name)));
    created = i;
    const name = order[i]!;
    const again = await bindAlone(name, state, scratch);
    if ((again.model === null) !== (state.steps.get(name)!.model === null)) return false;
    state.record(name, again);
  }
  await scratch.addTables(order.slice(created).flatMap((name) => state.table(name)));
  return true;
}

/** Models of `logical.order` grouped by level: 0 reads no model, n reads models of levels below n. */
function dependencyLevels(logical: LogicalPlan): string[][] {
  const levelOf = new Map<string, number>();
  const levels: string[][] = [];
  for (const name of logical.order) {
    let level = 0;
    for (const r of logical.resolved.get(name)!.values()) {
      const below = r.kind === "model" ? levelOf.get(r.name) : undefined;
      if (below !== undefined) level = Math.max(level, below + 1);
    }
    levelOf.set(name, level);
    (levels[level] ??= []).push(name);
  }
  return levels;
}

/** One model bound on its own against the catalog as it is now. */
async function bindAlone(name: string, state: BindState, scratch: ScratchCatalog): Promise<Step> {
  const model = state.logical.models.get(name)!;
  const result = model.kind === "sql" ? await bindSql(model, state.logical, state.schemas, scratch) : await bindTs(model, state.logical, state.schemas, scratch, state.arrow);
  return { model: hasErrors(result.diagnostics) ? null : result.model, diagnostics: result.diagnostics };
}

/** What sql-bind needs to bind a SQL model, or undefined when an input's schema is unknown. */
function bindInput(model: LogicalSqlModel, logical: LogicalPlan, schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>): BindModelInput | undefined {
  const resolved = [...logical.resolved.get(model.name)!.values()];
  if (resolved.some((r) => schemas.get(r.name) == null)) return undefined;
  return {
    file: model.file,
    sourceText: model.text,
    rendered: model.sql,
    toSourceOffset: model.toSourceOffset,
    tableRefs: model.refs,
    sources: new Set(resolved.filter((r) => r.kind === "source").map((r) => r.name.toLowerCase())),
    parsed: model.parsed,
  };
}

async function bindSql(
  model: LogicalSqlModel,
  logical: LogicalPlan,
  schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>,
  scratch: ScratchCatalog,
): Promise<{ model: BoundModel; diagnostics: Diagnostic[] }> {
  const input = bindInput(model, logical, schemas);
  if (!input) {
    // Cannot bind without every input's schema: read all columns of each input, no pushdown.
    const resolved = [...logical.resolved.get(model.name)!.values()];
    const reads = resolved.map((r) => ({ table: r.name, from: r.kind, param: null, columns: null, filter: null, filterColumns: [] }));
    return { model: { name: model.name, schema: null, reads }, diagnostics: [] };
  }
  const b = await scratch.bindModel(input);
  return { model: boundSql(model, logical, b), diagnostics: b.diagnostics };
}

function boundSql(model: LogicalSqlModel, logical: LogicalPlan, b: SqlBound): BoundModel {
  const reads = [...logical.resolved.get(model.name)!.values()].map((r): InputRead => {
    const columns = lookup(b.columnsUsed, r.name) ?? [];
    const filter = r.kind === "source" ? (lookup(b.pushdown, r.name) ?? null) : null;
    return { table: r.name, from: r.kind, param: null, columns, filter, filterColumns: [] };
  });
  return { name: model.name, schema: b.schema, reads };
}

async function bindTs(
  model: LogicalTsModel,
  logical: LogicalPlan,
  schemas: ReadonlyMap<string, readonly ColumnSchema[] | null>,
  scratch: ScratchCatalog,
  arrow: ArrowHandoff,
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
      diagnostics.push(...(await unsupportedInputTypes(model, input, r.name, schema, columns, arrow)));
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
async function unsupportedInputTypes(
  model: LogicalTsModel,
  input: LogicalTsModel["settings"]["inputs"][number],
  table: string,
  schema: readonly ColumnSchema[],
  columns: readonly string[] | null,
  arrow: ArrowHandoff,
): Promise<Diagnostic[]> {
  const wanted = columns ? schema.filter((c) => columns.some((n) => n.toLowerCase() === c.name.toLowerCase())) : schema;
  const bad: ColumnSchema[] = [];
  for (const c of wanted) if (!(await arrow.accepts(c.type))) bad.push(c);
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
