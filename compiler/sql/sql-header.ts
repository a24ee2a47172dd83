/**
 * Settings of a SQL model, read from the header: the leading run of `--` comment lines and blank
 * lines. A setting line is `-- bp: <key> [<arg>] = <value>`; `ref` is the keyed one
 * (`-- bp: ref <table> = <ref>`: read that source at a lake ref). Every problem is a BP0110
 * diagnostic at the offending key, argument or value.
 */
import { type Diagnostic, diagnostic, didYouMean } from "../diagnostics.js";

/** One `-- bp:` line as written. Line and columns are 1-based. */
export interface HeaderSetting {
  readonly key: string;
  readonly arg?: string;
  readonly value: string;
  readonly line: number;
  /** Column of the key. */
  readonly column: number;
  readonly argColumn?: number;
  readonly valueColumn: number;
}

/** `-- bp: column <name> = <description>`: a description of one output column. */
export interface SqlColumnDoc {
  readonly column: string;
  readonly description: string;
  readonly line: number;
  /** Column of the column name (the argument). */
  readonly nameColumn: number;
}

/** A source pinned to a lake ref by the header. Line and columns are 1-based. */
export interface SqlSourceRef {
  readonly table: string;
  readonly ref: string;
  readonly line: number;
  readonly tableColumn: number;
  /** Column of the ref (the value). */
  readonly column: number;
}

export interface SqlHeader {
  /** Defaults to false. */
  readonly materialize: boolean;
  readonly description: string | null;
  /** `-- bp: ref <table> = <ref>` lines, one per table. */
  readonly refs: readonly SqlSourceRef[];
  /** `-- bp: column <name> = <description>` lines, one per column (checked against the output once bound). */
  readonly columnDocs: readonly SqlColumnDoc[];
  /** Every well-formed setting line of the header, in file order (valid or not). */
  readonly settings: readonly HeaderSetting[];
  /** Offset just past the header (where the SQL begins). */
  readonly headerEnd: number;
  readonly diagnostics: Diagnostic[];
}

const SETTINGS_HELP =
  "header settings are `-- bp: materialize = true|false`, `-- bp: description = <text>`, `-- bp: column <name> = <text>` and `-- bp: ref <table> = <branch, tag, commit or branch@time>`";
const KNOWN_KEYS = ["materialize", "description", "column", "ref"] as const;
const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
type KnownKey = (typeof KNOWN_KEYS)[number];

const SETTING_LINE = /^(\s*--\s*)(bp:)/i;

interface HeaderLine {
  readonly text: string;
  readonly line: number;
  readonly offset: number;
}

function splitLines(text: string): HeaderLine[] {
  const lines: HeaderLine[] = [];
  let offset = 0;
  text.split("\n").forEach((raw, i) => {
    lines.push({ text: raw.endsWith("\r") ? raw.slice(0, -1) : raw, line: i + 1, offset });
    offset += raw.length + 1;
  });
  return lines;
}

function isHeaderLine(text: string): boolean {
  const t = text.trim();
  return t === "" || t.startsWith("--");
}

/** Parses the text after `bp:` into a setting, or explains what is wrong with it. */
function parseSettingLine(
  file: string,
  line: HeaderLine,
  afterPrefix: number,
): { setting?: HeaderSetting; problem?: Diagnostic } {
  const text = line.text;
  const at = (index: number) => ({ file, line: line.line, column: index + 1 });
  let i = afterPrefix;
  while (text[i] === " " || text[i] === "\t") i++;
  const key = /^[A-Za-z_][\w-]*/.exec(text.slice(i))?.[0];
  if (!key) {
    return { problem: diagnostic("BP0110", "missing setting name after `bp:`", at(i), SETTINGS_HELP) };
  }
  const keyIndex = i;
  i += key.length;
  while (text[i] === " " || text[i] === "\t") i++;
  let arg: string | undefined;
  let argIndex: number | undefined;
  if (!text.includes("=", i)) {
    return {
      problem: diagnostic("BP0110", `expected \`=\` after \`${key}\``, at(i), `write \`-- bp: ${key} = <value>\`; ${SETTINGS_HELP}`),
    };
  }
  if (text[i] !== "=") {
    // an argument is a bare word or a double-quoted name ("" inside for a quote): `column "unit price" = ...`
    const quoted = /^"((?:[^"]|"")*)"/.exec(text.slice(i));
    const written = quoted ? quoted[0] : /^[^\s=]+/.exec(text.slice(i))![0];
    arg = quoted ? quoted[1]!.replaceAll('""', '"') : written;
    argIndex = i;
    i += written.length;
    while (text[i] === " " || text[i] === "\t") i++;
  }
  if (text[i] !== "=") {
    return {
      problem: diagnostic("BP0110", `expected \`=\` after \`${arg!}\``, at(i), `write \`-- bp: ${key} = <value>\`; ${SETTINGS_HELP}`),
    };
  }
  i++;
  while (text[i] === " " || text[i] === "\t") i++;
  const value = text.slice(i).trimEnd();
  const setting: HeaderSetting = {
    key,
    ...(arg !== undefined ? { arg, argColumn: argIndex! + 1 } : {}),
    value,
    line: line.line,
    column: keyIndex + 1,
    valueColumn: i + 1,
  };
  return { setting };
}

function isKnownKey(key: string): key is KnownKey {
  return (KNOWN_KEYS as readonly string[]).includes(key);
}

