/**
 * Descriptions of columns and sources, checked against what they describe: a model's column
 * descriptions (`-- bp: column c = ...`, TS `columns: { c: { type, description } }`) against its
 * bound output schema, `sources:` of bp_project.yml against the lake's tables and their columns.
 * A description of a column a model does not output is an error (BP0111: it would silently vanish
 * from the docs); one of a source or source column the branch does not have is a warning (the lake
 * differs by branch and by day). Descriptions never change a node's cache key.
 */
import { diagnostic, didYouMean, type Diagnostic } from "./diagnostics.js";
import type { BoundModel } from "./bind-schemas.js";
import type { LogicalPlan } from "./logical-plan.js";
import { PROJECT_FILE, type SourceDoc } from "./project-config.js";
import type { ColumnSchema } from "./plan-types.js";

export interface SourceDescription {
  readonly description: string | null;
  /** By column name as the table spells it. */
  readonly columns: Readonly<Record<string, string>>;
}

export interface ProjectDocs {
  /** Model name -> output column (as the schema spells it) -> description, in schema order. */
  readonly models: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Source table name (as the lake spells it) -> its description and its columns'. */
  readonly sources: ReadonlyMap<string, SourceDescription>;
  readonly diagnostics: readonly Diagnostic[];
}

export function checkDocs(
  logical: LogicalPlan,
  bound: ReadonlyMap<string, BoundModel>,
  sourceDocs: readonly SourceDoc[],
): ProjectDocs {
  const lakeTables: Readonly<Record<string, { readonly schema: readonly ColumnSchema[] }>> = logical.sources;
  const modelByLower = new Set([...logical.models.keys()].map((n) => n.toLowerCase()));
  const diagnostics: Diagnostic[] = [];
  const models = new Map<string, Record<string, string>>();
  for (const model of logical.models.values()) {
    if (model.columnDocs.length === 0) continue;
    const schema = bound.get(model.name)?.schema ?? null;
    if (schema === null) {
      // Output known only at run time: kept as written, unchecked.
      models.set(model.name, Object.fromEntries(model.columnDocs.map((d) => [d.column, d.description])));
      continue;
    }
    const given = new Map(model.columnDocs.map((d) => [d.column.toLowerCase(), d] as const));
    for (const d of model.columnDocs) {
      if (schema.some((c) => c.name.toLowerCase() === d.column.toLowerCase())) continue;
      const names = schema.map((c) => c.name);
      const suggestion = didYouMean(d.column, names);
      diagnostics.push(
        diagnostic(
          "BP0111",
          `"${model.name}" has no output column "${d.column}" to describe${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          d.at,
          `its columns are ${names.join(", ")}: describe one of them or remove the line`,
        ),
      );
    }
    models.set(model.name, Object.fromEntries(schema.flatMap((c) => {
      const d = given.get(c.name.toLowerCase());
      return d ? [[c.name, d.description]] : [];
    })));
  }

  const sources = new Map<string, SourceDescription>();
  const tableByLower = new Map(Object.keys(lakeTables).map((t) => [t.toLowerCase(), t] as const));
  for (const doc of sourceDocs) {
    const at = { file: PROJECT_FILE, ...doc.at };
    const table = tableByLower.get(doc.table.toLowerCase());
    if (table === undefined) {
      const isModel = modelByLower.has(doc.table.toLowerCase());
      const suggestion = didYouMean(doc.table, Object.keys(lakeTables));
      const message = isModel
        ? `"${doc.table}" under sources: is a model of this project, not a source`
        : `source "${doc.table}" described in ${PROJECT_FILE} is not a table of this branch${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
      const hint = isModel
        ? "describe a model in its own file (`-- bp: description = ...` / `description:`)"
        : "import it with bp import, or check the name; descriptions of tables the branch does not have are not shown";
      diagnostics.push(diagnostic("BP0111", message, at, hint, "warning"));
      continue;
    }
    const schema = lakeTables[table]!.schema;
    const columns: Record<string, string> = {};
    const described = new Map(doc.columns.map((c) => [c.column.toLowerCase(), c] as const));
    for (const c of doc.columns) {
      if (schema.some((s) => s.name.toLowerCase() === c.column.toLowerCase())) continue;
      const suggestion = didYouMean(c.column, schema.map((s) => s.name));
      diagnostics.push(
        diagnostic(
          "BP0111",
          `source "${table}" has no column "${c.column}" on this branch${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          { file: PROJECT_FILE, ...c.at },
          `its columns are ${schema.map((s) => s.name).join(", ")}`,
          "warning",
        ),
      );
    }
    for (const s of schema) {
      const d = described.get(s.name.toLowerCase());
      if (d) columns[s.name] = d.description;
    }
    sources.set(table, { description: doc.description, columns });
  }
  return { models, sources, diagnostics };
}
