/**
 * Parses a rendered SQL model with DuckDB's own parser (`json_serialize_sql`) and lists the tables
 * it reads. Errors: BP0101 syntax, BP0103 not exactly one SELECT, BP0102 schema-qualified table.
 *
 * Table names: DuckDB identifiers are case-insensitive, so refs are deduplicated and compared
 * case-insensitively, but each keeps the spelling of its first occurrence. Models and sources are
 * referenced by plain name only: `main.orders` or `lake.orders` is reported (BP0102), not resolved.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import { type DuckDBConnection, isInlinable, serializeSql, serializeSqlEach } from "./sql-duckdb.js";
import { errorFromJson } from "./sql-duckdb-errors.js";
import { type Json, type JsonObject, arrayField, isObject, objectField, parseDuckJson } from "./sql-json.js";
import { type FileLocation, type SqlModelText, locateRendered, locateStatementStart } from "./sql-location.js";
import { type TableRefSite, collectTableRefSites } from "./sql-table-refs.js";
import { TextOffsets, splitSqlStatements } from "./sql-text.js";

export interface TableRef {
  /** As first written in the query. */
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

export interface ParsedSql {
  /** The statement's query node (`SELECT_NODE`, `SET_OPERATION_NODE`...), or null when parsing failed. */
  readonly ast: JsonObject | null;
  /** Real tables read, deduplicated case-insensitively, in order of first occurrence in the text. */
  readonly tableRefs: TableRef[];
  /** Every plain-name reference to a real table (not deduplicated), in text order. */
  readonly sites: TableRefSite[];
  readonly diagnostics: Diagnostic[];
}

const ONE_SELECT_HINT = "a SQL model is exactly one SELECT (WITH ... SELECT, FROM-first and VALUES are fine); bp creates and writes the table itself";
const SELECT_WORDS = new Set(["SELECT", "WITH", "FROM", "VALUES", "(", "TABLE"]);

function failed(diagnostics: Diagnostic[]): ParsedSql {
  return { ast: null, tableRefs: [], sites: [], diagnostics };
}

function syntaxErrorHint(message: string): string {
  if (/at end of input/.test(message)) return "the query ends too early: look for an unclosed parenthesis or quote, or an unfinished clause";
  if (/unterminated/.test(message)) return "close the quote or comment that starts here";
  return "check the SQL just before this point (a missing comma, keyword or parenthesis?)";
}

function notASelect(model: SqlModelText, message: string): Diagnostic {
  const statements = splitSqlStatements(model.rendered);
  const culprit = statements.find((s) => !SELECT_WORDS.has(s.firstWord)) ?? statements[1] ?? statements[0];
  const where: FileLocation = culprit ? locateRendered(model, culprit.start) : locateStatementStart(model);
  if (culprit && !SELECT_WORDS.has(culprit.firstWord)) {
    return diagnostic("BP0103", `a SQL model must be a single SELECT statement; found ${culprit.firstWord}`, where, ONE_SELECT_HINT);
  }
  // A SELECT DuckDB still refuses to serialize is one it expands into several statements: a PIVOT
  // whose output columns depend on the data.
  const hint = /\bPIVOT\b/i.test(model.rendered)
    ? "bp binds models without data, so a PIVOT needs its values listed: PIVOT t ON col IN ('a', 'b') USING ..."
    : ONE_SELECT_HINT;
  return diagnostic("BP0103", `DuckDB cannot analyze this query as a single SELECT (${message})`, where, hint);
}

/** Anything holding the DuckDB connection used for parsing (a ScratchCatalog does). */
export interface SqlParser {
  readonly conn: DuckDBConnection;
  /** A second connection, to parse many models on two at once. */
  readonly sideConn?: DuckDBConnection;
}

/** parseModelSql with the model's pieces passed one by one. */
export function parseSqlModel(
  parser: SqlParser,
  file: string,
  sourceText: string,
  rendered: string,
  toSourceOffset: (renderedOffset: number) => number,
): Promise<ParsedSql> {
  return parseModelSql(parser.conn, { file, sourceText, rendered, toSourceOffset });
}

export async function parseModelSql(conn: DuckDBConnection, model: SqlModelText): Promise<ParsedSql> {
  return parsedFrom(model, await serializeSql(conn, model.rendered));
}

