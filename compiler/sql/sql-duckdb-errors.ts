/**
 * DuckDB errors, from either of their two shapes, turned into one record and then a diagnostic:
 * - the error object of json_serialize_sql/json_serialize_plan: `{error_type, error_message,
 *   error_subtype, name, candidates, position}` (position in code points for parser errors,
 *   UTF-8 bytes for binder and catalog errors);
 * - a thrown message `Binder Error: ...\n\nLINE 3: ...\n   ^`, located from its context.
 */
import { type Diagnostic, diagnostic, didYouMean, editDistance } from "../diagnostics.js";
import { offsetFromErrorContext } from "./sql-error-context.js";
import { type JsonObject, offsetField, stringField } from "./sql-json.js";
import { TextOffsets } from "./sql-text.js";

export interface DuckDbError {
  /** `parser`, `binder`, `catalog`, `not implemented`... (lower case). */
  readonly kind: string;
  /** DuckDB's message without the `LINE n:` context. */
  readonly message: string;
  readonly subtype?: string;
  /** For missing entries and columns: the name that was not found. */
  readonly name?: string;
  /** For missing catalog entries: `Table`, `Scalar Function`... */
  readonly entryType?: string;
  readonly candidates: readonly string[];
  /** UTF-16 index into the query text, when known. */
  readonly index?: number;
}

/** Index in `query` of a parser error, checked against the token the message quotes. */
function parserErrorIndex(query: string, position: number, message: string): number {
  const offsets = new TextOffsets(query);
  const candidates = [offsets.fromCodePoint(position), offsets.fromUtf8Byte(position)];
  const near = /at or near "(.*)"$/s.exec(message)?.[1];
  if (near !== undefined) {
    const hit = candidates.find((i) => query.slice(i, i + near.length).toLowerCase() === near.toLowerCase());
    if (hit !== undefined) return hit;
  }
  return candidates[0]!;
}

export function errorFromJson(error: JsonObject, query: string): DuckDbError {
  const kind = (stringField(error, "error_type") ?? "unknown").toLowerCase();
  const message = stringField(error, "error_message") ?? "unknown DuckDB error";
  const position = offsetField(error, "position");
  const index =
    position === undefined ? undefined : kind === "parser" ? parserErrorIndex(query, position, message) : new TextOffsets(query).fromUtf8Byte(position);
  const subtype = stringField(error, "error_subtype");
  const name = stringField(error, "name") ?? missingColumnName(message);
  const entryType = stringField(error, "type");
  // Function overloads contain commas themselves: they are read from the message (noMatchingCall).
  const listed = subtype === "NO_MATCHING_FUNCTION" ? [] : (stringField(error, "candidates") ?? "").split(",").filter((c) => c !== "");
  const candidates = listed.length > 0 ? listed : candidatesInMessage(message);
  return {
    kind,
    message,
    candidates,
    ...(subtype !== undefined ? { subtype } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(entryType !== undefined ? { entryType } : {}),
    ...(index !== undefined ? { index } : {}),
  };
}

function missingColumnName(message: string): string | undefined {
  return /Referenced column "((?:[^"]|"")*)" not found/.exec(message)?.[1] ?? /does not have a column named "((?:[^"]|"")*)"/.exec(message)?.[1];
}

/** Candidates listed by DuckDB's message (`Candidate bindings: "a", "b"`, `Candidate tables: "t"` or `Did you mean "x"?`). */
function candidatesInMessage(message: string): string[] {
  const line = /Candidate (?:bindings|tables):[: ]*(.*)$/m.exec(message)?.[1] ?? /Did you mean (.*)\?$/m.exec(message)?.[1] ?? "";
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!);
}

export function errorFromMessage(thrown: string, query: string): DuckDbError {
  const head = /^([A-Za-z ]+?) Error: /.exec(thrown);
  const kind = head ? head[1]!.toLowerCase() : "unknown";
  const message = thrown.slice(head ? head[0].length : 0).split(/\n\nLINE \d+:/)[0]!.trimEnd();
  const name = missingColumnName(message) ?? /with name (\S+) does not exist/.exec(message)?.[1];
  const entryType = /^(.+?) with name \S+ does not exist/.exec(message)?.[1];
  const subtype = /Referenced column .* not found|does not have a column named/.test(message)
    ? "COLUMN_NOT_FOUND"
    : entryType !== undefined
      ? "MISSING_ENTRY"
      : undefined;
  const index = offsetFromErrorContext(thrown, query);
  return {
    kind,
    message,
    candidates: candidatesInMessage(message),
    ...(subtype !== undefined ? { subtype } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(entryType !== undefined ? { entryType } : {}),
    ...(index !== undefined ? { index } : {}),
  };
}

export function isUnknownColumn(error: DuckDbError): boolean {
  return error.subtype === "COLUMN_NOT_FOUND" || /does not have a column named/.test(error.message);
}

export function isUnknownTable(error: DuckDbError): boolean {
  return error.kind === "catalog" && error.subtype === "MISSING_ENTRY" && error.entryType === "Table";
}

/** Whether the error is about the user's SQL (rather than something DuckDB cannot serialize). */
export function isUserError(error: DuckDbError): boolean {
  return error.kind !== "not implemented" && error.kind !== "serialization" && error.kind !== "internal";
}

type At = { file: string; line: number; column: number };

/** How many column names a hint lists per table before it says "...". */
const MAX_HINT_COLUMNS = 20;

/** A table whose columns are known, as a column-error hint shows it. */
export interface KnownColumns {
  readonly table: string;
  readonly columns: readonly string[];
}

/** `"orders" has columns: id, amount, status` (capped), one clause per table. */
export function columnsHint(tables: readonly KnownColumns[]): string {
  return tables
    .map(({ table, columns }) => {
      const shown = columns.slice(0, MAX_HINT_COLUMNS).join(", ");
      const more = columns.length > MAX_HINT_COLUMNS ? `, ... (${columns.length - MAX_HINT_COLUMNS} more)` : "";
      return `"${table}" has columns: ${shown}${more}`;
    })
    .join("; ");
}

/**
 * The BP0104 of an unknown column, worded like the TS front end's:
 * `column "contry" does not exist in "orders" (did you mean "country"?)`.
 * `scope` is what the column was looked up in, already quoted (`"t" (orders)`), when known;
 * `tables` the tables whose columns are known there (they feed the suggestion and the hint);
 * `candidates` DuckDB's nearest names, used for the suggestion when no columns are known.
 */
export function unknownColumnDiagnostic(
  name: string,
  at: At,
  scope: string | undefined,
  tables: readonly KnownColumns[],
  candidates: readonly string[] = [],
): Diagnostic {
  const pool = tables.length > 0 ? tables.flatMap((t) => t.columns) : candidates;
  const suggestion = didYouMean(name, pool);
  const message = `column "${name}" does not exist${scope !== undefined ? ` in ${scope}` : ""}${suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : ""}`;
  const hint = tables.length > 0 ? columnsHint(tables) : "check the name against the columns of the tables in the FROM clause";
  return diagnostic("BP0104", message, at, hint);
}

/** The qualifier of a `t.col` that DuckDB could not find (`Table "t" does not have a column named ...`). */
export function missingColumnQualifier(error: DuckDbError): string | undefined {
  return /^(?:Table|Values list|Relation|Binding) "((?:[^"]|"")*)" does not have a column named/.exec(error.message)?.[1]?.replace(/""/g, '"');
}

