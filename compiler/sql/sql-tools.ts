/** The SQL tools one compile uses: a parser and a scratch catalog sharing one in-memory DuckDB. */
import type { SqlParser } from "./sql-parse.js";
import { ScratchCatalog, type ScratchOptions } from "./sql-scratch.js";

export interface SqlTools {
  readonly parser: SqlParser;
  readonly scratch: ScratchCatalog;
  close(): void;
}

export async function openSqlTools(options: ScratchOptions = {}): Promise<SqlTools> {
  const scratch = await ScratchCatalog.open(options);
  return { parser: scratch, scratch, close: () => scratch.close() };
}
