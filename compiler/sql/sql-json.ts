/**
 * DuckDB's JSON (from json_serialize_sql / json_serialize_plan) read and written without losing
 * integers above 2^53: they appear as unsigned "no location" markers (18446744073709551615) and
 * as big constants in user SQL (`WHERE id = 9007199254740993`). Such integers become marker strings
 * when parsed and are written back as the exact digits.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

const BIG_INT_MARKER = "\u0000bp-int:";
const TOKEN = /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** A run of 16+ digits that stands as a whole JSON number: after `:`, `,` or `[`, before `,`, `]` or `}`. */
const LONG_INTEGER = /([:,[]\s*)(-?\d{16,})(?=\s*[,\]}])/g;

function markLongInteger(digits: string): string {
  return Number.isSafeInteger(Number(digits)) ? digits : JSON.stringify(BIG_INT_MARKER + digits);
}

export function parseDuckJson(text: string): Json {
  // Fast paths. Without a run of 16 digits no integer is too big for a double. Otherwise the long
  // integers are found by a plain scan; a digit run inside a string that looks like a number is
  // marked too, but the marker's quotes then end that string early and JSON.parse throws (a
  // backslash outside a string): the exact tokenizing path below handles that text.
  if (!/\d{16}/.test(text)) return JSON.parse(text) as Json;
  const whole = /^\s*(-?\d+)\s*$/.exec(text);
  const marked = whole ? markLongInteger(whole[1]!) : text.replace(LONG_INTEGER, (_, before: string, digits: string) => before + markLongInteger(digits));
  try {
    return JSON.parse(marked) as Json;
  } catch {
    // fall through
  }
  const guarded = text.replace(TOKEN, (match, str: string | undefined) => {
    if (str !== undefined) return str;
    const isInteger = /^-?\d+$/.test(match);
    return isInteger && !Number.isSafeInteger(Number(match)) ? JSON.stringify(BIG_INT_MARKER + match) : match;
  });
  return JSON.parse(guarded) as Json;
}

export function stringifyDuckJson(value: Json): string {
  return JSON.stringify(value).replace(/"\\u0000bp-int:(-?\d+)"/g, "$1");
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function objectField(value: Json | undefined, key: string): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const field = value[key];
  return isObject(field) ? field : undefined;
}

export function arrayField(value: Json | undefined, key: string): Json[] {
  if (!isObject(value)) return [];
  const field = value[key];
  return Array.isArray(field) ? field : [];
}

export function stringField(value: Json | undefined, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const field = value[key];
  return typeof field === "string" ? field : undefined;
}

/** An offset DuckDB recorded (`query_location`, `position`), or undefined for "none" markers. */
export function offsetField(value: Json | undefined, key: string): number | undefined {
  if (!isObject(value)) return undefined;
  const field = value[key];
  const n = typeof field === "string" && /^\d+$/.test(field) ? Number(field) : field;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Calls `visit` on every object in the tree, parents before children. */
export function forEachObject(value: Json, visit: (node: JsonObject) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachObject(item, visit);
  } else if (isObject(value)) {
    visit(value);
    for (const child of Object.values(value)) forEachObject(child, visit);
  }
}
