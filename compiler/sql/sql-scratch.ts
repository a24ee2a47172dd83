/**
 * ScratchCatalog: one in-memory DuckDB used for a whole compile. Every input (source or model) is
 * an EMPTY table with the input's schema; models are bound against them to learn their output
 * schema, the columns they read and the filters that can be pushed into source scans. Nothing
 * user-written is ever executed on data.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { ColumnSchema } from "../plan-types.js";
import { type BindModelInput, type BoundModel, bindModelSql } from "./sql-bind.js";
import { type DuckDBConnection, quoteIdentifier } from "./sql-duckdb.js";
import { type FilterCheck, type FilterLiteralStart, checkFilterSql } from "./sql-filter.js";
import type { SqlModelText } from "./sql-location.js";
import { type ParsedSql, parseModelSql } from "./sql-parse.js";
import { SqlPrinter } from "./sql-deparse.js";

export interface ScratchTable {
  readonly name: string;
  readonly schema: readonly ColumnSchema[];
}

/** What DuckDB says about functions, by lower-cased name. */
export interface FunctionTraits {
  readonly volatile: ReadonlySet<string>;
  readonly aggregate: ReadonlySet<string>;
}

/** What the binding and filter checks need from the catalog. */
export interface ScratchContext {
  readonly conn: DuckDBConnection;
  readonly printer: SqlPrinter;
  table(name: string): ScratchTable | undefined;
  tableNames(): string[];
  functionTraits(): Promise<FunctionTraits>;
}

export class ScratchCatalog implements ScratchContext {
  readonly printer: SqlPrinter;
  private readonly tables = new Map<string, ScratchTable>();
  private traits: Promise<FunctionTraits> | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {
    this.printer = new SqlPrinter(conn);
  }

  static async open(): Promise<ScratchCatalog> {
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    return new ScratchCatalog(instance, conn);
  }

  /** Parses a rendered model with DuckDB's parser (see parseModelSql). */
  parse(model: SqlModelText): Promise<ParsedSql> {
    return parseModelSql(this.conn, model);
  }

  /**
   * Creates (or replaces) an EMPTY table. Types are DuckDB type names (`BIGINT`, `DECIMAL(18,3)`,
   * `STRUCT(a INTEGER)`...); an invalid type or duplicate column name throws, so callers validate
   * user-declared types first (see normalizeType).
   */
  async addTable(name: string, schema: readonly ColumnSchema[]): Promise<void> {
    const columns = schema.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ");
    await this.conn.run(`CREATE OR REPLACE TABLE ${quoteIdentifier(name)} (${columns})`);
    for (const key of this.tables.keys()) if (key.toLowerCase() === name.toLowerCase()) this.tables.delete(key);
    this.tables.set(name, { name, schema: [...schema] });
  }

  /** DuckDB's spelling of a type (`int` -> `INTEGER`), or null when DuckDB does not know it. */
  async normalizeType(type: string): Promise<string | null> {
    try {
      const reader = await this.conn.runAndReadAll(`DESCRIBE SELECT NULL::${type} AS v`);
      const printed = reader.getRows()[0]?.[1];
      return typeof printed === "string" ? printed : null;
    } catch {
      return null;
    }
  }

  /** A table by name, case-insensitively. */
  table(name: string): ScratchTable | undefined {
    const lower = name.toLowerCase();
    for (const [key, table] of this.tables) if (key.toLowerCase() === lower) return table;
    return undefined;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  functionTraits(): Promise<FunctionTraits> {
    this.traits ??= (async () => {
      const reader = await this.conn.runAndReadAll("SELECT DISTINCT function_name, function_type, stability FROM duckdb_functions()");
      const volatile = new Set<string>();
      const aggregate = new Set<string>();
      for (const [name, type, stability] of reader.getRows()) {
        if (typeof name !== "string") continue;
        if (stability === "VOLATILE") volatile.add(name.toLowerCase());
        if (type === "aggregate") aggregate.add(name.toLowerCase());
      }
      return { volatile, aggregate };
    })();
    return this.traits;
  }

  /** Output schema, columns read per input, and pushable source filters of a model (see sql-bind.ts). */
  bindModel(input: BindModelInput): Promise<BoundModel> {
    return bindModelSql(this, input);
  }

  /** Checks a TS model's declared input filter (see sql-filter.ts). */
  checkFilter(file: string, filterText: string, at: FilterLiteralStart, table: string, schema: readonly ColumnSchema[]): Promise<FilterCheck> {
    return checkFilterSql(this, file, filterText, at, table, schema);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
