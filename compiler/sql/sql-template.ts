/**
 * Renders a SQL model's Handlebars template (`{{var "start_date"}}`) and keeps a map from offsets
 * in the rendered SQL back to offsets in the original file, so later diagnostics point at what the
 * user wrote. Comments (the header included) stay in the rendered text.
 *
 * How the map is built: the template is parsed once; a sentinel is inserted between its top-level
 * statements and the whole program is rendered once; the sentinels cut the output into one piece per
 * statement. Text pieces are copied verbatim (exact mapping); every other piece (a mustache, a block)
 * maps to the start of its statement in the original.
 */
import type Handlebars from "handlebars";
import { requireCjs } from "../require-cjs.js";
import { type Diagnostic, diagnostic, didYouMean, offsetToLineColumn } from "../diagnostics.js";
import { lineStarts } from "./sql-text.js";
import type { VarValue } from "../vars.js";

export interface RenderedSql {
  readonly sql: string;
  /** Maps an offset in `sql` to an offset in the original text. */
  toSourceOffset(renderedOffset: number): number;
  readonly diagnostics: Diagnostic[];
}

interface Segment {
  readonly renderedStart: number;
  readonly renderedEnd: number;
  readonly sourceStart: number;
  readonly sourceEnd: number;
  /** True when the rendered text is a verbatim copy of the source range. */
  readonly verbatim: boolean;
}

interface Position {
  readonly line: number; // 1-based
  readonly column: number; // 0-based
}
interface Located {
  readonly type: string;
  readonly loc: { readonly start: Position; readonly end: Position };
}
interface ContentNode extends Located {
  readonly type: "ContentStatement";
  readonly value: string;
  readonly original: string;
}
interface HelperOptionsWithLoc {
  readonly name?: string;
  readonly loc?: { readonly start: Position };
}
/** Handlebars' shared jison parser; after a parse error its lexer still holds the failing position. */
interface JisonParserState {
  readonly lexer?: { readonly matched?: string; readonly match?: string };
}

const SENTINEL = "\u0000bp-template-split\u0000";
const VAR_USAGE = 'write {{var "name"}} with the var name in quotes';

function isContent(node: Located): node is ContentNode {
  return node.type === "ContentStatement";
}

function identityRender(text: string, diagnostics: Diagnostic[]): RenderedSql {
  return { sql: text, toSourceOffset: (o) => Math.max(0, Math.min(o, text.length)), diagnostics };
}

/** Where the verbatim `value` of a (possibly whitespace-stripped) content node starts in the source. */
function contentSourceStart(node: ContentNode, nodeStart: number): number | undefined {
  const { value, original } = node;
  for (let s = 0; s + value.length <= original.length; s++) {
    if (original.startsWith(value, s) && original.slice(s + value.length).trim() === "") return nodeStart + s;
    if (!/\s/.test(original[s] ?? "")) break;
  }
  return undefined;
}

function buildMap(segments: readonly Segment[], sourceLength: number): (o: number) => number {
  return (offset: number) => {
    if (segments.length === 0) return Math.max(0, Math.min(offset, sourceLength));
    if (offset <= 0) return segments[0]!.sourceStart;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.renderedStart <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo]!;
    if (offset >= seg.renderedEnd) return seg.sourceEnd;
    return seg.verbatim ? seg.sourceStart + (offset - seg.renderedStart) : seg.sourceStart;
  };
}

