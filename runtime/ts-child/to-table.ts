/**
 * Turns what a model's run() returned into an apache-arrow Table, or explains why it cannot.
 * Runs inside the child (it must use the same apache-arrow instance the model got), pure otherwise.
 */
import { duckdbTypeToArrow } from "../arrow/types.js";
import {
  Bool,
  DataType,
  Field,
  Float64,
  Int64,
  Null,
  RecordBatch,
  Schema,
  Table,
  TimestampMillisecond,
  Utf8,
  Vector,
  vectorFromArray,
} from "apache-arrow";

/** A result that is not a Table nor an array of row objects (reported as kind "bad-return"). */
export class BadReturnError extends Error {
  override name = "BadReturnError";
}

/** True for an apache-arrow Table, including one from another copy of apache-arrow (duck typing). */
export function isArrowTable(value: unknown): value is Table {
  if (value instanceof Table) return true;
  if (typeof value !== "object" || value === null) return false;
  const v = value as { schema?: { fields?: unknown }; batches?: unknown; numRows?: unknown };
  return Array.isArray(v.schema?.fields) && Array.isArray(v.batches) && typeof v.numRows === "number";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short human description of a value, for error messages: `a number (42)`, `undefined`... */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "number":
    case "boolean":
    case "bigint":
      return `a ${typeof value} (${String(value)}${typeof value === "bigint" ? "n" : ""})`;
    case "string": {
      const s = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `a string (${JSON.stringify(s)})`;
    }
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
  }
  if (value instanceof RecordBatch) return "an apache-arrow RecordBatch (wrap it: new Table(batch))";
  if (value instanceof Vector) return "an apache-arrow Vector (make a table: new Table({ name: vector }))";
  if (Array.isArray(value)) return "an array";
  if (isPlainObject(value)) return "a plain object (not an array of them)";
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `an instance of ${ctor}` : "an object";
}

function badReturn(what: string): BadReturnError {
  return new BadReturnError(`run() returned ${what}; expected an apache-arrow Table or an array of row objects`);
}

type ValueKind = "number" | "bigint" | "string" | "boolean" | "date" | "other";

function kindOf(v: unknown): ValueKind {
  switch (typeof v) {
    case "number":
      return "number";
    case "bigint":
      return "bigint";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
  }
  return v instanceof Date ? "date" : "other";
}

const typeOfKind: Record<Exclude<ValueKind, "other">, () => DataType> = {
  number: () => new Float64(),
  bigint: () => new Int64(),
  string: () => new Utf8(),
  boolean: () => new Bool(),
  date: () => new TimestampMillisecond(),
};

/**
 * Rows -> Table. Columns are the union of the rows' keys in first-seen order (a missing key is null).
 * Each column's type comes from its non-null values: number -> Float64, bigint -> Int64,
 * string -> Utf8, boolean -> Bool, Date -> Timestamp(ms), nested values -> apache-arrow's inference;
 * a column mixing kinds (e.g. numbers and strings) is an error rather than silent nulls.
 */
export function rowsToTable(rows: readonly Record<string, unknown>[]): Table {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
    }
  }
  if (names.length === 0) throw badReturn("an array of rows that have no keys");
  const columns: Record<string, Vector> = {};
  for (const name of names) {
    const values = rows.map((r) => (r[name] === undefined ? null : r[name]));
    let kind: ValueKind | null = null;
    let firstRow = -1;
    values.forEach((v, i) => {
      if (v === null) return;
      const k = kindOf(v);
      if (kind === null) {
        kind = k;
        firstRow = i;
      } else if (k !== kind) {
        throw new BadReturnError(
          `run() returned rows whose column "${name}" mixes ${kind} (row ${firstRow}) and ${k} (row ${i}) values; ` +
            "give each column a single type",
        );
      }
    });
    const k = kind as ValueKind | null;
    try {
      if (k === null) columns[name] = vectorFromArray(values, new Null());
      else if (k === "other") columns[name] = vectorFromArray(values);
      else columns[name] = vectorFromArray(values, typeOfKind[k]());
    } catch (err) {
      throw new BadReturnError(`run() returned rows whose column "${name}" cannot be converted to Arrow: ${(err as Error).message}`);
    }
  }
  return new Table(columns);
}

/** DuckDB type name (as declared in a model's `columns`) -> Arrow type (runtime/arrow's map), or null when not mapped. */
export function arrowTypeForDuckDb(duckType: string): DataType | null {
  try {
    return duckdbTypeToArrow(duckType.trim());
  } catch {
    return null;
  }
}

/**
 * Normalizes run()'s (awaited) result to a Table.
 * - a Table is returned as is;
 * - an array of plain objects goes through rowsToTable;
 * - an EMPTY array has no columns to infer: it is accepted only when the model declares `columns`
 *   (every declared type must be one arrowTypeForDuckDb maps), giving an empty table of that schema;
 *   otherwise it is a bad return (return an empty Table instead, e.g. `data.slice(0, 0)`).
 * Anything else throws BadReturnError.
 */
export function toTable(value: unknown, declaredColumns?: Readonly<Record<string, string>> | null): Table {
  if (isArrowTable(value)) return decodeDictionaries(value);
  if (!Array.isArray(value)) throw badReturn(describeValue(value));
  if (value.length === 0) {
    const declared = declaredColumns ? Object.entries(declaredColumns) : [];
    if (declared.length === 0) {
      throw new BadReturnError(
        "run() returned an empty array, which has no columns to build a table from; " +
          "return an empty apache-arrow Table instead (e.g. `data.slice(0, 0)`), or declare the model's `columns`",
      );
    }
    const fields = declared.map(([name, duck]) => {
      const type = arrowTypeForDuckDb(duck);
      if (!type) {
        throw new BadReturnError(
          `run() returned an empty array and declared column "${name}" has type ${duck}, which bp cannot map to Arrow; ` +
            "return an empty apache-arrow Table instead",
        );
      }
      return new Field(name, type, true);
    });
    return new Table(new Schema(fields));
  }
  const bad = value.findIndex((row) => !isPlainObject(row));
  if (bad >= 0) throw badReturn(`an array whose element ${bad} is ${describeValue(value[bad])}`);
  return rowsToTable(value as Record<string, unknown>[]);
}

/**
 * Dictionary-encoded columns (what `vectorFromArray(["a", ...])` makes) are decoded to their value
 * type: DuckDB has no dictionary columns, and a table split into batches would otherwise carry
 * replacement dictionaries, which the Arrow IPC file format cannot hold.
 */
export function decodeDictionaries(table: Table): Table {
  if (!table.schema.fields.some((f) => DataType.isDictionary(f.type))) return table;
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) {
    const column = table.getChild(field.name)!;
    columns[field.name] = DataType.isDictionary(field.type)
      ? vectorFromArray(Array.from({ length: column.length }, (_, i) => column.get(i)), field.type.dictionary)
      : column;
  }
  return new Table(columns);
}