/** A function call DuckDB could not match: its name, the argument types it saw, and the overloads it knows. */
export interface NoMatchingCall {
  readonly name: string;
  readonly argTypes: readonly string[];
  readonly candidates: readonly { readonly argTypes: readonly string[]; readonly text: string }[];
}

/** Splits `a, DECIMAL(18,3), STRUCT(a INT, b INT)` on its top-level commas. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(" || ch === "[" || ch === "<") depth++;
    if (ch === ")" || ch === "]" || ch === ">") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts;
}

/** `+(VARCHAR, INTEGER_LITERAL)` -> name and argument types. */
function parseSignature(text: string): { name: string; argTypes: string[] } | undefined {
  const open = text.indexOf("(");
  if (open <= 0 || !text.endsWith(")")) return undefined;
  return { name: text.slice(0, open), argTypes: splitTopLevel(text.slice(open + 1, -1)) };
}

export function noMatchingCall(error: DuckDbError): NoMatchingCall | undefined {
  const call = /^No function matches the given name and argument types '(.*)'\./m.exec(error.message)?.[1];
  const parsed = call === undefined ? undefined : parseSignature(call);
  if (!parsed) return undefined;
  const candidates = error.message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${parsed.name}(`))
    .map((line) => {
      const text = line.replace(/\s*->.*$/, "");
      return { text, argTypes: parseSignature(text)?.argTypes ?? [] };
    });
  return { ...parsed, candidates };
}

/** What `bindDiagnostic` can say beyond DuckDB's error, worked out from the query by the caller. */
export interface BindErrorContext {
  /** Unknown column: what it was looked up in (quoted) and the columns known there. */
  readonly scope?: string;
  readonly tables?: readonly KnownColumns[];
  /** No matching function or operator, or an impossible comparison: the expression with one side cast. */
  readonly castExample?: string;
}

function isOperator(name: string): boolean {
  return !/^[A-Za-z_]/.test(name);
}

/** `(VARCHAR), (BIT) or (ANY[])`, capped. */
function overloadList(call: NoMatchingCall): string {
  const shown = call.candidates.slice(0, 5).map((c) => `(${c.argTypes.join(", ")})`);
  const rest = call.candidates.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]}` : (shown[0] ?? "");
}

/** Whether DuckDB's suggestion for a missing function is close enough to the name to show. */
function closeEnough(name: string, candidate: string): boolean {
  return didYouMean(name, [candidate]) !== undefined || editDistance(name.toLowerCase(), candidate.toLowerCase()) <= Math.max(2, Math.ceil(name.length / 2));
}

/** DuckDB's first line, as a sentence of bp's: no trailing "!" or ".", no leading capital on a plain word. */
function tidy(line: string): string {
  const trimmed = line.trim().replace(/[!.]+$/, "");
  return /^[A-Z][a-z]/.test(trimmed) ? trimmed[0]!.toLowerCase() + trimmed.slice(1) : trimmed;
}

const DEFAULT_BIND_HINT = "fix the expression at the caret so it binds against the columns and types of the model's inputs";

/** The diagnostic for an error DuckDB raised while binding a model. */
export function bindDiagnostic(error: DuckDbError, at: At, knownTables: readonly string[], context: BindErrorContext = {}): Diagnostic {
  const [first, ...rest] = error.message.split("\n");
  const details = rest.map((l) => l.trim()).filter((l) => l !== "");
  if (isUnknownColumn(error)) {
    const qualifier = missingColumnQualifier(error);
    if (error.name === undefined) return diagnostic("BP0104", tidy(first!), at, DEFAULT_BIND_HINT);
    return unknownColumnDiagnostic(error.name, at, context.scope ?? (qualifier !== undefined ? `"${qualifier}"` : undefined), context.tables ?? [], error.candidates);
  }
  if (isUnknownTable(error)) {
    const suggestion = error.name !== undefined ? didYouMean(error.name, knownTables) : undefined;
    const hint = suggestion ? `did you mean "${suggestion}"?` : "reference a model of this project or a source table of the lake";
    return diagnostic("BP0102", `unknown table "${error.name ?? "?"}"`, at, hint);
  }
  if (error.kind === "parser") return diagnostic("BP0101", `SQL syntax error: ${first!}`, at, details[0]);

  const call = noMatchingCall(error);
  if (call) {
    const types = `(${call.argTypes.join(", ")})`;
    if (isOperator(call.name)) {
      const hint = context.castExample
        ? `cast ${call.argTypes.length === 1 ? "the operand" : "one side"}, e.g. ${context.castExample}`
        : "cast the operands to compatible types, e.g. CAST(x AS DOUBLE)";
      return diagnostic("BP0105", `operator "${call.name}" does not accept ${types}`, at, hint);
    }
    const takes = call.candidates.length > 0 ? `${call.name}() takes ${overloadList(call)}` : `${call.name}() takes other argument types`;
    const hint = context.castExample ? `${takes}: cast the argument, e.g. ${context.castExample}` : `${takes}: cast the arguments to match`;
    return diagnostic("BP0105", `function ${call.name}() does not accept ${types}`, at, hint);
  }

  if (error.subtype === "MISSING_ENTRY" && error.name !== undefined && /function/i.test(error.entryType ?? "")) {
    const suggestion = error.candidates.find((c) => closeEnough(error.name!, c));
    const what = /^table/i.test(error.entryType ?? "") ? "table function" : /^macro/i.test(error.entryType ?? "") ? "macro" : "function";
    const message = `${what} "${error.name}" does not exist${suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : ""}`;
    return diagnostic("BP0105", message, at, 'SQL models can call DuckDB\'s built-in functions: bp query "SELECT DISTINCT function_name FROM duckdb_functions()" lists them');
  }

  const ambiguous = /^Ambiguous reference to column name "((?:[^"]|"")*)" \(use: (.*)\)$/.exec(first!);
  if (ambiguous) {
    return diagnostic("BP0105", `column "${ambiguous[1]}" is ambiguous: more than one table in the FROM clause has it`, at, `qualify it with its table or alias: ${ambiguous[2]}`);
  }
  const compare = /^Cannot compare values of type (.+) and type (.+?) - an explicit cast is required$/.exec(first!);
  if (compare) {
    const hint = context.castExample ? `cast one side, e.g. ${context.castExample}` : `cast one side, e.g. CAST(x AS ${compare[2]})`;
    return diagnostic("BP0105", `cannot compare ${compare[1]} with ${compare[2]}`, at, hint);
  }
  const missingAlias = /^Referenced table "((?:[^"]|"")*)" not found/.exec(first!);
  if (missingAlias) {
    const hint = error.candidates.length > 0 ? `the FROM clause has: ${error.candidates.join(", ")}` : "qualify columns with a table or alias of the FROM clause";
    return diagnostic("BP0105", `"${missingAlias[1]}" is not a table or alias of the FROM clause`, at, hint);
  }
  const grouping = /^column "?(.+?)"? must appear in the GROUP BY clause/.exec(first!);
  if (grouping) {
    return diagnostic(
      "BP0105",
      `column "${grouping[1]}" must be in the GROUP BY clause or inside an aggregate function`,
      at,
      `add it to GROUP BY, wrap it in an aggregate such as ANY_VALUE(${grouping[1]}), or write GROUP BY ALL`,
    );
  }
  const detail = details.length === 1 && details[0]!.length <= 200 ? tidy(details[0]!) : undefined;
  return diagnostic("BP0105", tidy(first!), at, detail ?? DEFAULT_BIND_HINT);
}
