/**
 * The logical plan: every model read by its front end (SQL or TS), its references resolved to
 * models or lake sources, and the DAG checked (unknown tables, shadowing, cycles).
 * Nothing here binds schemas; that is bind-schemas.ts.
 */
import { createHash } from "node:crypto";
import { diagnostic, didYouMean, hasErrors, type Diagnostic } from "./diagnostics.js";
import type { ModelFile } from "./discover-models.js";
import { findCycles, topologicalOrder } from "./graph.js";
import type { SourceLocation } from "./plan-types.js";
import { parseModelsSql, parseSqlHeader, renderSqlTemplate, type ParsedSql, type RenderedSql, type SqlHeader, type SqlParser } from "./sql/index.js";
import { sqlAstHash } from "./sql/sql-ast-hash.js";
import type { JsonObject } from "./sql/sql-json.js";
import type { TsModelSettings } from "./ts/read-ts-model.js";
import { readTs, type TsReadCache } from "./ts/read-cache.js";
import type { VarValue } from "./vars.js";
import type { TableEntry } from "../runtime/lake/types.js";

export interface TableRef {
  /** As the user spelled it. */
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

interface LogicalModelBase {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  readonly at: SourceLocation;
  readonly codeHash: string;
  readonly description: string | null;
  readonly materialize: boolean;
  /** Tables it reads, as written, in order of first appearance. */
  readonly refs: readonly TableRef[];
  /** Sources it reads at a lake ref (`-- bp: ref t = friday`, `input("t", { ref: "friday" })`). */
  readonly pins: readonly SourcePin[];
  /** Output column descriptions as written (`-- bp: column c = ...`, `columns: { c: { description } }`), in file order. */
  readonly columnDocs: readonly ColumnDoc[];
}

/** A description of one output column; `at` is the column name as written. */
export interface ColumnDoc {
  readonly column: string;
  readonly description: string;
  readonly at: SourceLocation;
}

/** A source table pinned to a lake ref by a model; `at` is the ref as written. */
export interface SourcePin {
  readonly table: string;
  readonly ref: string;
  readonly at: SourceLocation;
}

export interface LogicalSqlModel extends LogicalModelBase {
  readonly kind: "sql";
  /** The SELECT after template rendering. */
  readonly sql: string;
  readonly toSourceOffset: (renderedOffset: number) => number;
  /** sha256 of DuckDB's parse tree without source positions: comments and whitespace do not change it. */
  readonly astHash: string;
  /**
   * DuckDB's parse of `sql`, kept when the model may read a source (a reference that is not a model
   * of the project) so that pushdown does not parse it again (its table-ref sites with it).
   */
  readonly parsed?: ParsedSql;
  /** DuckDB's parse tree of `sql` (the statement's query node), for column lineage (sql/sql-lineage.ts). */
  readonly ast: JsonObject | null;
}

export interface LogicalTsModel extends LogicalModelBase {
  readonly kind: "ts";
  readonly settings: TsModelSettings;
}

export type LogicalModel = LogicalSqlModel | LogicalTsModel;

/** What a reference resolved to: a model of the project or a source table of the lake. */
export type Resolved = { readonly kind: "model"; readonly name: string } | { readonly kind: "source"; readonly name: string };

export interface LogicalPlan {
  /** Models that could be read (possibly with reported errors), by name. */
  readonly models: ReadonlyMap<string, LogicalModel>;
  /** Source tables of the lake (imported, not produced by a model of this project), by name. */
  readonly sources: Readonly<Record<string, TableEntry>>;
  /** For each model, its resolved references, one per referenced table (in ref order). */
  readonly resolved: ReadonlyMap<string, ReadonlyMap<string /* lower-cased ref */, Resolved>>;
  /** Models in a stable topological order, leaving out those in or downstream of a cycle. */
  readonly order: readonly string[];
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Reads each model through its front end. Models that cannot be read (SQL that does not parse, a TS
 * file without a model) are left out, their diagnostics kept; a TS model with invalid settings is
 * kept with its valid ones so that its references and columns are still checked.
 * SQL models are parsed by DuckDB many per statement (parseModelsSql); results and diagnostics
 * come out in file order.
 */
export async function readModels(
  files: readonly ModelFile[],
  vars: Readonly<Record<string, VarValue>>,
  parser: SqlParser,
  options: ReadModelsOptions = {},
): Promise<{ models: LogicalModel[]; diagnostics: Diagnostic[] }> {
  const read: { model?: LogicalModel; diagnostics: Diagnostic[] }[] = [];
  const sql: { slot: (typeof read)[number]; f: ModelFile; header: SqlHeader; rendered: RenderedSql }[] = [];
  for (const f of files) {
    const slot: (typeof read)[number] = { diagnostics: [] };
    read.push(slot);
    if (f.kind === "sql") {
      const header = parseSqlHeader(f.file, f.text);
      const rendered = renderSqlTemplate(f.file, f.text, vars);
      slot.diagnostics.push(...header.diagnostics, ...rendered.diagnostics);
      if (!hasErrors(rendered.diagnostics)) sql.push({ slot, f, header, rendered });
      continue;
    }
    const ts = await readTs(f.file, f.text, options.tsCache);
    slot.diagnostics.push(...ts.diagnostics);
    // A TS model with invalid settings (BP0203/BP0204) still joins the graph with the settings that
    // are valid (defaults in place of invalid values), so the file's other errors are reported too.
    const s = ts.partialSettings;
    if (!s) continue;
    slot.model = {
      ...base(f),
      kind: "ts",
      at: { file: f.file, line: s.at.line, column: s.at.column },
      description: s.description,
      materialize: s.materialize,
      refs: s.inputs.map((i) => ({ name: i.table, line: i.tableAt.line, column: i.tableAt.column })),
      pins: s.inputs.flatMap((i) => (i.ref !== null && i.refAt !== null ? [{ table: i.table, ref: i.ref, at: { file: f.file, line: i.refAt.line, column: i.refAt.column } }] : [])),
      columnDocs: s.columnDocs.map((d) => ({ column: d.column, description: d.description, at: { file: f.file, line: d.at.line, column: d.at.column } })),
      settings: s,
    };
  }

  // Every model keeps its query tree (column lineage); the full parse with its table-ref sites is kept
  // only for a model that may read a source (a reference that is not a model of the project), for pushdown.
  const modelNames = new Set((options.modelNames ?? files.map((f) => f.name)).map((n) => n.toLowerCase()));
  const mayReadSource = (p: ParsedSql) => p.tableRefs.some((r) => !modelNames.has(r.name.toLowerCase()));
  const texts = sql.map(({ f, rendered }) => ({ file: f.file, sourceText: f.text, rendered: rendered.sql, toSourceOffset: rendered.toSourceOffset }));
  const parses = await parseModelsSql(parser.conn, texts, {
    sideConn: parser.sideConn,
    keep: (p) => ({ diagnostics: p.diagnostics, tableRefs: p.tableRefs, astHash: sqlAstHash(p.ast), ast: p.ast, tree: mayReadSource(p) ? p : undefined }),
  });
  sql.forEach(({ slot, f, header, rendered }, i) => {
    const parsed = parses[i]!;
    slot.diagnostics.push(...parsed.diagnostics);
    // A bad header setting does not keep the model out of the graph: its references are still
    // resolved and its SQL bound, so the file's other errors are reported in the same pass.
    if (hasErrors(parsed.diagnostics)) return;
    slot.model = {
      ...base(f),
      kind: "sql",
      at: { file: f.file, line: 1, column: 1 },
      description: header.description,
      materialize: header.materialize,
      refs: parsed.tableRefs,
      pins: header.refs.map((r) => ({ table: r.table, ref: r.ref, at: { file: f.file, line: r.line, column: r.column } })),
      columnDocs: header.columnDocs.map((d) => ({ column: d.column, description: d.description, at: { file: f.file, line: d.line, column: d.nameColumn } })),
      sql: rendered.sql,
      toSourceOffset: rendered.toSourceOffset,
      astHash: parsed.astHash,
      ast: parsed.ast,
      ...(parsed.tree ? { parsed: parsed.tree } : {}),
    };
  });
  return {
    models: read.flatMap((r) => (r.model ? [r.model] : [])),
    diagnostics: read.flatMap((r) => r.diagnostics),
  };
}

export interface ReadModelsOptions {
  /** Where TS models' static reads are cached (see ts-cache.ts); no cache when absent. */
  readonly tsCache?: TsReadCache;
  /** Names of every model file of the project, when `files` are only some of them (default: theirs). */
  readonly modelNames?: readonly string[];
}

function base(f: ModelFile) {
  return { name: f.name, file: f.file, text: f.text, codeHash: sha256(f.text) };
}

/**
 * Resolves every reference to a model or a source, reports unknown tables (with "did you mean"),
 * models that shadow an imported source, and cycles (with their path).
 * `modelFileNames` are the names of every model file found, also those that failed to read, so that
 * a reference to a broken model is not reported as unknown as well.
 */
export function resolveReferences(
  models: readonly LogicalModel[],
  modelFileNames: readonly string[],
  lakeTables: Readonly<Record<string, TableEntry>>,
): { plan: LogicalPlan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const modelsByLower = new Map(models.map((m) => [m.name.toLowerCase(), m] as const));
  const allModelNames = new Set(modelFileNames.map((n) => n.toLowerCase()));

  // A lake table is a source unless a model of this project produces it (its earlier materialization).
  const sources: Record<string, TableEntry> = {};
  for (const [name, entry] of Object.entries(lakeTables)) {
    const producer = entry.producedBy ?? null;
    if (allModelNames.has(name.toLowerCase())) {
      if (producer !== null && producer.toLowerCase() === name.toLowerCase()) continue;
      const model = modelsByLower.get(name.toLowerCase());
      diagnostics.push(
        diagnostic(
          "BP0403",
          `model "${model?.name ?? name}" has the same name as the source table "${name}" in the lake`,
          model ? { file: model.file, line: 1, column: 1 } : undefined,
          `rename the model file (a model is named after its file): "${name}" is taken by the imported source`,
        ),
      );
      continue;
    }
    sources[name] = entry;
  }
  const sourcesByLower = new Map(Object.keys(sources).map((n) => [n.toLowerCase(), n] as const));

  const resolved = new Map<string, Map<string, Resolved>>();
  const deps = new Map<string, string[]>();
  const refAt = new Map<string, TableRef>(); // "a->b" -> location of b in a
  for (const m of models) {
    const mine = new Map<string, Resolved>();
    for (const ref of m.refs) {
      const key = ref.name.toLowerCase();
      if (mine.has(key)) continue;
      const model = modelsByLower.get(key);
      if (model) {
        mine.set(key, { kind: "model", name: model.name });
        refAt.set(`${m.name}->${model.name}`, ref);
        continue;
      }
      const source = sourcesByLower.get(key);
      if (source !== undefined) {
        mine.set(key, { kind: "source", name: source });
        continue;
      }
      if (allModelNames.has(key)) continue; // a model that failed to compile: already reported
      // Every model file counts (also one that failed to read), except the model itself: reading
      // itself would be a cycle.
      const otherModels = [...new Set(modelFileNames)].filter((n) => n.toLowerCase() !== m.name.toLowerCase()).sort();
      const sourceNames = Object.keys(sources).sort();
      const suggestion = didYouMean(ref.name, [...otherModels, ...sourceNames]);
      const list = (names: string[]) => `${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""}`;
      diagnostics.push(
        diagnostic(
          "BP0102",
          `unknown table "${ref.name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          { file: m.file, line: ref.line, column: ref.column },
          `a table is a source of the lake (${sourceNames.length ? list(sourceNames) : "none yet: bp import <file> --table <name>"})` +
            ` or another model of the project (${otherModels.length ? list(otherModels) : "none"})`,
        ),
      );
    }
    resolved.set(m.name, mine);
    deps.set(
      m.name,
      [...mine.values()].filter((r) => r.kind === "model").map((r) => r.name),
    );
  }

  const names = models.map((m) => m.name);
  const cycles = findCycles(names, deps);
  for (const cycle of cycles) {
    const first = models.find((m) => m.name === cycle[0])!;
    const at = refAt.get(`${cycle[0]}->${cycle[1]}`);
    diagnostics.push(
      diagnostic(
        "BP0401",
        `cycle: ${cycle.join(" -> ")}`,
        { file: first.file, line: at?.line ?? 1, column: at?.column ?? 1 },
        "each model reads the next; models must form a DAG: remove one of these references",
      ),
    );
  }
  // Models in a cycle, or downstream of one, cannot be ordered; the rest are still bound and checked.
  const blocked = new Set(cycles.flat());
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of names) {
      if (!blocked.has(name) && (deps.get(name) ?? []).some((d) => blocked.has(d))) {
        blocked.add(name);
        grew = true;
      }
    }
  }
  const order = topologicalOrder(
    names.filter((n) => !blocked.has(n)),
    deps,
  )!;
  return {
    plan: { models: new Map(models.map((m) => [m.name, m])), sources, resolved, order },
    diagnostics,
  };
}