export function parseSqlHeader(file: string, text: string): SqlHeader {
  const diagnostics: Diagnostic[] = [];
  const settings: HeaderSetting[] = [];
  const lines = splitLines(text);
  let headerLineCount = 0;
  while (headerLineCount < lines.length && isHeaderLine(lines[headerLineCount]!.text)) headerLineCount++;

  for (const line of lines.slice(0, headerLineCount)) {
    const prefix = SETTING_LINE.exec(line.text);
    if (!prefix) continue;
    const { setting, problem } = parseSettingLine(file, line, prefix[0].length);
    if (problem) diagnostics.push(problem);
    if (setting) settings.push(setting);
  }
  for (const line of lines.slice(headerLineCount)) {
    const prefix = SETTING_LINE.exec(line.text);
    if (!prefix) continue;
    diagnostics.push(
      diagnostic(
        "BP0110",
        "`-- bp:` setting after the SQL has started",
        { file, line: line.line, column: prefix[1]!.length + 1 },
        "settings are read only from the header (the comment lines at the very top of the file): move it there",
      ),
    );
  }

  let materialize = false;
  let description: string | null = null;
  const refs: SqlSourceRef[] = [];
  const columnDocs: SqlColumnDoc[] = [];
  const seen = new Map<string, HeaderSetting>();
  for (const s of settings) {
    const keyAt = { file, line: s.line, column: s.column };
    const key = s.key.toLowerCase();
    if (key === "ref") {
      const problem = refProblem(file, s, refs);
      if (problem) diagnostics.push(problem);
      else refs.push({ table: s.arg!, ref: s.value, line: s.line, tableColumn: s.argColumn!, column: s.valueColumn });
      continue;
    }
    if (key === "column") {
      const problem = columnDocProblem(file, s, columnDocs);
      if (problem) diagnostics.push(problem);
      else columnDocs.push({ column: s.arg!, description: s.value, line: s.line, nameColumn: s.argColumn! });
      continue;
    }
    if (!isKnownKey(key)) {
      const suggestion = didYouMean(s.key, KNOWN_KEYS);
      diagnostics.push(
        diagnostic(
          "BP0110",
          `unknown setting "${s.key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          keyAt,
          SETTINGS_HELP,
        ),
      );
      continue;
    }
    const first = seen.get(key);
    if (first) {
      diagnostics.push(diagnostic("BP0110", `"${key}" is set twice (first on line ${first.line})`, keyAt, "keep one of the two lines"));
      continue;
    }
    if (s.arg !== undefined) {
      diagnostics.push(
        diagnostic("BP0110", `"${key}" takes no argument, found "${s.arg}"`, { file, line: s.line, column: s.argColumn! }, `write \`-- bp: ${key} = <value>\``),
      );
      continue;
    }
    seen.set(key, s);
    const valueAt = { file, line: s.line, column: s.valueColumn };
    if (key === "materialize") {
      const v = s.value.toLowerCase();
      if (v === "true" || v === "false") materialize = v === "true";
      else {
        const found = s.value === "" ? "nothing" : `"${s.value}"`;
        diagnostics.push(diagnostic("BP0110", `materialize must be true or false, found ${found}`, valueAt, "write `-- bp: materialize = true` or `-- bp: materialize = false`"));
      }
    } else if (s.value === "") {
      diagnostics.push(diagnostic("BP0110", "description is empty", valueAt, "write `-- bp: description = <text>` or remove the line"));
    } else {
      description = s.value;
    }
  }

  const headerEnd = headerLineCount < lines.length ? lines[headerLineCount]!.offset : text.length;
  return { materialize, description, refs, columnDocs, settings, headerEnd, diagnostics };
}

const REF_USAGE = "write `-- bp: ref <table> = <ref>`, e.g. `-- bp: ref transactions = friday` (a branch, a tag, a commit id or main@2026-11-20T17:00)";

const COLUMN_USAGE = "write `-- bp: column <column> = <description>`, e.g. `-- bp: column usd = amount in US dollars`";

function columnDocProblem(file: string, s: HeaderSetting, earlier: readonly SqlColumnDoc[]): Diagnostic | null {
  if (s.arg === undefined) return diagnostic("BP0110", "`column` needs the column it describes", { file, line: s.line, column: s.column }, COLUMN_USAGE);
  const argAt = { file, line: s.line, column: s.argColumn! };
  const first = earlier.find((d) => d.column.toLowerCase() === s.arg!.toLowerCase());
  if (first) return diagnostic("BP0110", `the description of column "${s.arg}" is set twice (first on line ${first.line})`, argAt, "keep one of the two lines");
  if (s.value === "") return diagnostic("BP0110", `the description of column "${s.arg}" is empty`, { file, line: s.line, column: s.valueColumn }, COLUMN_USAGE);
  return null;
}

function refProblem(file: string, s: HeaderSetting, earlier: readonly SqlSourceRef[]): Diagnostic | null {
  if (s.arg === undefined) return diagnostic("BP0110", "`ref` needs the table it applies to", { file, line: s.line, column: s.column }, REF_USAGE);
  const argAt = { file, line: s.line, column: s.argColumn! };
  if (!TABLE_RE.test(s.arg)) return diagnostic("BP0110", `"${s.arg}" is not a table name`, argAt, REF_USAGE);
  const first = earlier.find((r) => r.table.toLowerCase() === s.arg!.toLowerCase());
  if (first) return diagnostic("BP0110", `the ref of "${s.arg}" is set twice (first on line ${first.line})`, argAt, "keep one of the two lines");
  if (s.value === "" || /\s/.test(s.value)) {
    return diagnostic("BP0110", s.value === "" ? `the ref of "${s.arg}" is empty` : `ref "${s.value}" contains a space`, { file, line: s.line, column: s.valueColumn }, REF_USAGE);
  }
  return null;
}
