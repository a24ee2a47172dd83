/**
 * bauplan-ts: what a TS model imports.
 *
 *   import { model, input } from "bauplan-ts";
 *   export default model({ inputs: { data: input("transactions", { columns: ["id"] }) }, run({ data }) { ... } });
 *
 * The compiler reads the object literal passed to `model` statically; these functions only give
 * the runtime (and the editor) the same shape.
 */
import type { Table } from "apache-arrow";

export type { Table } from "apache-arrow";

export interface InputOptions {
  /** Columns to read (projection pushed down to the scan). Omit for all columns. */
  readonly columns?: readonly string[];
  /** One DuckDB boolean expression over the table's columns (filter pushed down to the scan). */
  readonly filter?: string;
  /**
   * Read this source table at a lake ref instead of the build's branch: a branch, a tag, a commit id
   * (or unique prefix) or `branch@2026-11-20T17:00` (UTC unless a zone is given). Resolved at compile
   * time; the plan records the commit.
   */
  readonly ref?: string;
}

export interface InputSpec extends InputOptions {
  readonly kind: "bp-input";
  readonly table: string;
}

/** Declares that a model reads `table` (a source in the lake or another model). */
export function input(table: string, options: InputOptions = {}): InputSpec {
  return { kind: "bp-input", table, ...options };
}

/** DuckDB type names accepted in a declared output schema. */
export type ColumnType = string;

export type RowObject = Record<string, unknown>;
export type ModelOutput = Table | readonly RowObject[];

export interface ModelSpec<Inputs extends Record<string, InputSpec>> {
  readonly description?: string;
  readonly inputs: Inputs;
  /** Write the output to the lake at the end of a successful build. Default false. */
  readonly materialize?: boolean;
  /** Heap limit of the model's process, e.g. "512MB", "2GB". Default "1GB". */
  readonly memory?: string;
  /** Declared output schema, e.g. { id: "BIGINT", usd: "DOUBLE" }. */
  readonly columns?: Readonly<Record<string, ColumnType>>;
  /** npm packages the model needs, name -> version range. */
  readonly packages?: Readonly<Record<string, string>>;
  run(inputs: { [K in keyof Inputs]: Table }): ModelOutput | Promise<ModelOutput>;
}

export interface Model<Inputs extends Record<string, InputSpec>> extends ModelSpec<Inputs> {
  readonly kind: "bp-model";
}

export function model<Inputs extends Record<string, InputSpec>>(spec: ModelSpec<Inputs>): Model<Inputs> {
  return { kind: "bp-model", ...spec };
}

export { takeRows } from "./take-rows.js";
