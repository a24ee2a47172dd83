/**
 * Validates the extracted settings with the zod schema in one pass and turns each zod issue into a
 * BP0204 placed on the AST node its path points to.
 */
import type { ZodIssue } from "zod";
import { diagnostic, didYouMean, type Diagnostic } from "../diagnostics.js";
import { InputCall, NonLiteral, NotAFunction, RunFunction, type Extraction, type Lit, type Located } from "./literal.js";
import { AT_KEY, DESCRIBED_COLUMN_KEYS, INPUT_OPTION_KEYS, MEMORY_HINT, MODEL_KEYS, settingsSchema, type ParsedSettings } from "./settings-schema.js";
import { nodeAt, pathKey, renderPath, type SettingPath, type SourceContext } from "./source.js";

/** Settings that pass the schema: the (possibly repaired) extracted values and zod's output. */
export interface ValidSettings {
  readonly root: { [key: string]: Lit };
  readonly parsed: ParsedSettings;
}

export type ValidationResult =
  | { ok: true; parsed: ParsedSettings }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      /** The settings without what was invalid (see withoutInvalid), or null when they cannot be repaired. */
      partial: ValidSettings | null;
    };

export function validateSettings(ex: Extraction, ctx: SourceContext): ValidationResult {
  const result = settingsSchema.safeParse(ex.root);
  if (result.success) return { ok: true, parsed: result.data };
  const diagnostics = result.error.issues.flatMap((issue) => toDiagnostics(issue, ex, ctx));
  return { ok: false, diagnostics, partial: withoutInvalid(ex.root, result.error.issues) };
}

/**
 * The settings with every rejected value taken out, so that the checks after reading (references,
 * input columns, filters) still run on the rest: an invalid top-level setting is dropped (its
 * default applies), an invalid input option is dropped, an input whose table is invalid is left out,
 * unknown keys are removed and a missing or invalid `run` counts as a function. Works on a copy.
 */
function withoutInvalid(root: { [key: string]: Lit }, firstIssues: readonly ZodIssue[]): ValidSettings | null {
  const copy = cloneLit(root) as { [key: string]: Lit };
  let issues = firstIssues;
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const issue of issues) changed = dropInvalid(copy, issue) || changed;
    if (!changed) return null;
    const again = settingsSchema.safeParse(copy);
    if (again.success) return { root: copy, parsed: again.data };
    issues = again.error.issues;
  }
  return null;
}

type LitObject = { [key: string]: Lit };

function isLitObject(v: Lit | undefined): v is LitObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof InputCall || v instanceof RunFunction || v instanceof NotAFunction || v instanceof NonLiteral);
}

function cloneLit(v: Lit): Lit {
  if (Array.isArray(v)) return v.map(cloneLit);
  if (v instanceof InputCall) return new InputCall(v.table === undefined ? undefined : cloneLit(v.table), v.options === undefined ? undefined : cloneLit(v.options));
  if (isLitObject(v)) {
    const out: LitObject = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = cloneLit(x);
    return out;
  }
  return v;
}

/** Removes the value `issue` is about from `root`; false when there is nothing left to remove. */
function dropInvalid(root: LitObject, issue: ZodIssue): boolean {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    const holder = valueAt(root, path);
    if (!isLitObject(holder)) return false;
    for (const key of issue.keys) delete holder[key];
    return true;
  }
  const [top, param, part, option] = path;
  if (typeof top !== "string") return false;
  if (top === "run") {
    if (root.run instanceof RunFunction) return false;
    root.run = new RunFunction();
    return true;
  }
  if (top === "inputs") {
    const inputs = root.inputs;
    if (param === undefined || !isLitObject(inputs)) {
      root.inputs = Object.create(null) as LitObject;
      return true;
    }
    const call = inputs[param];
    if (call instanceof InputCall && part === "options") {
      if (typeof option === "string" && isLitObject(call.options) && option in call.options) delete call.options[option];
      else inputs[param] = new InputCall(call.table, undefined);
      return true;
    }
    if (!(String(param) in inputs)) return false;
    delete inputs[String(param)];
    return true;
  }
  if (!(top in root)) return false;
  delete root[top];
  return true;
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
  if (path.length === 0) return MODEL_KEYS;
  return path[0] === "columns" ? DESCRIBED_COLUMN_KEYS : INPUT_OPTION_KEYS;
}

function hintFor(path: SettingPath): string | undefined {
  if (path[0] === "inputs") return 'write each input as param: input("table", { columns: ["id"], filter: "usd > 0" })';
  if (path[0] === "memory") return MEMORY_HINT;
  if (path[0] === "columns") return 'declare each column as name: "TYPE" or name: { type: "TYPE", description: "..." }';
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
