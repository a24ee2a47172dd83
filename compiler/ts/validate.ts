/**
 * Validates the extracted settings with the zod schema in one pass and turns each zod issue into a
 * BP0204 placed on the AST node its path points to.
 */
import type { ZodIssue } from "zod";
import { diagnostic, didYouMean, type Diagnostic } from "../diagnostics.js";
import { InputCall, NonLiteral, NotAFunction, RunFunction, type Extraction, type Lit, type Located } from "./literal.js";
import { AT_KEY, INPUT_OPTION_KEYS, MODEL_KEYS, settingsSchema, type ParsedSettings } from "./settings-schema.js";
import { nodeAt, pathKey, renderPath, type SettingPath, type SourceContext } from "./source.js";

export type ValidationResult = { ok: true; parsed: ParsedSettings } | { ok: false; diagnostics: Diagnostic[] };

export function validateSettings(ex: Extraction, ctx: SourceContext): ValidationResult {
  const result = settingsSchema.safeParse(ex.root);
  if (result.success) return { ok: true, parsed: result.data };
  const diagnostics = result.error.issues.flatMap((issue) => toDiagnostics(issue, ex, ctx));
  return { ok: false, diagnostics };
}

function toDiagnostics(issue: ZodIssue, ex: Extraction, ctx: SourceContext): Diagnostic[] {
  const path = issue.path;
  if (hidesNonLiteral(ex.root, path)) return []; // already reported as BP0203
  const at = (loc: Located | undefined, onKey: boolean) => {
    const node = loc ? (onKey && loc.keyNode) || loc.node : undefined;
    return node ? { file: ctx.file, ...nodeAt(ctx, node) } : { file: ctx.file };
  };

  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(path);
    const where = path.length === 0 ? "setting" : path.length === 3 ? "input option" : `key in ${renderPath(path)}`;
    return issue.keys.map((key) => {
      const suggestion = didYouMean(key, allowed);
      const message = `unknown ${where} \`${key}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ""}`;
      return diagnostic("BP0204", message, at(ex.locations.get(pathKey([...path, key])), true), `allowed: ${allowed.join(", ")}`);
    });
  }

  const present = valueAt(ex.root, path) !== undefined;
  if (!present && ex.openObjects.has(pathKey(path.slice(0, -1)))) return []; // may come from a spread
  const loc = nearestLocation(ex, path);
  let message = issue.message;
  if (issue.code === "invalid_type" && present) message += `, got ${describe(valueAt(ex.root, path))}`;
  if (path[0] === "inputs" && path.length >= 2) message = `${renderPath(path.slice(0, 2))}: ${message}`;
  const onKey = issue.code === "custom" && (issue.params as { at?: string } | undefined)?.at === AT_KEY.at;
  return [diagnostic("BP0204", message, at(loc, onKey), hintFor(path))];
}

function allowedKeys(path: SettingPath): readonly string[] {
  return path.length === 0 ? MODEL_KEYS : INPUT_OPTION_KEYS;
}

function hintFor(path: SettingPath): string | undefined {
  if (path[0] === "inputs") return 'write each input as param: input("table", { columns: ["id"], filter: "usd > 0" })';
  return undefined;
}

/** The value at `path`, stepping through `input(...)` calls as `{ table, options }`. */
function valueAt(root: Lit, path: SettingPath): Lit | undefined {
  let v: Lit | undefined = root;
  for (const seg of path) {
    if (v === null || v === undefined || typeof v !== "object") return undefined;
    if (v instanceof RunFunction || v instanceof NotAFunction || v instanceof NonLiteral) return undefined;
    if (v instanceof InputCall) v = seg === "table" ? v.table : seg === "options" ? v.options : undefined;
    else if (Array.isArray(v)) v = typeof seg === "number" ? v[seg] : undefined;
    else v = Object.prototype.hasOwnProperty.call(v, seg) ? (v as Record<string, Lit>)[seg] : undefined;
  }
  return v;
}

function hidesNonLiteral(root: Lit, path: SettingPath): boolean {
  for (let i = 0; i <= path.length; i++) if (valueAt(root, path.slice(0, i)) instanceof NonLiteral) return true;
  return false;
}

/** Where the value at `path` is written, or its closest written ancestor (for missing keys). */
function nearestLocation(ex: Extraction, path: SettingPath): Located | undefined {
  for (let i = path.length; i >= 0; i--) {
    const loc = ex.locations.get(pathKey(path.slice(0, i)));
    if (loc) return loc;
  }
  return undefined;
}

function describe(v: Lit | undefined): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof InputCall) return "an input(...) call";
  if (v instanceof RunFunction) return "a function";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}
