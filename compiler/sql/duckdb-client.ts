/**
 * A small DuckDB client over @duckdb/node-bindings (DuckDB's C API, as @duckdb/node-api uses it):
 * an in-memory database, SQL text run in one trip through the bindings, and small results read
 * synchronously as rows of VARCHAR, integer and BOOLEAN values. It is all the compiler needs, and
 * loading @duckdb/node-api (~120 modules) took ~0.1 s of every compile.
 * Errors are DuckDB's own, as the bindings reject them (the same texts @duckdb/node-api gives).
 */
import type * as Bindings from "@duckdb/node-bindings";
import { requireCjs } from "../require-cjs.js";

/** A value of a result row: VARCHAR -> string, up to 32-bit integers -> number, BIGINT -> bigint. */
export type SqlValue = string | number | bigint | boolean | null;

const decoder = new TextDecoder();

export class DuckDBClient {
  private constructor(
    private readonly duckdb: typeof Bindings,
    private readonly database: Bindings.Database,
    private readonly connection: Bindings.Connection,
    /** Whether close() closes the database too (the client that opened it). */
    private readonly ownsDatabase: boolean,
  ) {}

  /** An in-memory database with DuckDB settings (`{ threads: "1" }`) and one connection to it. */
  static async open(settings: Readonly<Record<string, string>> = {}): Promise<DuckDBClient> {
    const duckdb = requireCjs("@duckdb/node-bindings") as typeof Bindings;
    const config = duckdb.create_config();
    duckdb.set_config(config, "duckdb_api", "node-neo-api");
    for (const [name, value] of Object.entries(settings)) duckdb.set_config(config, name, value);
    const database = await duckdb.open(":memory:", config);
    return new DuckDBClient(duckdb, database, await duckdb.connect(database), true);
  }

  /** Another connection to the same database: its statements can run while this one's do. */
  async connect(): Promise<DuckDBClient> {
    return new DuckDBClient(this.duckdb, this.database, await this.duckdb.connect(this.database), false);
  }

  /** DuckDB's version (`v1.5.0`...). */
  libraryVersion(): string {
    return this.duckdb.library_version();
  }

  /** Runs SQL text (one or more statements), ignoring any result. */
  async run(sql: string): Promise<void> {
    await this.duckdb.query(this.connection, sql);
  }

  /**
   * The rows of the last statement of `sql`; with `params`, `sql` is one statement whose `?`
   * placeholders take them as VARCHAR values.
   */
  async rows(sql: string, params?: readonly string[]): Promise<SqlValue[][]> {
    if (params === undefined) return this.read(await this.duckdb.query(this.connection, sql));
    const prepared = await this.duckdb.prepare(this.connection, sql);
    try {
      params.forEach((p, i) => this.duckdb.bind_value(prepared, i + 1, this.duckdb.create_varchar(p)));
      return this.read(await this.duckdb.execute_prepared(prepared));
    } finally {
      this.duckdb.destroy_prepare_sync(prepared);
    }
  }

  /** Disconnects; the client that opened the database also closes it (close the others first). */
  close(): void {
    this.duckdb.disconnect_sync(this.connection);
    if (this.ownsDatabase) this.duckdb.close_sync(this.database);
  }

  private read(result: Bindings.Result): SqlValue[][] {
    const duckdb = this.duckdb;
    const types = Array.from({ length: duckdb.column_count(result) }, (_, c) => duckdb.column_type(result, c));
    const rows: SqlValue[][] = [];
    const chunks = duckdb.result_chunk_count(result);
    for (let k = 0; k < chunks; k++) {
      const chunk = duckdb.result_get_chunk(result, k);
      const size = duckdb.data_chunk_get_size(chunk);
      const columns = types.map((type, c) => readVector(duckdb, duckdb.data_chunk_get_vector(chunk, c), type, size));
      for (let r = 0; r < size; r++) rows.push(columns.map((column) => column[r]!));
    }
    return rows;
  }
}

/** Bytes per value in a vector of `type`, for the types this client reads. */
function widthOf(T: typeof Bindings.Type, type: Bindings.Type): number | undefined {
  const widths: Partial<Record<Bindings.Type, number>> = {
    [T.BOOLEAN]: 1,
    [T.TINYINT]: 1,
    [T.UTINYINT]: 1,
    [T.SMALLINT]: 2,
    [T.USMALLINT]: 2,
    [T.INTEGER]: 4,
    [T.UINTEGER]: 4,
    [T.BIGINT]: 8,
    [T.UBIGINT]: 8,
    [T.VARCHAR]: 16,
  };
  return widths[type];
}

function readVector(duckdb: typeof Bindings, vector: Bindings.Vector, type: Bindings.Type, size: number): SqlValue[] {
  const T = duckdb.Type;
  const width = widthOf(T, type);
  if (width === undefined) throw new Error(`bp's DuckDB client cannot read values of type ${T[type] ?? type}`);
  const data = duckdb.vector_get_data(vector, size * width);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const validity = duckdb.vector_get_validity(vector, Math.ceil(size / 64) * 8);
  const values: SqlValue[] = new Array(size);
  for (let r = 0; r < size; r++) {
    if (validity && ((validity[r >> 3]! >> (r & 7)) & 1) === 0) {
      values[r] = null;
      continue;
    }
    const at = r * width;
    switch (type) {
      case T.BOOLEAN:
        values[r] = view.getUint8(at) !== 0;
        break;
      case T.TINYINT:
        values[r] = view.getInt8(at);
        break;
      case T.UTINYINT:
        values[r] = view.getUint8(at);
        break;
      case T.SMALLINT:
        values[r] = view.getInt16(at, true);
        break;
      case T.USMALLINT:
        values[r] = view.getUint16(at, true);
        break;
      case T.INTEGER:
        values[r] = view.getInt32(at, true);
        break;
      case T.UINTEGER:
        values[r] = view.getUint32(at, true);
        break;
      case T.BIGINT:
        values[r] = view.getBigInt64(at, true);
        break;
      case T.UBIGINT:
        values[r] = view.getBigUint64(at, true);
        break;
      default: {
        // string_t: a 4-byte length, then up to 12 bytes inline, or a 4-byte prefix and a pointer.
        const length = view.getUint32(at, true);
        const bytes = length <= 12 ? new Uint8Array(data.buffer, data.byteOffset + at + 4, length) : duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + at + 8, length);
        values[r] = decoder.decode(bytes);
      }
    }
  }
  return values;
}
