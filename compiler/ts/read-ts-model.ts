/**
 * Reads a TS model file statically: parse (never import, transpile or run it), find the
 * default-exported `model({...})`, extract its literal settings and validate them.
 */
import type * as TS from "typescript";
import ts from "./typescript.js";
import { diagnostic, hasErrors, offsetToLineColumn, sortDiagnostics, type Diagnostic } from "../diagnostics.js";
import { EXPECTED_SHAPE, findModelCall, sdkBindings } from "./find-model.js";
import { extractSettings, LITERAL_HINT, type Extraction, type InputCall } from "./literal.js";
import { DEFAULT_MEMORY_MB } from "./settings-schema.js";
import { nodeAt, pathKey, place, snippet, unwrap, type LineColumn, type SettingPath, type SourceContext } from "./source.js";
import { validateSettings } from "./validate.js";
import { codeIdentity } from "./code-identity.js";

export { parseMemoryMb, MODEL_KEYS, INPUT_OPTION_KEYS, DEFAULT_MEMORY_MB } from "./settings-schema.js";

export interface TsModelInput {
  /** Parameter of `run` that receives the table (the key in `inputs`). */
  param: string;
  table: string;
  columns: string[] | null;
  filter: string | null;
  /** Where `input(...)` is called. */
  at: LineColumn;
  /** The table-name string literal (its opening quote). */
  tableAt: LineColumn;
  /** Each column string literal (its opening quote). */
  columnsAt: LineColumn[] | null;
  /** The first character of the filter's content, just after the opening quote. */
  filterAt: LineColumn | null;
  /** The lake ref to read a source table at (`ref: "friday"`), or null: the build's branch. */
  ref: string | null;
  /** The ref string literal (its opening quote). */
  refAt: LineColumn | null;
}

export interface TsModelSettings {
  description: string | null;
  /** In declaration order. */
  inputs: TsModelInput[];
  /** Default false. */
  materialize: boolean;
  /** Heap limit in MiB; "512MB" | "2GB" | "1.5GiB" | "2048MiB" (MB = MiB = 1024^2 bytes). Default 1024. */
  memoryMb: number;
  /** Declared output schema in declaration order, or null when `columns` is not set. */
  columns: { name: string; type: string }[] | null;
  /** Descriptions given in `columns` (`{ type, description }`), in declaration order; `at` is the column's value. */
  columnDocs: { column: string; description: string; at: LineColumn }[];
  /** Default {}. */
  packages: Record<string, string>;
  /**
   * sha256 of the file's tokens without comments, whitespace and the settings other than `run`
   * (code-identity.ts): the code part of the model's cache key.
   */
  codeIdentity: string;
  /** Where `model(...)` is called. */
  at: LineColumn;
}

export interface ReadTsModelResult {
  /** null when there is any error. */
  settings: TsModelSettings | null;
  /**
   * The settings that are valid even when others are not, so that the checks after reading
   * (references, input columns, filters) still run: an invalid setting is replaced by its default
   * (`memory: "a lot"` -> 1024 MiB, a bad `columns` -> null), an invalid input option is dropped, an
   * input with an invalid table is left out. The same as `settings` when there is no error; null when
   * the file has no readable `model({...})` (BP0201, BP0202, settings that are not an object literal).
   */
  partialSettings: TsModelSettings | null;
  diagnostics: Diagnostic[];
}

/** `file` is the project-relative path used in diagnostics; `text` is the file's content. */
export function readTsModel(file: string, text: string): ReadTsModelResult {
  const kind = /\.tsx$/i.test(file) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const ctx: SourceContext = { file, text, sf };

  const syntax = parseDiagnostics(sf).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const at = offsetToLineColumn(text, d.start);
    return diagnostic("BP0201", `${message} (TS${d.code})`, { file, ...at }, syntaxHint(message, text, d.start, at.line));
  });
  if (syntax.length > 0) return done(null, syntax);

  const sdk = sdkBindings(sf);
  const found = findModelCall(ctx, sdk);
  if (!found.call) return done(null, found.diagnostics);
  const call = found.call;

  const [arg, extra] = call.arguments;
  if (!arg) return done(null, [diagnostic("BP0204", "model(...) needs its settings object", place(ctx, call), EXPECTED_SHAPE)]);
  const obj = unwrap(arg);
  if (!ts.isObjectLiteralExpression(obj)) {
    return done(null, [diagnostic("BP0203", `the settings of model(...) must be an object literal written in place, not \`${snippet(ctx, obj)}\``, place(ctx, obj), LITERAL_HINT)]);
  }
  const diagnostics: Diagnostic[] = [];
  if (extra) diagnostics.push(diagnostic("BP0204", "model(...) takes a single settings object", place(ctx, extra)));

  const ex = extractSettings(obj, ctx, sdk);
  diagnostics.push(...ex.diagnostics);
  const valid = validateSettings(ex, ctx);
  if (!valid.ok) diagnostics.push(...valid.diagnostics);
  const usable = valid.ok ? { root: ex.root, parsed: valid.parsed } : valid.partial;
  const built = usable ? buildSettings(usable.root, ex, ctx, call, obj, usable.parsed.memory ?? DEFAULT_MEMORY_MB) : null;
  if (!valid.ok || hasErrors(diagnostics)) return done(null, diagnostics, built);
  return done(built, diagnostics, built);
}

