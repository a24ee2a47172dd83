/**
 * Turns parsed expressions back into SQL text with DuckDB's own printer: the expression is put in
 * the select list of a parsed `SELECT true AND true` and the document goes through
 * `json_deserialize_sql` (one statement for a whole batch with `expressions`).
 */
import { type DuckDBConnection, deserializeSql, deserializeSqlMany, serializeSql } from "./sql-duckdb.js";
import { type Json, type JsonObject, arrayField, isObject, objectField } from "./sql-json.js";

export class SqlPrinter {
  private template: Promise<Json> | undefined;

  constructor(private readonly conn: DuckDBConnection) {}

  /** SQL of one expression, or of the AND of several. */
  async expression(exprs: readonly JsonObject[]): Promise<string> {
    const sql = await deserializeSql(this.conn, await this.document(exprs));
    return sql.replace(/^SELECT /, "");
  }

  /** `expression` of each list, in one DuckDB statement; same texts as one call per list. */
  async expressions(lists: readonly (readonly JsonObject[])[]): Promise<string[]> {
    if (lists.length === 0) return [];
    const documents: Json[] = [];
    for (const exprs of lists) documents.push(await this.document(exprs));
    const sqls = await deserializeSqlMany(this.conn, documents);
    return sqls.map((sql) => sql.replace(/^SELECT /, ""));
  }

  private async document(exprs: readonly JsonObject[]): Promise<Json> {
    const document = structuredClone(await (this.template ??= serializeSql(this.conn, "SELECT true AND true")));
    const select = objectField(arrayField(document, "statements")[0], "node");
    const and = arrayField(select, "select_list")[0];
    if (!select || !isObject(and)) throw new Error("unexpected json_serialize_sql document for SELECT true AND true");
    const item = exprs.length === 1 ? { ...exprs[0]!, alias: "" } : { ...and, children: [...exprs] };
    select.select_list = [item];
    return document;
  }
}