/**
 * parseModelSql of many models, a few hundred per DuckDB statement, the statements spread over the
 * given connections and their results read while DuckDB parses the next ones (serializeSqlEach).
 * `keep` maps each parse to what the caller keeps of it, as soon as it is made, so that the parse
 * trees of a large project need not all be alive at once.
 */
export async function parseModelsSql<T = ParsedSql>(
  conn: DuckDBConnection,
  models: readonly SqlModelText[],
  options: { readonly sideConn?: DuckDBConnection; readonly keep?: (parsed: ParsedSql, index: number) => T } = {},
): Promise<T[]> {
  const keep = options.keep ?? ((parsed: ParsedSql) => parsed as T);
  const kept = new Array<T>(models.length);
  const done = new Array<boolean>(models.length).fill(false);
  const inline = models.flatMap((m, k) => (isInlinable(m.rendered) ? [k] : []));
  try {
    const conns = options.sideConn ? [conn, options.sideConn] : [conn];
    await serializeSqlEach(conns, inline.map((k) => models[k]!.rendered), (j, json) => {
      const k = inline[j]!;
      kept[k] = keep(parsedFrom(models[k]!, parseDuckJson(json)), k);
      done[k] = true;
    });
  } catch {
    // Not expected (parse errors come back as data): the models left are parsed one by one.
  }
  for (const [k, model] of models.entries()) {
    if (!done[k]) kept[k] = keep(await parseModelSql(conn, model), k);
  }
  return kept;
}

/** The parse result of `model` from DuckDB's `json_serialize_sql` document. */
function parsedFrom(model: SqlModelText, result: Json): ParsedSql {
  if (!isObject(result)) return failed([diagnostic("BP0101", "DuckDB returned no parse tree", locateStatementStart(model))]);

  if (result.error === true) {
    const error = errorFromJson(result, model.rendered);
    if (/Only SELECT statements/i.test(error.message)) return failed([notASelect(model, error.message)]);
    // "at end of input" points past trailing blank lines: report it where the text ends instead.
    const index = /at end of input/.test(error.message) ? model.rendered.trimEnd().length : error.index;
    const where = index === undefined ? locateStatementStart(model) : locateRendered(model, index);
    return failed([diagnostic("BP0101", `SQL syntax error: ${error.message}`, where, syntaxErrorHint(error.message))]);
  }

  const statements = arrayField(result, "statements");
  if (statements.length === 0) {
    return failed([diagnostic("BP0103", "the file holds no SQL statement", locateStatementStart(model), ONE_SELECT_HINT)]);
  }
  if (statements.length > 1) {
    const second = splitSqlStatements(model.rendered)[1];
    const where = second ? locateRendered(model, second.start) : locateStatementStart(model);
    return failed([diagnostic("BP0103", `a SQL model must be a single SELECT statement; found ${statements.length} statements`, where, ONE_SELECT_HINT)]);
  }

  const ast = objectField(statements[0], "node") ?? null;
  const { tableRefs, sites, diagnostics } = tableRefsOf(model, ast);
  return { ast, tableRefs, sites, diagnostics };
}

function tableRefsOf(model: SqlModelText, ast: Json | null): { tableRefs: TableRef[]; sites: TableRefSite[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const offsets = new TextOffsets(model.rendered);
  const where = (site: TableRefSite) =>
    site.byteOffset === undefined ? locateStatementStart(model) : locateRendered(model, offsets.fromUtf8Byte(site.byteOffset));

  const textOrder = (site: TableRefSite) => site.byteOffset ?? Number.MAX_SAFE_INTEGER;
  const all = ast === null ? [] : collectTableRefSites(ast).sort((a, b) => textOrder(a) - textOrder(b));
  const sites: TableRefSite[] = [];
  const byName = new Map<string, TableRef>();
  for (const site of all) {
    if (site.qualifier !== "") {
      diagnostics.push(
        diagnostic(
          "BP0102",
          `qualified table name "${site.qualifier}.${site.name}" is not supported`,
          where(site),
          `models and sources are referenced by their plain name: write "${site.name}"`,
        ),
      );
      continue;
    }
    sites.push(site);
    const key = site.name.toLowerCase();
    if (!byName.has(key)) byName.set(key, { name: site.name, ...lineColumn(where(site)) });
  }
  return { tableRefs: [...byName.values()], sites, diagnostics };
}

function lineColumn(at: FileLocation): { line: number; column: number } {
  return { line: at.line, column: at.column };
}