export function renderSqlTemplate(file: string, text: string, vars: Readonly<Record<string, VarValue>>): RenderedSql {
  const diagnostics: Diagnostic[] = [];
  // Without "{{" Handlebars outputs the text verbatim (one content statement): skip compiling it.
  if (!text.includes("{{")) return identityRender(text, diagnostics);
  const starts = lineStarts(text);
  const offsetOf = (p: Position) => Math.min(text.length, (starts[p.line - 1] ?? text.length) + p.column);
  const at = (p: Position) => ({ file, line: p.line, column: p.column + 1 });
  const varNames = Object.keys(vars);

  const env = (requireCjs("handlebars") as typeof Handlebars).create();
  env.registerHelper("var", (...args: unknown[]) => {
    const options = args.pop() as HelperOptionsWithLoc;
    const where = options.loc ? at(options.loc.start) : { file };
    const name = args[0];
    if (args.length !== 1 || typeof name !== "string") {
      diagnostics.push(diagnostic("BP0106", "`var` takes exactly one quoted var name", where, VAR_USAGE));
      return "";
    }
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      const suggestion = didYouMean(name, varNames);
      const hint = suggestion
        ? `did you mean "${suggestion}"?`
        : varNames.length > 0
          ? `declared vars: ${varNames.join(", ")}`
          : "the project declares no vars";
      diagnostics.push(diagnostic("BP0107", `unknown var "${name}"`, where, hint));
      return "";
    }
    return vars[name];
  });
  env.registerHelper("helperMissing", (...args: unknown[]) => {
    const options = args.pop() as HelperOptionsWithLoc;
    const name = options.name ?? "?";
    const hint = Object.prototype.hasOwnProperty.call(vars, name)
      ? `"${name}" is a var: write {{var "${name}"}}`
      : `the helpers are var ({{var "name"}}) and Handlebars' built-ins (if, unless, each, with)`;
    diagnostics.push(diagnostic("BP0106", `unknown template name "${name}"`, options.loc ? at(options.loc.start) : { file }, hint));
    return "";
  });

  let program: hbs.AST.Program;
  try {
    program = env.parse(text);
  } catch (error) {
    diagnostics.push(templateSyntaxError(file, text, error, env));
    return identityRender(text, diagnostics);
  }

  const body = program.body as unknown as Located[];
  const sentinel = (loc: Located["loc"]): ContentNode => ({ type: "ContentStatement", value: SENTINEL, original: SENTINEL, loc });
  const marked: Located[] = [];
  for (const statement of body) marked.push(sentinel(statement.loc), statement);
  if (body.length > 0) marked.push(sentinel(body[body.length - 1]!.loc));
  const markedProgram = { ...program, body: marked } as unknown as hbs.AST.Program;

  const compileOptions = { noEscape: true, strict: false };
  let output: string;
  try {
    output = env.compile(markedProgram, compileOptions)({});
  } catch (error) {
    const known = diagnostics.length; // re-rendering statements alone must not repeat var diagnostics
    const failure = templateRuntimeError(file, error, body, (s) => renderAlone(env, program, s, compileOptions), at);
    diagnostics.length = known;
    diagnostics.push(failure);
    return identityRender(text, diagnostics);
  }

  const pieces = body.length === 0 ? [] : output.split(SENTINEL).slice(1, -1);
  if (pieces.length !== body.length) {
    // A var value contained the sentinel: keep the output, map coarsely.
    return { sql: output.split(SENTINEL).join(""), toSourceOffset: (o) => Math.max(0, Math.min(o, text.length)), diagnostics };
  }
  const segments: Segment[] = [];
  let rendered = "";
  body.forEach((statement, i) => {
    const piece = pieces[i]!;
    if (piece === "") return;
    const start = offsetOf(statement.loc.start);
    const end = offsetOf(statement.loc.end);
    const verbatimStart = isContent(statement) && statement.value === piece ? contentSourceStart(statement, start) : undefined;
    segments.push(
      verbatimStart !== undefined
        ? { renderedStart: rendered.length, renderedEnd: rendered.length + piece.length, sourceStart: verbatimStart, sourceEnd: verbatimStart + piece.length, verbatim: true }
        : { renderedStart: rendered.length, renderedEnd: rendered.length + piece.length, sourceStart: start, sourceEnd: end, verbatim: false },
    );
    rendered += piece;
  });
  return { sql: rendered, toSourceOffset: buildMap(segments, text.length), diagnostics };
}

