/**
 * The zod schema of a TS model's settings, applied once to the extracted literals.
 * Messages are written for the user; `validate.ts` places each issue on the source.
 */
import { z } from "zod";
import { InputCall, NotAFunction, RunFunction } from "./literal.js";
import { DEFAULT_MEMORY_MB, parseMemoryMb } from "./memory-size.js";

export { DEFAULT_MEMORY_MB, parseMemoryMb };

export const MODEL_KEYS = ["description", "inputs", "materialize", "memory", "columns", "packages", "run"] as const;
export const INPUT_OPTION_KEYS = ["columns", "filter", "ref"] as const;
/** Keys of a column declared as an object: `{ type: "DOUBLE", description: "..." }`. */
export const DESCRIBED_COLUMN_KEYS = ["type", "description"] as const;

export const MEMORY_EXAMPLES = '"512MB", "2GB", "1.5GiB", "2048MiB"';
/** The hint of every `memory` error: the accepted formats. */
export const MEMORY_HINT = `write a number and a unit MB, MiB, GB or GiB (case-insensitive; MB = MiB, GB = GiB), at least 1MB, such as ${MEMORY_EXAMPLES}`;


/** Custom issues with `params.at === "key"` are placed on the property name rather than its value. */
export const AT_KEY = { at: "key" } as const;

const nonBlank = (s: string): boolean => s.trim() !== "";

// npm's rules for package names (lowercase, URL-safe, optional @scope/).
const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

function noDuplicates(values: readonly string[], ctx: z.RefinementCtx, what: string, pathOf: (i: number) => (string | number)[], atKey: boolean): void {
  const seen = new Map<string, string>();
  values.forEach((v, i) => {
    const first = seen.get(v.toLowerCase());
    if (first === undefined) seen.set(v.toLowerCase(), v);
    else {
      const same = first === v ? "" : ` (column names are case-insensitive: \`${first}\` is the same column)`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: pathOf(i), message: `duplicate ${what} \`${v}\`${same}`, ...(atKey ? { params: AT_KEY } : {}) });
    }
  });
}

const inputOptions = z
  .object(
    {
      columns: z
        .array(
          z.string({ invalid_type_error: "a column name must be a string" }).refine(nonBlank, "a column name must not be empty"),
          { invalid_type_error: 'columns must be an array of column names, like ["id", "usd"]' },
        )
        .min(1, "columns must list at least one column (leave it out to read every column)")
        .superRefine((cols, ctx) => noDuplicates(cols, ctx, "column", (i) => [i], false))
        .optional(),
      filter: z
        .string({ invalid_type_error: "filter must be a string holding one DuckDB boolean expression" })
        .refine(nonBlank, "filter must not be empty (leave it out to read every row)")
        .optional(),
      ref: z
        .string({ invalid_type_error: 'ref must be a string naming a branch, a tag or a commit, like "friday" or "main@2026-11-20T17:00"' })
        .refine(nonBlank, "ref must not be empty (leave it out to read the build's branch)")
        .optional(),
    },
    { invalid_type_error: 'the options of input(...) must be an object like { columns: ["id"], filter: "usd > 0", ref: "friday" }' },
  )
  .strict();

const inputCall = z
  .custom<InputCall>((v) => v instanceof InputCall, { message: 'each input must be input("table", { columns, filter })' })
  .pipe(
    z.object({
      table: z
        .string({ required_error: "input(...) needs the table name as its first argument", invalid_type_error: "the table name must be a string" })
        .refine(nonBlank, "the table name must not be empty"),
      options: inputOptions.optional(),
    }),
  );

const keysNonBlank = (what: string) => (obj: Record<string, unknown>, ctx: z.RefinementCtx) => {
  for (const k of Object.keys(obj)) {
    if (!nonBlank(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: `${what} must not be empty`, params: AT_KEY });
  }
};

const COLUMN_TYPE_ERROR = 'a column is a DuckDB type like "BIGINT", or { type: "BIGINT", description: "..." }';
const columnType = z.string({ invalid_type_error: 'a column type must be a string naming a DuckDB type, like "BIGINT"' }).refine(nonBlank, "a column type must not be empty");
/** A column's type, or its type and description: `{ type: "DOUBLE", description: "amount in US dollars" }`. */
const describedColumn = z
  .object(
    {
      type: z.string({ required_error: 'a column declared as an object needs its type: { type: "BIGINT", description: "..." }', invalid_type_error: 'a column type must be a string naming a DuckDB type, like "BIGINT"' }).refine(nonBlank, "a column type must not be empty"),
      description: z.string({ invalid_type_error: "a column description must be a string" }).refine(nonBlank, "a column description must not be empty").optional(),
    },
    { invalid_type_error: COLUMN_TYPE_ERROR },
  )
  .strict();

/** A string is a type; an object is checked as `{ type, description }` (its own issues, not a union's). */
const columnDeclaration = z.unknown().transform((value, ctx): string | z.output<typeof describedColumn> => {
  const schema = typeof value === "object" && value !== null && !Array.isArray(value) ? describedColumn : typeof value === "string" ? columnType : null;
  if (schema === null) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: COLUMN_TYPE_ERROR });
    return z.NEVER;
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue(issue as z.IssueData);
  return z.NEVER;
});

const columns = z
  .record(z.string(), columnDeclaration, {
    invalid_type_error: 'columns must be an object mapping column names to DuckDB types, like { id: "BIGINT", usd: "DOUBLE" }',
  })
  .superRefine((cols, ctx) => {
    keysNonBlank("a column name")(cols, ctx);
    const names = Object.keys(cols);
    noDuplicates(names, ctx, "column", (i) => [names[i]!], true);
  });

const packages = z
  .record(z.string(), z.string({ invalid_type_error: 'a package version must be a string range, like "^7"' }).refine(nonBlank, "a package version must not be empty"), {
    invalid_type_error: 'packages must be an object mapping npm package names to version ranges, like { "simple-statistics": "^7" }',
  })
  .superRefine((pkgs, ctx) => {
    for (const name of Object.keys(pkgs)) {
      if (!NPM_NAME.test(name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `\`${name}\` is not a valid npm package name`, params: AT_KEY });
    }
  });

const memory = z
  .string({ invalid_type_error: "memory must be a string with a unit" })
  .transform((text, ctx) => {
    const mb = parseMemoryMb(text);
    if (mb !== null) return mb;
    const tooSmall = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(mb|mib|gb|gib)\s*$/i.test(text);
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: tooSmall ? `memory "${text}" is less than 1MB` : `memory "${text}" is not a size` });
    return z.NEVER;
  });

const run = z.unknown().superRefine((v, ctx) => {
  if (v === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "model settings need a `run` function" });
  else if (!(v instanceof RunFunction)) {
    const what = v instanceof NotAFunction ? v.what : "a value";
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `run must be a method, function expression or arrow function written in place, not ${what}` });
  }
});

export const settingsSchema = z
  .object({
    description: z.string({ invalid_type_error: "description must be a string" }).optional(),
    inputs: z
      .record(z.string(), inputCall, {
        required_error: 'model settings need `inputs`, like inputs: { data: input("table") }',
        invalid_type_error: 'inputs must be an object mapping run parameters to input("table", {...}) calls',
      })
      .superRefine(keysNonBlank("an input name")),
    materialize: z.boolean({ invalid_type_error: "materialize must be true or false" }).optional(),
    memory: memory.optional(),
    columns: columns.optional(),
    packages: packages.optional(),
    run,
  })
  .strict();

export type ParsedSettings = z.output<typeof settingsSchema>;
