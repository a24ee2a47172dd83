/** The SQL-model part of the compiler: header settings, templates, DuckDB parsing and binding. */
export { parseSqlHeader, type HeaderSetting, type SqlHeader } from "./sql-header.js";
export { renderSqlTemplate, type RenderedSql } from "./sql-template.js";
export { parseSqlModel, parseModelSql, parseModelsSql, type ParsedSql, type SqlParser, type TableRef } from "./sql-parse.js";
export { FUNCTION_TRAITS_CACHE_FILE, ScratchCatalog, type ScratchOptions, type ScratchTable } from "./sql-scratch.js";
export { openSqlTools, type SqlTools } from "./sql-tools.js";
export type { BindModelInput, BoundModel } from "./sql-bind.js";
export type { FilterCheck, FilterLiteralStart } from "./sql-filter.js";
export type { SqlModelText, FileLocation } from "./sql-location.js";
export { columnLineage, type InputLookup } from "./sql-lineage.js";
