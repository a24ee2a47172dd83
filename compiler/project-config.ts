/**
 * bp_project.yml: the project's name, lake location, default branch and vars.
 * Validated with a zod schema in one pass; every problem is a BP0001 at its line:col.
 */
import type * as Yaml from "yaml";
import { requireCjs } from "./require-cjs.js";
import { z } from "zod";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { diagnostic, didYouMean, type Diagnostic } from "./diagnostics.js";
import { fingerprint, packageVersion, readEntry, sha256, writeEntry } from "./project-cache.js";
import type { VarValue } from "./vars.js";

export const PROJECT_FILE = "bp_project.yml";

export interface ProjectConfig {
  readonly name: string;
  /** Lake location as written: a folder (relative to the project root, or absolute) or `s3://bucket/prefix`. */
  readonly lake: string;
  /** S3 settings, used when `lake` is an `s3://` URL. */
  readonly s3?: S3Settings;
  /** Default branch builds read from and commit to. */
  readonly branch: string;
  /** Var defaults as YAML typed them: strings, numbers, booleans (see vars.ts). */
  readonly vars: Readonly<Record<string, VarValue>>;
  /** Source descriptions (`sources:`), in file order; checked against the lake at compile time. */
  readonly sources: readonly SourceDoc[];
}

/** `sources:` in bp_project.yml: descriptions of source tables of the lake and of their columns. */
export interface SourceDoc {
  readonly table: string;
  readonly description: string | null;
  /** Where the table name is written in bp_project.yml. */
  readonly at: { readonly line: number; readonly column: number };
  readonly columns: readonly { readonly column: string; readonly description: string; readonly at: { readonly line: number; readonly column: number } }[];
}

export interface S3Settings {
  /** e.g. `http://127.0.0.1:4568`; absent: AWS's endpoint for the region. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly force_path_style?: boolean;
  /** How branch heads move: `auto` (conditional writes if the server enforces them, else a host lock). */
  readonly conditional_writes?: "auto" | "required" | "host-lock";
  /** Scan cache folder (default ~/.cache/bp/scan-cache) and size bound, e.g. `10GB`. */
  readonly cache_dir?: string;
  readonly cache_max_size?: string;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const SIZE_RE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i;

const s3Schema = z
  .object({
    endpoint: z.string().regex(/^https?:\/\/[^\s/]+\/?$/, "endpoint is an http(s) URL such as http://127.0.0.1:4568").optional(),
    region: z.string().regex(/^[a-z0-9-]+$/, "region is an AWS region name such as us-east-1").optional(),
    force_path_style: z.boolean().optional(),
    conditional_writes: z.enum(["auto", "required", "host-lock"]).optional(),
    cache_dir: z.string().min(1).optional(),
    cache_max_size: z.string().regex(SIZE_RE, "cache_max_size is a size such as 10GB or 500MiB").optional(),
  })
  .strict();

const nonBlank = (what: string) => z.string({ invalid_type_error: `${what} must be a string` }).refine((v) => v.trim() !== "", `${what} must not be empty`);

const sourcesSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "source names are table names (letters, digits and '_')"),
  z
    .object({
      description: nonBlank("a source description").optional(),
      columns: z.record(z.string(), nonBlank("a column description"), { invalid_type_error: "columns map column names to descriptions" }).optional(),
    }, { invalid_type_error: "a source is an object: { description: ..., columns: { <column>: <description> } }" })
    .strict(),
  { invalid_type_error: "sources map source table names to { description, columns }" },
);

const configSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "name may use letters, digits, '_', '.' and '-'"),
    lake: z
      .string()
      .min(1)
      .refine((v) => !v.startsWith("s3://") || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v), "an S3 lake is s3://bucket/prefix (bucket: lowercase letters, digits, '.' and '-')")
      .default(".bp/lake"),
    s3: s3Schema.optional(),
    branch: z.string().regex(/^[A-Za-z0-9_./-]+$/, "branch names use letters, digits, '_', '.', '/' and '-'").default("main"),
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "var names are identifiers"), scalar).default({}),
    sources: sourcesSchema.default({}),
  })
  .strict();

const KNOWN_KEYS = Object.keys(configSchema.shape);
const S3_KEYS = Object.keys(s3Schema.shape);
const SOURCE_KEYS = ["description", "columns"];
const YAML_HINT = 'bp_project.yml is YAML: one "key: value" per line, nested keys indented under their parent, quotes closed on the same line';

export interface ProjectConfigResult {
  config: ProjectConfig | null;
  diagnostics: Diagnostic[];
}

/**
 * parseProjectConfig through a cache file (see project-cache.ts), keyed by the text and by the code
 * and package versions that read it: a hit does not load the YAML parser (~30 ms of a compile).
 */
