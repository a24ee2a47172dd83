/**
 * Finds the `model({...})` call a TS model file default-exports, resolving `model` and `input`
 * through the file's imports of "bauplan-ts" (named, aliased or namespace imports).
 */
import type * as TS from "typescript";
import ts from "./typescript.js";
import { diagnostic, type Diagnostic } from "../diagnostics.js";
import { place, snippet, unwrap, type SourceContext } from "./source.js";

export const SDK_MODULE = "bauplan-ts";

export const EXPECTED_SHAPE =
  `import { model, input } from "${SDK_MODULE}"; ` +
  `export default model({ inputs: { data: input("table") }, run({ data }) { return data; } });`;

/** Local names under which the file sees the SDK's functions. */
export interface SdkBindings {
  readonly model: ReadonlySet<string>;
  readonly input: ReadonlySet<string>;
  /** `import * as bp from "bauplan-ts"` -> "bp". */
  readonly namespaces: ReadonlySet<string>;
}

export function sdkBindings(sf: TS.SourceFile): SdkBindings {
  const model = new Set<string>();
  const input = new Set<string>();
  const namespaces = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (st.moduleSpecifier.text !== SDK_MODULE) continue;
    const clause = st.importClause;
    if (!clause || clause.isTypeOnly || !clause.namedBindings) continue;
    if (ts.isNamespaceImport(clause.namedBindings)) {
      namespaces.add(clause.namedBindings.name.text);
      continue;
    }
    for (const el of clause.namedBindings.elements) {
      if (el.isTypeOnly) continue;
      const imported = (el.propertyName ?? el.name).text;
      if (imported === "model") model.add(el.name.text);
      if (imported === "input") input.add(el.name.text);
    }
  }
  return { model, input, namespaces };
}

/** Whether `call` calls the SDK's `model` or `input` (`model(...)`, `m(...)`, `bp.model(...)`). */
export function isSdkCall(call: TS.CallExpression, fn: "model" | "input", b: SdkBindings): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return b[fn].has(callee.text);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    b.namespaces.has(callee.expression.text) &&
    callee.name.text === fn
  );
}

/** The name a call's callee ends with: `model` for `model(...)` and `x.model(...)`. */
export function calleeName(call: TS.CallExpression): string | undefined {
  const c = call.expression;
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  return undefined;
}

/** Top-level `const|let|var name = <init>` initializers. */
function topLevelInitializers(sf: TS.SourceFile): Map<string, TS.Expression> {
  const out = new Map<string, TS.Expression>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer) out.set(d.name.text, d.initializer);
    }
  }
  return out;
}

/** The default-exported expression, and the statement that exports it. */
function defaultExport(sf: TS.SourceFile): { expr: TS.Expression | null; statement: TS.Node } | null {
  for (const st of sf.statements) {
    if (ts.isExportAssignment(st) && !st.isExportEquals) return { expr: st.expression, statement: st };
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) {
        if (el.name.text === "default") return { expr: el.propertyName ?? el.name, statement: el };
      }
    }
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && isExportDefault(st)) {
      return { expr: null, statement: st };
    }
  }
  return null;
}

function isExportDefault(st: TS.FunctionDeclaration | TS.ClassDeclaration): boolean {
  const mods = ts.getModifiers(st) ?? [];
  return mods.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) && mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

export type FindModelResult = { call: TS.CallExpression; diagnostics: [] } | { call: null; diagnostics: Diagnostic[] };

/** Locates the default-exported `model(...)` call, following `const m = model(...); export default m;`. */
export function findModelCall(ctx: SourceContext, b: SdkBindings): FindModelResult {
  const importHint = `import the model function from "${SDK_MODULE}": import { model, input } from "${SDK_MODULE}";`;
  const exported = defaultExport(ctx.sf);
  if (!exported) {
    const stray = firstTopLevelModelCall(ctx.sf, b);
    if (stray) {
      const hint = stray.variable
        ? `make it the default export: write \`export default model({ ... })\` instead of \`${stray.declaration} = model({ ... })\`, or add \`export default ${stray.variable};\``
        : "make it the default export: write `export default model({ ... })`";
      return fail(diagnostic("BP0202", "the model(...) call is not the default export", place(ctx, stray.call), hint));
    }
    return fail(diagnostic("BP0202", "no default-exported model(...) in this file", { file: ctx.file }, EXPECTED_SHAPE));
  }
  const vars = topLevelInitializers(ctx.sf);
  let expr = exported.expr ? unwrap(exported.expr) : null;
  for (let hops = 0; expr && ts.isIdentifier(expr) && hops < 8; hops++) {
    const init = vars.get(expr.text);
    if (!init) break;
    expr = unwrap(init);
  }
  if (expr && ts.isCallExpression(expr)) {
    if (isSdkCall(expr, "model", b)) return { call: expr, diagnostics: [] };
    if (calleeName(expr) === "model") {
      return fail(diagnostic("BP0202", `\`${snippet(ctx, expr.expression)}\` is not the model function of "${SDK_MODULE}"`, place(ctx, expr), importHint));
    }
  }
  const what = expr ? `\`${snippet(ctx, expr)}\`` : "a function or class";
  return fail(diagnostic("BP0202", `the default export is ${what}, not a model(...) call`, place(ctx, expr ?? exported.statement), EXPECTED_SHAPE));
}

/** The first top-level `model(...)` call, and the variable it is assigned to (`const m = model(...)`). */
interface StrayModelCall {
  readonly call: TS.CallExpression;
  /** `scored` in `export const scored = model(...)`. */
  readonly variable?: string;
  /** `export const scored`, as written before the `=`. */
  readonly declaration?: string;
}

/** The first top-level `model(...)` call, and the variable it is assigned to (`const m = model(...)`). */
function firstTopLevelModelCall(sf: TS.SourceFile, b: SdkBindings): StrayModelCall | undefined {
  for (const st of sf.statements) {
    const candidates: { expr: TS.Expression; variable?: string; declaration?: string }[] = [];
    if (ts.isExpressionStatement(st)) candidates.push({ expr: st.expression });
    if (ts.isVariableStatement(st)) {
      const exported = (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      const flags = st.declarationList.flags;
      const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
      for (const d of st.declarationList.declarations) {
        if (!d.initializer) continue;
        if (!ts.isIdentifier(d.name)) candidates.push({ expr: d.initializer });
        else candidates.push({ expr: d.initializer, variable: d.name.text, declaration: `${exported ? "export " : ""}${keyword} ${d.name.text}` });
      }
    }
    for (const c of candidates) {
      const e = unwrap(c.expr);
      if (ts.isCallExpression(e) && isSdkCall(e, "model", b)) return { ...c, call: e };
    }
  }
  return undefined;
}

function fail(d: Diagnostic): FindModelResult {
  return { call: null, diagnostics: [d] };
}
