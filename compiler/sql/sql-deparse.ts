/**
 * Turns parsed expressions back into SQL text with DuckDB's own printer: the expression is put in
 * the select list of a parsed `SELECT true AND true` and the document goes through
 * `json_deserialize_sql`.
 */
import { type DuckDBConnection, deserializeSql, serializeSql } from "./sql-duckdb.js";
import { type Json, type JsonObject, arrayField, isObject, objectField } from "./sql-json.js";

export class SqlPrinter {
  private template: Promise<Json> | undefined;

  constructor(private readonly conn: DuckDBConnection) {}

  /** SQL of one expression, or of the AND of several. */
  async expression(exprs: readonly JsonObject[]): Promise<string> {
    const document = structuredClone(await (this.template ??= serializeSql(this.conn, "SELECT true AND true")));
    const select = objectField(arrayField(document, "statements")[0], "node");
    const and = arrayField(select, "select_list")[0];
    if (!select || !isObject(and)) throw new Error("unexpected json_serialize_sql document for SELECT true AND true");
    const item = exprs.length === 1 ? { ...exprs[0]!, alias: "" } : { ...and, children: [...exprs] };
    select.select_list = [item];
    const sql = await deserializeSql(this.conn, document);
    return sql.replace(/^SELECT /, "");
  }
}
