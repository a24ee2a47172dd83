/**
 * ScratchCatalog: one in-memory DuckDB used for a whole compile. Every input (source or model) is
 * an EMPTY table with the input's schema; models are bound against them to learn their output
 * schema, the columns they read and the filters that can be pushed into source scans. Nothing
 * user-written is ever executed on data.
 */
import type { ColumnSchema } from "../plan-types.js";
import { readEntry, writeEntry } from "../project-cache.js";
import { DuckDBClient } from "./duckdb-client.js";
import { type BindModelInput, type BoundModel, bindCleanModels, bindModelSql } from "./sql-bind.js";
import { type DuckDBConnection, chunked, quoteIdentifier } from "./sql-duckdb.js";
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
  /** A second connection to the same database, for reads that run while `conn` is busy. */
  readonly sideConn: DuckDBConnection;
  readonly printer: SqlPrinter;
  table(name: string): ScratchTable | undefined;
  tableNames(): string[];
  functionTraits(): Promise<FunctionTraits>;
}

export interface ScratchOptions {
  /**
   * Where to keep the lists of volatile and aggregate functions (they depend only on DuckDB's
   * version; asking duckdb_functions() costs ~25 ms). None when undefined.
   */
  readonly functionsCacheFile?: string;
}

/** The file in a project's cache folder. */
export const FUNCTION_TRAITS_CACHE_FILE = "duckdb-functions.json";

interface TraitLists {
  readonly volatile: string[];
  readonly aggregate: string[];
}

function isTraitLists(value: unknown): value is TraitLists {
  const v = value as Partial<Record<keyof TraitLists, unknown>> | null;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
  return typeof v === "object" && v !== null && strings(v.volatile) && strings(v.aggregate);
}

function createTableSql(name: string, schema: readonly ColumnSchema[]): string {
  const columns = schema.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ");
  return `CREATE OR REPLACE TABLE ${quoteIdentifier(name)} (${columns})`;
}

export class ScratchCatalog implements ScratchContext {
  readonly printer: SqlPrinter;
  /** By lower-cased name. */
  private readonly tables = new Map<string, ScratchTable>();
  private traits: Promise<FunctionTraits> | undefined;

  private constructor(
    readonly conn: DuckDBConnection,
    readonly sideConn: DuckDBConnection,
    private readonly options: ScratchOptions,
  ) {
    this.printer = new SqlPrinter(conn);
  }

  static async open(options: ScratchOptions = {}): Promise<ScratchCatalog> {
    // One thread per statement: statements run on empty tables, and batched binds
    // (json_serialize_plan over many rows of one statement) then bind one row after another. The two
    // connections let two statements (a level's plans and its DESCRIBEs) run at once.
    const conn = await DuckDBClient.open({ threads: "1" });
    return new ScratchCatalog(conn, await conn.connect(), options);
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
    await this.conn.run(createTableSql(name, schema));
    this.remember(name, schema);
  }

  /**
   * addTable for each table, in order, in one DuckDB call (one script). If the script fails, the
   * tables are added one by one so that the same error is thrown at the same table.
   */
  async addTables(tables: readonly ScratchTable[]): Promise<void> {
    if (tables.length === 0) return;
    for (const chunk of chunked(tables, (t) => t.schema.length * 32 + t.name.length)) {
      try {
        await this.conn.run(chunk.map((t) => createTableSql(t.name, t.schema)).join(";\n"));
      } catch {
        for (const t of chunk) await this.addTable(t.name, t.schema);
        continue;
      }
      for (const t of chunk) this.remember(t.name, t.schema);
    }
  }

  /** Drops tables (by name, case-insensitively), in one DuckDB call. */
  async dropTables(names: readonly string[]): Promise<void> {
    const known = names.map((n) => this.table(n)).filter((t): t is ScratchTable => t !== undefined);
    for (const chunk of chunked(known, (t) => t.name.length + 32)) {
      await this.conn.run(chunk.map((t) => `DROP TABLE IF EXISTS ${quoteIdentifier(t.name)}`).join(";\n"));
      for (const t of chunk) this.tables.delete(t.name.toLowerCase());
    }
  }

  /** A table added later goes last in tableNames(), also when it replaces one of the same name. */
  private remember(name: string, schema: readonly ColumnSchema[]): void {
    this.tables.delete(name.toLowerCase());
    this.tables.set(name.toLowerCase(), { name, schema: [...schema] });
  }

  /** DuckDB's spelling of a type (`int` -> `INTEGER`), or null when DuckDB does not know it. */
  async normalizeType(type: string): Promise<string | null> {
    try {
      const printed = (await this.conn.rows(`DESCRIBE SELECT NULL::${type} AS v`))[0]?.[1];
      return typeof printed === "string" ? printed : null;
    } catch {
      return null;
    }
  }

  /** A table by name, case-insensitively. */
  table(name: string): ScratchTable | undefined {
    return this.tables.get(name.toLowerCase());
  }

  tableNames(): string[] {
    return [...this.tables.values()].map((t) => t.name);
  }

  /** Function traits, from the cache file (ScratchOptions) when it has them for this DuckDB. */
  functionTraits(): Promise<FunctionTraits> {
    this.traits ??= (async () => {
      const file = this.options.functionsCacheFile;
      const key = `function traits v1, duckdb ${this.conn.libraryVersion()}`;
      const saved = file === undefined ? undefined : readEntry(file, key, isTraitLists);
      const lists = saved ?? (await this.traitLists());
      if (!saved && file !== undefined) writeEntry(file, key, lists);
      return { volatile: new Set(lists.volatile), aggregate: new Set(lists.aggregate) };
    })();
    return this.traits;
  }

  private async traitLists(): Promise<TraitLists> {
    const rows = await this.conn.rows("SELECT DISTINCT function_name, function_type, stability FROM duckdb_functions()");
    const volatile = new Set<string>();
    const aggregate = new Set<string>();
    for (const [name, type, stability] of rows) {
      if (typeof name !== "string") continue;
      if (stability === "VOLATILE") volatile.add(name.toLowerCase());
      if (type === "aggregate") aggregate.add(name.toLowerCase());
    }
    return { volatile: [...volatile].sort(), aggregate: [...aggregate].sort() };
  }

  /** Output schema, columns read per input, and pushable source filters of a model (see sql-bind.ts). */
  bindModel(input: BindModelInput): Promise<BoundModel> {
    return bindModelSql(this, input);
  }

  /**
   * bindModel of many models that do not read each other, in a few statements: the result of each
   * model that binds cleanly, or null for one to bind alone with bindModel (see sql-bind.ts).
   */
  bindCleanModels(inputs: readonly BindModelInput[]): Promise<(BoundModel | null)[]> {
    return bindCleanModels(this, inputs);
  }

  /** Checks a TS model's declared input filter (see sql-filter.ts). */
  checkFilter(file: string, filterText: string, at: FilterLiteralStart, table: string, schema: readonly ColumnSchema[]): Promise<FilterCheck> {
    return checkFilterSql(this, file, filterText, at, table, schema);
  }

  close(): void {
    this.sideConn.close();
    this.conn.close();
  }
}