function done(settings: TsModelSettings | null, diagnostics: Diagnostic[], partialSettings: TsModelSettings | null = settings): ReadTsModelResult {
  return { settings, partialSettings, diagnostics: sortDiagnostics(diagnostics) };
}

const CLOSERS: Record<string, string> = { "}": "{", ")": "(", "]": "[", ">": "<" };

/** What to do about a TypeScript parse error, from its message and where it is. */
export function syntaxHint(message: string, text: string, offset: number, line: number): string {
  const expected = /^'(.+)' expected\.$/.exec(message)?.[1];
  if (expected !== undefined) {
    const opener = CLOSERS[expected];
    if (opener !== undefined) return `a "${expected}" is missing: every "${opener}" needs its "${expected}" (check the brackets before this point)`;
    // TypeScript reports a missing token at the next one; when that starts a line, it belongs at the end of the previous one.
    const before = text.slice(0, offset).replace(/\s+$/, "");
    const previousLine = before.split("\n").length;
    if (previousLine < line) return `add "${expected}" at the end of line ${previousLine}`;
    return `add "${expected}" just before the caret`;
  }
  if (/^Unterminated string literal/.test(message)) return "close the string with the same quote it starts with (a string cannot span lines: use a `template literal`)";
  if (/^Unterminated template literal/.test(message)) return "close the template literal with a backtick `";
  if (/^Unterminated regular expression/.test(message)) return "close the regular expression with /";
  if (/^Unexpected end of text|^Unterminated/.test(message)) return "the file ends too early: close what is still open";
  return "fix the syntax at (or just before) the caret: a TS model must parse as TypeScript (bp reads it without running it)";
}

/** The parser's own diagnostics; not part of TypeScript's public typings, but always present. */
function parseDiagnostics(sf: TS.SourceFile): readonly TS.DiagnosticWithLocation[] {
  return (sf as unknown as { parseDiagnostics?: readonly TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
}

/**
 * Assembles the result from validated values (`validRoot`: the extracted values, or what is left of
 * them once invalid ones are dropped). Reads the extraction for declaration order and locations.
 */
function buildSettings(validRoot: { [key: string]: unknown }, ex: Extraction, ctx: SourceContext, call: TS.CallExpression, settingsObject: TS.ObjectLiteralExpression, memoryMb: number): TsModelSettings {
  const root = validRoot as Record<string, unknown>;
  const locAt = (path: SettingPath, delta = 0): LineColumn => nodeAt(ctx, ex.locations.get(pathKey(path))!.node, delta);
  const valueAt = (path: SettingPath): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), root);
  // Keys in declaration order, without those dropped as invalid.
  const keys = (path: SettingPath): readonly string[] => {
    const holder = valueAt(path);
    return (ex.keyOrder.get(pathKey(path)) ?? []).filter((k) => holder !== null && typeof holder === "object" && Object.prototype.hasOwnProperty.call(holder, k));
  };

  const inputsObj = root.inputs as Record<string, InputCall>;
  const inputs = keys(["inputs"]).map((param): TsModelInput => {
    const call = inputsObj[param]!;
    const base = ["inputs", param] as const;
    const options = (call.options ?? {}) as { columns?: string[]; filter?: string; ref?: string };
    const columns = options.columns ?? null;
    const filter = options.filter ?? null;
    const ref = options.ref ?? null;
    return {
      param,
      table: call.table as string,
      columns: columns ? [...columns] : null,
      filter,
      at: locAt(base),
      tableAt: locAt([...base, "table"]),
      columnsAt: columns ? columns.map((_, i) => locAt([...base, "options", "columns", i])) : null,
      filterAt: filter !== null ? locAt([...base, "options", "filter"], 1) : null,
      ref,
      refAt: ref !== null ? locAt([...base, "options", "ref"]) : null,
    };
  });

  const declared = root.columns as Record<string, string | { type: string; description?: string }> | undefined;
  const declaredNames = declared ? keys(["columns"]) : [];
  const typeOf = (c: string | { type: string }) => (typeof c === "string" ? c : c.type);
  const packages = (root.packages ?? {}) as Record<string, string>;
  return {
    description: (root.description as string | undefined) ?? null,
    inputs,
    materialize: (root.materialize as boolean | undefined) ?? false,
    memoryMb,
    columns: declared ? declaredNames.map((name) => ({ name, type: typeOf(declared[name]!) })) : null,
    columnDocs: declaredNames.flatMap((name) => {
      const c = declared![name]!;
      return typeof c === "object" && c.description !== undefined ? [{ column: name, description: c.description, at: locAt(["columns", name]) }] : [];
    }),
    packages: Object.fromEntries(keys(["packages"]).map((name) => [name, packages[name]!])),
    codeIdentity: codeIdentity(ctx.sf, settingsObject),
    at: nodeAt(ctx, call),
  };
}
