/**
 * Recovers the position a DuckDB error message points at from its human-readable context:
 *
 *     Binder Error: Referenced column "zzz" not found in FROM clause!
 *
 *     LINE 3: ..., a + 38 AS c38, zzz FROM t
 *                                 ^
 * DuckDB prints at most ~40 display columns on each side of the error, marking cuts with `...`,
 * and places the caret by display width (wide characters take two columns). Used when an error carries no structured position.
 */

/** Display width DuckDB gives a code point (approximation of utf8proc's). */
function displayWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** UTF-16 index in `text` of the character drawn at display column `width`. */
function indexAtWidth(text: string, width: number): number {
  let w = 0;
  let i = 0;
  while (i < text.length && w < width) {
    const cp = text.codePointAt(i)!;
    w += displayWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** Start offsets of the lines of `query`, DuckDB-style (`\n`, `\r\n` and a lone `\r` end a line). */
function duckLineStarts(query: string): number[] {
  const starts = [0];
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c === 10 || (c === 13 && query.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** UTF-16 index into `query` that the `LINE n:` context of `message` points at, if it can be recovered. */
export function offsetFromErrorContext(message: string, query: string): number | undefined {
  const lines = message.split("\n");
  const at = lines.findIndex((l) => /^LINE \d+: /.test(l));
  if (at === -1) return undefined;
  const head = /^LINE (\d+): /.exec(lines[at]!)!;
  const caretColumn = lines[at + 1]?.indexOf("^") ?? -1;
  if (caretColumn < head[0].length) return undefined;

  const starts = duckLineStarts(query);
  const lineIndex = Number(head[1]) - 1;
  const lineStart = starts[lineIndex];
  if (lineStart === undefined) return undefined;
  const lineEnd = lineIndex + 1 < starts.length ? starts[lineIndex + 1]! - 1 : query.length;
  const lineText = query.slice(lineStart, lineEnd);

  const shown = lines[at]!.slice(head[0].length);
  const caretWidth = caretColumn - head[0].length;
  // `...` may be a cut marker or genuine text: try the readings from most to least likely.
  const readings: { core: string; width: number }[] = [];
  for (const cutStart of shown.startsWith("...") ? [true, false] : [false]) {
    for (const cutEnd of shown.endsWith("...") ? [true, false] : [false]) {
      const core = shown.slice(cutStart ? 3 : 0, cutEnd ? shown.length - 3 : shown.length);
      readings.push({ core, width: caretWidth - (cutStart ? 3 : 0) });
    }
  }
  for (const { core, width } of readings) {
    if (width < 0) continue;
    const found = lineText.indexOf(core);
    if (found !== -1) return lineStart + found + indexAtWidth(core, width);
  }
  return lineStart;
}
