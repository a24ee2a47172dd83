/**
 * Template vars: declared with defaults in bp_project.yml (YAML strings, numbers, booleans) and
 * overridden with `--var name=value`. Templates see the typed value, so `{{#if (var "flag")}}` is
 * false for `flag: false`; rendered with `{{var "x"}}` a value prints as its text. The plan records
 * every var as text (`String(value)`).
 */
import type * as Yaml from "yaml";
import { requireCjs } from "./require-cjs.js";

export type VarValue = string | number | boolean | null;

/**
 * A `--var` value read as a YAML scalar: `true`/`false` (and YAML's `True`, `FALSE`) are booleans,
 * `null`/`~` is null, a number is a number when it prints back as written (`10`, `-2.5`, but `007`,
 * `1.10`, `1e3` and `0x1F` stay text, so a rendered template shows what was typed); the rest is text.
 */
export function parseVarValue(text: string): VarValue {
  let value: unknown;
  try {
    value = (requireCjs("yaml") as typeof Yaml).parse(text, { schema: "core" });
  } catch {
    return text;
  }
  if (typeof value === "boolean") return value;
  if (value === null) return /^(null|Null|NULL|~)$/.test(text) ? null : text;
  if (typeof value === "number") return String(value) === text ? value : text;
  return text;
}

/** Every var as the text the plan records. */
export function varTexts(vars: Readonly<Record<string, VarValue>>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, String(value)]));
}