/** Renders one top-level statement alone; used only to find which one throws. */
function renderAlone(env: typeof Handlebars, program: hbs.AST.Program, statement: Located, options: CompileOptions): void {
  const single = { ...program, body: [statement] } as unknown as hbs.AST.Program;
  env.compile(single, options)({});
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const MUSTACHE_HINT = 'mustaches look like {{var "name"}}; a literal "{{" is written \\{{';

/** How Handlebars' grammar tokens read to a user. */
const TOKEN_WORDS: Record<string, string> = {
  CLOSE: '"}}"',
  CLOSE_UNESCAPED: '"}}}"',
  CLOSE_RAW_BLOCK: '"}}}}"',
  OPEN_SEXPR: '"("',
  CLOSE_SEXPR: '")"',
  OPEN_ENDBLOCK: '"{{/...}}"',
  INVERSE: '"{{else}}"',
  OPEN_INVERSE_CHAIN: '"{{else ...}}"',
  ID: "a name",
  STRING: "a quoted string",
  NUMBER: "a number",
  BOOLEAN: "true or false",
  EOF: "the end of the file",
};

/** A block mustache as written: `{{#if x}}` opens "if", `{{/if}}` closes it. */
interface BlockTag {
  readonly kind: "open" | "close";
  readonly name: string;
  readonly offset: number;
}

/** What is wrong with the nesting of `{{#block}}...{{/block}}`, found by scanning the raw text. */
type BlockProblem =
  | { readonly kind: "unclosed-comment"; readonly offset: number }
  | { readonly kind: "unclosed"; readonly open: BlockTag }
  | { readonly kind: "stray-close"; readonly close: BlockTag }
  | { readonly kind: "mismatch"; readonly open: BlockTag; readonly close: BlockTag };

/** The first block-nesting problem of a template, scanning mustaches (comments and escaped `\{{` skipped). */
function blockProblem(text: string): BlockProblem | undefined {
  const stack: BlockTag[] = [];
  let i = 0;
  while ((i = text.indexOf("{{", i)) !== -1) {
    if (text[i - 1] === "\\" && text[i - 2] !== "\\") {
      i += 2;
      continue;
    }
    const rest = text.slice(i);
    const comment = /^\{\{~?!(--)?/.exec(rest);
    if (comment) {
      const end = text.indexOf(comment[1] ? "--" : "}}", i + comment[0].length);
      const close = comment[1] ? (end === -1 ? -1 : text.indexOf("}}", end)) : end;
      if (close === -1) return { kind: "unclosed-comment", offset: i };
      i = close + 2;
      continue;
    }
    const tag = /^\{\{~?\s*([#^/])\s*[>*]?\s*([^\s}~()]+)/.exec(rest);
    if (tag) {
      const t: BlockTag = { kind: tag[1] === "/" ? "close" : "open", name: tag[2]!, offset: i };
      if (t.kind === "open") stack.push(t);
      else {
        const open = stack.pop();
        if (!open) return { kind: "stray-close", close: t };
        if (open.name !== t.name) return { kind: "mismatch", open, close: t };
      }
    }
    i += 2;
  }
  const open = stack.pop();
  return open ? { kind: "unclosed", open } : undefined;
}

function blockDiagnostic(file: string, text: string, problem: BlockProblem): Diagnostic {
  const at = (offset: number) => ({ file, ...offsetToLineColumn(text, offset) });
  switch (problem.kind) {
    case "unclosed-comment":
      return diagnostic("BP0106", 'unclosed template comment: expected "--}}"', at(problem.offset), "close it with --}} (or write {{! short comment }})");
    case "unclosed":
      return diagnostic("BP0106", `block {{#${problem.open.name}}} is never closed`, at(problem.open.offset), `add {{/${problem.open.name}}} where the block ends`);
    case "stray-close":
      return diagnostic("BP0106", `{{/${problem.close.name}}} closes a block that was never opened`, at(problem.close.offset), `remove it, or open the block before it with {{#${problem.close.name} ...}}`);
    case "mismatch":
      return diagnostic(
        "BP0106",
        `{{/${problem.close.name}}} does not match the open block {{#${problem.open.name}}}`,
        at(problem.close.offset),
        `close {{#${problem.open.name}}} (line ${offsetToLineColumn(text, problem.open.offset).line}) with {{/${problem.open.name}}} first`,
      );
  }
}

/** The `{{` (or `{{{`) of the mustache that is still open at `offset`, if any. */
function openMustacheBefore(text: string, offset: number): number | undefined {
  const open = text.lastIndexOf("{{", offset);
  if (open === -1 || text.lastIndexOf("}}", offset) > open) return undefined;
  return open > 0 && text[open - 1] === "{" ? open - 1 : open;
}

function templateSyntaxError(file: string, text: string, error: unknown, env: typeof Handlebars): Diagnostic {
  const message = errorMessage(error);
  const expecting = /Expecting (.*), got '(\w+)'/.exec(message);
  const expected = expecting ? [...expecting[1]!.matchAll(/'(\w+)'/g)].map((m) => m[1]!) : [];
  const got = expecting?.[2];

  // Block structure (unclosed or mismatched {{#if}}, stray {{/if}}, unclosed comment): reported at the tag.
  const isBlockError =
    /doesn't match/.test(message) || /Lexical error/.test(message) || got === "OPEN_ENDBLOCK" || (got === "EOF" && expected.includes("OPEN_ENDBLOCK"));
  const problem = isBlockError ? blockProblem(text) : undefined;
  if (problem) return blockDiagnostic(file, text, problem);

  const lexer = (env as unknown as { Parser?: JisonParserState }).Parser?.lexer;
  const failAt = lexer && typeof lexer.matched === "string" && typeof lexer.match === "string" ? lexer.matched.length - lexer.match.length : undefined;
  const located = (offset: number | undefined) => {
    if (offset !== undefined) return { file, ...offsetToLineColumn(text, offset) };
    const lexerLine = /on line (\d+)/.exec(message);
    return { file, line: lexerLine ? Number(lexerLine[1]) : 1, column: 1 };
  };

  const closer = expected.includes("CLOSE") ? "CLOSE" : expected.find((t) => t.startsWith("CLOSE_") && t !== "CLOSE_SEXPR");
  const close = closer === undefined ? '"}}"' : TOKEN_WORDS[closer]!;
  const open = close.replace(/}/g, "{");
  const found = lexer?.match ?? "";
  const openAtEnd = got === "EOF" && failAt !== undefined ? openMustacheBefore(text, failAt) : undefined;
  if (openAtEnd !== undefined) {
    // The file ends inside a mustache: point at its opening braces.
    return diagnostic("BP0106", `unclosed ${text.startsWith("{{{", openAtEnd) ? '"{{{"' : '"{{"'}: expected ${text.startsWith("{{{", openAtEnd) ? '"}}}"' : '"}}"'}`, located(openAtEnd), MUSTACHE_HINT);
  }
  if (closer !== undefined && got !== undefined) {
    if (got === "INVALID" && /^["']/.test(found)) {
      return diagnostic("BP0106", `unclosed string in a mustache: expected a closing ${found}`, located(failAt), MUSTACHE_HINT);
    }
    if (got === "INVALID" || got === "EOF" || (got.startsWith("CLOSE") && got !== "CLOSE_SEXPR")) {
      return diagnostic("BP0106", `unclosed ${open}: expected ${close}`, located(failAt), MUSTACHE_HINT);
    }
    return diagnostic("BP0106", `unexpected ${found === "" ? (TOKEN_WORDS[got] ?? got) : `"${found}"`} in a mustache: expected ${close}`, located(failAt), MUSTACHE_HINT);
  }
  if (expecting) {
    const words = [...new Set(expected.map((t) => TOKEN_WORDS[t]).filter((w): w is string => w !== undefined))].slice(0, 4);
    const wanted = words.length === 0 ? "unexpected input" : `expected ${words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`}`;
    const what = found !== "" ? `"${found}"` : (TOKEN_WORDS[got!] ?? "something else");
    return diagnostic("BP0106", `template syntax error: ${wanted}, found ${what}`, located(failAt), MUSTACHE_HINT);
  }
  const firstLine = message.split("\n")[0]!.replace(/:$/, "").replace(/ - \d+:\d+$/, "");
  return diagnostic("BP0106", `template syntax error: ${firstLine}`, located(failAt), MUSTACHE_HINT);
}

function templateRuntimeError(
  file: string,
  error: unknown,
  body: readonly Located[],
  renderOne: (statement: Located) => void,
  at: (p: Position) => { file: string; line: number; column: number },
): Diagnostic {
  const message = errorMessage(error).replace(/ - \d+:\d+$/, "");
  const e = error as { lineNumber?: unknown; column?: unknown };
  if (typeof e.lineNumber === "number" && typeof e.column === "number") {
    return diagnostic("BP0106", `template error: ${message}`, at({ line: e.lineNumber, column: e.column }));
  }
  for (const statement of body) {
    if (isContent(statement)) continue;
    try {
      renderOne(statement);
    } catch {
      return diagnostic("BP0106", `template error: ${message}`, at(statement.loc.start));
    }
  }
  return diagnostic("BP0106", `template error: ${message}`, { file });
}