export function parseProjectConfigCached(text: string, cacheFile: string | undefined): ProjectConfigResult {
  if (cacheFile === undefined) return parseProjectConfig(text);
  const key = sha256(`${configReaderFingerprint()}\0${text}`);
  const hit = readEntry(cacheFile, key, isConfigResult);
  if (hit) return hit;
  const result = parseProjectConfig(text);
  writeEntry(cacheFile, key, result);
  return result;
}

function isConfigResult(value: unknown): value is ProjectConfigResult {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return Array.isArray(r.diagnostics) && (r.config === null || (typeof r.config === "object" && !Array.isArray(r.config)));
}

let readerPrint: string | undefined;

function configReaderFingerprint(): string {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here);
  readerPrint ??= fingerprint([
    { file: here },
    { file: path.join(path.dirname(here), `diagnostics${ext}`) },
    `yaml ${packageVersion("yaml")}`,
    `zod ${packageVersion("zod")}`,
  ]);
  return readerPrint;
}

export function parseProjectConfig(text: string): ProjectConfigResult {
  const { LineCounter, parseDocument, isNode } = requireCjs("yaml") as typeof Yaml;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { file: PROJECT_FILE, line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return {
      config: null,
      diagnostics: doc.errors.map((e) =>
        diagnostic("BP0001", `invalid YAML: ${e.message.split("\n")[0]}`, at(e.pos[0]), YAML_HINT),
      ),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) {
    const { sources, ...rest } = parsed.data;
    const keyAt = (path: string[], key: string) => at(findKeyNode(doc, path, key) ?? 0);
    const sourceDocs = Object.entries(sources).map(([table, d]): SourceDoc => {
      const { line, column } = keyAt(["sources"], table);
      return {
        table,
        description: d.description ?? null,
        at: { line, column },
        columns: Object.entries(d.columns ?? {}).map(([c, description]) => {
          const where = keyAt(["sources", table, "columns"], c);
          return { column: c, description, at: { line: where.line, column: where.column } };
        }),
      };
    });
    return { config: { ...rest, sources: sourceDocs }, diagnostics: [] };
  }

  const diagnostics = parsed.error.issues.flatMap((issue): Diagnostic[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const node = doc.getIn([...issue.path, key], true);
        const keyNode = findKeyNode(doc, [...issue.path], key);
        const known = issue.path.length === 0 ? KNOWN_KEYS : issue.path[0] === "s3" ? S3_KEYS : issue.path[0] === "sources" && issue.path.length === 2 ? SOURCE_KEYS : undefined;
        const suggestion = known === undefined ? undefined : didYouMean(key, known);
        return diagnostic(
          "BP0001",
          `unknown setting "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          at(keyNode ?? (isNode(node) && node.range ? node.range[0] : 0)),
          issue.path.length > 0 ? hintFor(issue.path) : `bp_project.yml accepts: ${KNOWN_KEYS.join(", ")}`,
        );
      });
    }
    const node = doc.getIn(issue.path, true);
    // a bad source name is reported at the name (the key), not at its settings
    const atKey = issue.path[0] === "sources" && issue.path.length === 2 && issue.code === "invalid_string";
    const keyOffset = atKey ? findKeyNode(doc, ["sources"], String(issue.path[1])) : undefined;
    const offset = keyOffset ?? (isNode(node) && node.range ? node.range[0] : 0);
    const where = issue.path.length ? issue.path.join(".") : "bp_project.yml";
    const message = issue.code === "invalid_type" && issue.received === "undefined" ? `missing required setting "${where}"` : `${where}: ${issue.message}`;
    return [diagnostic("BP0001", message, at(offset), hintFor(issue.path))];
  });
  return { config: null, diagnostics };
}

function findKeyNode(doc: ReturnType<typeof Yaml.parseDocument>, path: (string | number)[], key: string): number | undefined {
  const parent = path.length ? doc.getIn(path, true) : doc.contents;
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  const pair = items?.find((p) => p.key?.value === key);
  return pair?.key?.range?.[0];
}

function hintFor(path: (string | number)[]): string {
  switch (path[0]) {
    case "name":
      return 'e.g. name: my_project';
    case "lake":
      return "a folder relative to the project (default .bp/lake), or s3://bucket/prefix";
    case "s3":
      return "s3: { endpoint: http://127.0.0.1:4568, region: us-east-1, force_path_style: true, conditional_writes: auto|required|host-lock, cache_dir, cache_max_size: 10GB }";
    case "sources":
      return "sources: { transactions: { description: Card payments, columns: { usd: Amount in US dollars } } }";
    case "vars":
      return 'vars map names to strings, numbers or booleans, e.g. vars: { start_date: "2023-01-01" }';
    default:
      return `bp_project.yml accepts: ${KNOWN_KEYS.join(", ")}`;
  }
}
