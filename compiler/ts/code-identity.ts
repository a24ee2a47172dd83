/**
 * A TS model's code identity for its cache key: sha256 over the file's tokens (kind and text, from
 * the parse tree, so template literals and regexes are read in context), without comments, JSDoc
 * and whitespace, and without the settings of `model({...})` other than `run`: those are keyed by
 * what they mean (the plan's inputs, schema and packages, cache-keys.ts) or cannot change the table
 * (description, memory, materialize). A comment, formatting or description edit does not re-run the
 * model; an edit to code does.
 */
import type * as TS from "typescript";
import { createHash } from "node:crypto";
import ts from "./typescript.js";

/** Settings of `model({...})` whose text is part of the code identity. */
const CODE_SETTINGS = new Set(["run"]);

export function codeIdentity(sf: TS.SourceFile, settings: TS.ObjectLiteralExpression): string {
  const hash = createHash("sha256");
  const visit = (node: TS.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    if (node === settings) {
      hash.update("\u0001settings\u0000");
      for (const p of settings.properties) if (p.name !== undefined && CODE_SETTINGS.has(propertyName(p.name, sf))) visit(p);
      return;
    }
    const children = node.getChildren(sf);
    if (children.length === 0) {
      hash.update(`${node.kind}\u0000${node.getText(sf)}\u0000`);
      return;
    }
    for (const child of children) visit(child);
  };
  visit(sf);
  return hash.digest("hex");
}

function propertyName(name: TS.PropertyName, sf: TS.SourceFile): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText(sf);
}
