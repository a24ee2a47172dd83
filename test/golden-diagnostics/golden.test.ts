/**
 * Golden tests for the compiler's diagnostics: every folder under cases/ is a small broken project.
 * Each is copied to a temp folder, its `sources.json` tables (name -> DuckDB SELECT) are imported,
 * and then:
 *   - the real CLI `bp compile -p <dir>` runs; its exit code and stderr (colors off, the temp folder
 *     replaced by `<project>`) must equal `expected.txt`;
 *   - `compileProject` runs in-process; its diagnostics array (JSON) must equal `expected.json`, and
 *     be the same when models are bound one at a time (bindSequentially) and on a second, cached compile.
 * A case named `bpNNNN-...` must report BPNNNN (at a file:line:col when that code has a location);
 * `many-errors` shows that errors in many files are all collected in one pass, in a stable order.
 *
 * Re-bless (rewrite expected.txt / expected.json instead of comparing), then READ the diff:
 *   UPDATE_GOLDENS=1 npx vitest run test/golden-diagnostics
 * Documented in docs/diagnostics.md.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { DIAGNOSTIC_CODES, sortDiagnostics, type DiagnosticCode } from "../../compiler/diagnostics.js";
import { bp, importSql, ROOT } from "../helpers/temp-project.js";

const HERE = path.join(ROOT, "test", "golden-diagnostics");
const CASES_DIR = path.join(HERE, "cases");
const UPDATE = process.env.UPDATE_GOLDENS === "1";
/** Files of a case folder that are test fixtures, not part of the project. */
const FIXTURE_FILES = new Set(["expected.txt", "expected.json", "sources.json", "args.json"]);
/** Cases whose code is about the whole project or a file's name: reported without a line and column. */
const WITHOUT_LINE = new Set(["bp0001-no-project-file", "bp0002-no-models", "bp0003-bad-model-name"]);

interface Case {
  readonly name: string;
  readonly dir: string;
  /** The code the case is about (from its `bpNNNN-` name), or null for mixed cases. */
  readonly code: DiagnosticCode | null;
  readonly sources: Record<string, string>;
  /** --var overrides, from an optional `args.json` `{ "vars": { name: value } }`. */
  readonly vars: Record<string, string>;
}

const cases: Case[] = readdirSync(CASES_DIR)
  .sort()
  .map((name) => {
    const dir = path.join(CASES_DIR, name);
    const code = /^bp(\d{4})-/.exec(name)?.[1];
    const sourcesFile = path.join(dir, "sources.json");
    const argsFile = path.join(dir, "args.json");
    return {
      name,
      dir,
      code: code ? (`BP${code}` as DiagnosticCode) : null,
      sources: existsSync(sourcesFile) ? (JSON.parse(readFileSync(sourcesFile, "utf8")) as Record<string, string>) : {},
      vars: existsSync(argsFile) ? ((JSON.parse(readFileSync(argsFile, "utf8")) as { vars?: Record<string, string> }).vars ?? {}) : {},
    };
  });

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function prepare(c: Case): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bp-golden-diag-${c.name}-`));
  temps.push(dir);
  cpSync(c.dir, dir, { recursive: true, filter: (src) => !(path.dirname(src) === c.dir && FIXTURE_FILES.has(path.basename(src))) });
  for (const [table, select] of Object.entries(c.sources)) await importSql(dir, table, select);
  return dir;
}

/** Replaces the temp folder (as given and as resolved) by `<project>`. */
function maskDir(text: string, dir: string): string {
  let out = text;
  for (const d of new Set([realpathSync(dir), dir])) out = out.split(d).join("<project>");
  return out;
}

/** Compares with the golden file, or rewrites it under UPDATE_GOLDENS=1. */
function golden(file: string, actual: string): void {
  if (UPDATE || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("the cases", () => {
  it("cover every diagnostic code, plus one case with many errors", () => {
    const covered = new Set(cases.map((c) => c.code));
    expect(Object.keys(DIAGNOSTIC_CODES).filter((code) => !covered.has(code as DiagnosticCode))).toEqual([]);
    expect(cases.some((c) => c.name === "many-errors")).toBe(true);
  });
});

describe.each(cases)("diagnostics of $name", (c) => {
  it("match expected.txt (bp compile) and expected.json (compileProject)", async () => {
    const dir = await prepare(c);

    const varArgs = Object.entries(c.vars).flatMap(([k, v]) => ["--var", `${k}=${v}`]);
    const cli = await bp(["compile", "-p", dir, ...varArgs]);
    expect(cli.stderr).not.toMatch(/\u001b\[/); // NO_COLOR is honoured: no ANSI escapes
    expect(cli.stderr).not.toMatch(/internal error/);
    const text = `exit code: ${cli.code}\n${maskDir(cli.stderr, dir)}`;
    golden(path.join(c.dir, "expected.txt"), text);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe("");

    const result = await compileProject({ projectDir: dir, vars: c.vars });
    expect(result.plan).toBeNull();
    const json = `${maskDir(JSON.stringify(result.diagnostics, null, 2), dir)}\n`;
    golden(path.join(c.dir, "expected.json"), json);
    // Binding in batches reports exactly what binding one model at a time does.
    const sequential = await compileProject({ projectDir: dir, vars: c.vars, bindSequentially: true });
    expect(JSON.stringify(sequential.diagnostics, null, 2)).toBe(JSON.stringify(result.diagnostics, null, 2));
    // And a second compile (TS reads from .bp/cache) reports exactly the same again.
    const again = await compileProject({ projectDir: dir, vars: c.vars });
    expect(JSON.stringify(again.diagnostics, null, 2)).toBe(JSON.stringify(result.diagnostics, null, 2));
    // One pass, stable order; nothing reported twice.
    expect(result.diagnostics).toEqual(sortDiagnostics(result.diagnostics));
    const keys = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
    expect(new Set(keys).size).toBe(keys.length);

    if (c.code) {
      const mine = result.diagnostics.filter((d) => d.code === c.code);
      expect(mine.length, `${c.name} reports ${c.code}`).toBeGreaterThan(0);
      if (!WITHOUT_LINE.has(c.name)) {
        for (const d of mine) {
          expect(d.file).toBeDefined();
          expect(text).toContain(`${d.file}:${d.line}:${d.column} ${d.severity} ${c.code} `);
        }
        expect(text).toMatch(new RegExp(`^\\S+:\\d+:\\d+ error ${c.code} `, "m"));
      } else {
        expect(text).toMatch(new RegExp(`error ${c.code} `));
      }
    }
  });
});

describe("many-errors", () => {
  it("reports errors of several files and kinds in one pass", () => {
    const diagnostics = JSON.parse(readFileSync(path.join(CASES_DIR, "many-errors", "expected.json"), "utf8")) as { code: string; file?: string }[];
    expect(new Set(diagnostics.map((d) => d.file)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(diagnostics.map((d) => d.code)).size).toBeGreaterThanOrEqual(6);
  });
});
