/**
 * DuckDB errors, from either of their two shapes, turned into one record and then a diagnostic:
 * - the error object of json_serialize_sql/json_serialize_plan: `{error_type, error_message,
 *   error_subtype, name, candidates, position}` (position in code points for parser errors,
 *   UTF-8 bytes for binder and catalog errors);
 * - a thrown message `Binder Error: ...\n\nLINE 3: ...\n   ^`, located from its context.
 */
import { type Diagnostic, diagnostic, didYouMean } from "../diagnostics.js";
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
  const listed = (stringField(error, "candidates") ?? "").split(",").filter((c) => c !== "");
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

/** Candidates listed by DuckDB's message (`Candidate bindings: "a", "b"` or `Did you mean "x"?`). */
function candidatesInMessage(message: string): string[] {
  const line = /Candidate bindings:[: ]*(.*)$/m.exec(message)?.[1] ?? /Did you mean (.*)\?$/m.exec(message)?.[1] ?? "";
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

export function unknownColumnHint(error: DuckDbError, extraCandidates: readonly string[] = []): string {
  const pool = [...error.candidates, ...extraCandidates];
  const best = error.candidates[0] ?? (error.name !== undefined ? didYouMean(error.name, extraCandidates) : undefined);
  if (best === undefined) return "check the column name against the input's columns";
  const others = [...new Set(pool.filter((c) => c !== best))].slice(0, 4);
  return `did you mean "${best}"?${others.length > 0 ? ` Other candidates: ${others.map((c) => `"${c}"`).join(", ")}` : ""}`;
}

type At = { file: string; line: number; column: number };

/** The diagnostic for an error DuckDB raised while binding a model. */
export function bindDiagnostic(error: DuckDbError, at: At, knownTables: readonly string[]): Diagnostic {
  const [first, ...rest] = error.message.split("\n");
  const detail = rest.join("\n").trim();
  if (isUnknownColumn(error)) {
    const table = /^Table "((?:[^"]|"")*)" does not have/.exec(error.message)?.[1];
    const message = error.name === undefined ? first! : `unknown column "${error.name}"${table !== undefined ? ` in "${table}"` : ""}`;
    return diagnostic("BP0104", message, at, unknownColumnHint(error));
  }
  if (isUnknownTable(error)) {
    const suggestion = error.name !== undefined ? didYouMean(error.name, knownTables) : undefined;
    const hint = suggestion ? `did you mean "${suggestion}"?` : "reference a model of this project or a source table of the lake";
    return diagnostic("BP0102", `unknown table "${error.name ?? "?"}"`, at, hint);
  }
  if (error.kind === "parser") return diagnostic("BP0101", `SQL syntax error: ${first!}`, at, detail || undefined);
  return diagnostic("BP0105", first!, at, detail || "DuckDB could not bind the query against the schemas of its inputs");
}
