/**
 * Reads a TS model file statically: parse (never import, transpile or run it), find the
 * default-exported `model({...})`, extract its literal settings and validate them.
 */
import ts from "typescript";
import { diagnostic, hasErrors, offsetToLineColumn, sortDiagnostics, type Diagnostic } from "../diagnostics.js";
import { EXPECTED_SHAPE, findModelCall, sdkBindings } from "./find-model.js";
import { extractSettings, LITERAL_HINT, type Extraction, type InputCall } from "./literal.js";
import { DEFAULT_MEMORY_MB } from "./settings-schema.js";
import { nodeAt, pathKey, place, snippet, unwrap, type LineColumn, type SettingPath, type SourceContext } from "./source.js";
import { validateSettings } from "./validate.js";

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
  /** Default {}. */
  packages: Record<string, string>;
  /** Where `model(...)` is called. */
  at: LineColumn;
}

export interface ReadTsModelResult {
  /** null when there is any error. */
  settings: TsModelSettings | null;
  diagnostics: Diagnostic[];
}

/** `file` is the project-relative path used in diagnostics; `text` is the file's content. */
export function readTsModel(file: string, text: string): ReadTsModelResult {
  const kind = /\.tsx$/i.test(file) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const ctx: SourceContext = { file, text, sf };

  const syntax = parseDiagnostics(sf).map((d) =>
    diagnostic("BP0201", `${ts.flattenDiagnosticMessageText(d.messageText, "\n")} (TS${d.code})`, { file, ...offsetToLineColumn(text, d.start) }),
  );
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
  if (!valid.ok || hasErrors(diagnostics)) return done(null, diagnostics);

  return done(buildSettings(ex, ctx, call, valid.parsed.memory ?? DEFAULT_MEMORY_MB), diagnostics);
}

function done(settings: TsModelSettings | null, diagnostics: Diagnostic[]): ReadTsModelResult {
  return { settings, diagnostics: sortDiagnostics(diagnostics) };
}

/** The parser's own diagnostics; not part of TypeScript's public typings, but always present. */
function parseDiagnostics(sf: ts.SourceFile): readonly ts.DiagnosticWithLocation[] {
  return (sf as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
}

/** Assembles the result from validated values. Reads the raw extraction to keep declaration order. */
function buildSettings(ex: Extraction, ctx: SourceContext, call: ts.CallExpression, memoryMb: number): TsModelSettings {
  const root = ex.root as Record<string, unknown>;
  const locAt = (path: SettingPath, delta = 0): LineColumn => nodeAt(ctx, ex.locations.get(pathKey(path))!.node, delta);
  const keys = (path: SettingPath): readonly string[] => ex.keyOrder.get(pathKey(path)) ?? [];

  const inputsObj = root.inputs as Record<string, InputCall>;
  const inputs = keys(["inputs"]).map((param): TsModelInput => {
    const call = inputsObj[param]!;
    const base = ["inputs", param] as const;
    const options = (call.options ?? {}) as { columns?: string[]; filter?: string };
    const columns = options.columns ?? null;
    const filter = options.filter ?? null;
    return {
      param,
      table: call.table as string,
      columns: columns ? [...columns] : null,
      filter,
      at: locAt(base),
      tableAt: locAt([...base, "table"]),
      columnsAt: columns ? columns.map((_, i) => locAt([...base, "options", "columns", i])) : null,
      filterAt: filter !== null ? locAt([...base, "options", "filter"], 1) : null,
    };
  });

  const declared = root.columns as Record<string, string> | undefined;
  const packages = (root.packages ?? {}) as Record<string, string>;
  return {
    description: (root.description as string | undefined) ?? null,
    inputs,
    materialize: (root.materialize as boolean | undefined) ?? false,
    memoryMb,
    columns: declared ? keys(["columns"]).map((name) => ({ name, type: declared[name]! })) : null,
    packages: Object.fromEntries(keys(["packages"]).map((name) => [name, packages[name]!])),
    at: nodeAt(ctx, call),
  };
}
