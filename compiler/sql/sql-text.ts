/**
 * Plain-text helpers over SQL: DuckDB's offset units, and a tiny lexer that finds statements
 * (skipping comments, strings and quoted identifiers) without parsing them.
 */

/**
 * DuckDB reports offsets in two units: AST `query_location`s and binder error positions are
 * UTF-8 byte offsets; parser error positions are code point offsets. JS strings index UTF-16 units.
 */
export class TextOffsets {
  private readonly ascii: boolean;

  constructor(private readonly text: string) {
    this.ascii = /^[\x00-\x7f]*$/.test(text);
  }

  /** UTF-16 index of the character starting at (or containing) UTF-8 byte `byteOffset`. */
  fromUtf8Byte(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    let bytes = 0;
    let i = 0;
    while (i < this.text.length) {
      const cp = this.text.codePointAt(i)!;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > byteOffset) return i;
      bytes += size;
      i += cp > 0xffff ? 2 : 1;
    }
    return this.text.length;
  }

  /** UTF-16 index of code point number `codePointOffset`. */
  fromCodePoint(codePointOffset: number): number {
    if (this.ascii) return Math.min(codePointOffset, this.text.length);
    let i = 0;
    for (let n = 0; n < codePointOffset && i < this.text.length; n++) {
      i += this.text.codePointAt(i)! > 0xffff ? 2 : 1;
    }
    return i;
  }
}

export interface SqlStatementSpan {
  /** Offset of the statement's first token. */
  readonly start: number;
  /** Offset of its terminating `;`, or the end of the text. */
  readonly end: number;
  /** The first word, upper-cased (`SELECT`, `WITH`, `INSERT`...), or the first character (`(`). */
  readonly firstWord: string;
}

/** End offset of the comment, string or quoted identifier starting at `i`, or -1 if none starts there. */
function skipOpaque(sql: string, i: number): number {
  const c = sql[i];
  const next = sql[i + 1];
  if (c === "-" && next === "-") {
    const nl = sql.indexOf("\n", i);
    return nl === -1 ? sql.length : nl + 1;
  }
  if (c === "/" && next === "*") {
    let depth = 1;
    let j = i + 2;
    while (j < sql.length && depth > 0) {
      if (sql.startsWith("/*", j)) {
        depth++;
        j += 2;
      } else if (sql.startsWith("*/", j)) {
        depth--;
        j += 2;
      } else j++;
    }
    return j;
  }
  if (c === "'" || c === '"') {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === c) {
        if (sql[j + 1] === c) j += 2;
        else return j + 1;
      } else j++;
    }
    return sql.length;
  }
  if (c === "$") {
    const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64));
    if (tag && !/\d/.test(sql[i - 1] ?? "")) {
      const close = sql.indexOf(tag[0], i + tag[0].length);
      return close === -1 ? sql.length : close + tag[0].length;
    }
  }
  return -1;
}

function isWhitespace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

/** Offset of the first token that is not whitespace or a comment (the text's length if none). */
export function firstTokenOffset(sql: string, from = 0): number {
  let i = from;
  while (i < sql.length) {
    if (isWhitespace(sql[i])) {
      i++;
      continue;
    }
    const isComment = sql.startsWith("--", i) || sql.startsWith("/*", i);
    if (!isComment) return i;
    i = skipOpaque(sql, i);
  }
  return sql.length;
}

/** The non-empty statements of `sql`, split on top-level `;`. */
export function splitSqlStatements(sql: string): SqlStatementSpan[] {
  const spans: SqlStatementSpan[] = [];
  let start = -1;
  let i = 0;
  const close = (end: number) => {
    if (start !== -1) {
      const word = /^[A-Za-z_]+/.exec(sql.slice(start, start + 32));
      spans.push({ start, end, firstWord: word ? word[0].toUpperCase() : sql[start]! });
    }
    start = -1;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    const isComment = sql.startsWith("--", i) || sql.startsWith("/*", i);
    if (!isComment && start === -1 && c !== ";") start = i;
    if (c === ";") {
      close(i);
      i++;
      continue;
    }
    const opaqueEnd = skipOpaque(sql, i);
    i = opaqueEnd === -1 ? i + 1 : opaqueEnd;
  }
  close(sql.length);
  return spans;
}

/** 0-based offsets where each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
