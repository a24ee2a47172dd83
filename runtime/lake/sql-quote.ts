/** Quoting for the SQL the lake generates. */

/** A DuckDB identifier: `"name"` with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB string literal: `'text'` with embedded quotes doubled (no escape sequences). */
export function quoteString(text: string): string {
  if (text.includes("\0")) throw new Error("a SQL string cannot contain NUL");
  return `'${text.replaceAll("'", "''")}'`;
}

/** Drops trailing semicolons and whitespace so a query can be wrapped in parentheses. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/u, "");
}
