/**
 * A long-lived compile session (`bp watch`): compileProject again and again on a project that
 * changes, reusing what did not change. The plan and diagnostics are those a fresh compileProject
 * gives (the same stages run, see compileStages); what is kept between compiles:
 *  - the SQL tools (an in-memory DuckDB with its function traits loaded), their scratch tables
 *    dropped before each compile;
 *  - each model file's reading (template, header, DuckDB parse; a TS model's static read), keyed by
 *    the file's path and text and, for SQL, the vars: only new and changed files are read again;
 *  - bp_project.yml's reading, by text.
 *  - each model's clean binding (BindMemo), keyed by its text and its inputs' schemas: only models
 *    that changed, or whose inputs' schemas changed, are bound again.
 * References, pins and the physical plan are computed again each time: they depend on every model
 * and on the lake's head, and cost a few ms per hundred models.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { compileStages, PROJECT_CONFIG_CACHE_FILE, type CompileOptions, type CompileResult } from "./compile-project.js";
import type { Diagnostic } from "./diagnostics.js";
import type { ModelFile } from "./discover-models.js";
import { readModels, type LogicalModel } from "./logical-plan.js";
import { parseProjectConfigCached } from "./project-config.js";
import { CACHE_DIR } from "./project-cache.js";
import { ARROW_TYPES_CACHE_FILE, ArrowHandoff } from "./arrow-handoff.js";
import { BindMemo } from "./bind-schemas.js";
import { FUNCTION_TRAITS_CACHE_FILE, openSqlTools, type SqlTools } from "./sql/index.js";
import { TS_READ_CACHE_DIR, TsReadCache } from "./ts/read-cache.js";
import { setTypeScriptCodeCacheDir, saveTypeScriptCodeCache } from "./ts/load-typescript.js";

/** One file's reading: its model (when it could be read) and its diagnostics. */
interface FileReading {
  readonly model: LogicalModel | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** What the last compile did: files read again vs reused, and its time. */
export interface IncrementalStats {
  readonly filesRead: readonly string[];
  readonly filesReused: number;
  /** Models whose binding was reused (their text and inputs' schemas unchanged). */
  readonly bindsReused: number;
  readonly seconds: number;
}

export interface IncrementalCompileResult extends CompileResult {
  readonly stats: IncrementalStats;
}

export class IncrementalCompiler {
  private readonly readings = new Map<string, FileReading>();
  private readonly configs = new Map<string, ReturnType<typeof parseProjectConfigCached>>();
  private sql: Promise<SqlTools> | undefined;
  private readonly arrow: ArrowHandoff;
  private readonly bindMemo = new BindMemo();
  private readonly tsCache: TsReadCache | undefined;
  private readonly cacheDir: string | undefined;
  private closed = false;

  /** `options` as compileProject takes them; `branch` may be changed between compiles with setBranch. */
  constructor(private options: CompileOptions) {
    const projectDir = path.resolve(options.projectDir);
    this.cacheDir = options.cache === false ? undefined : path.join(projectDir, CACHE_DIR);
    this.arrow = new ArrowHandoff(this.cached(ARROW_TYPES_CACHE_FILE));
    this.tsCache = this.cacheDir === undefined ? undefined : new TsReadCache(path.join(this.cacheDir, TS_READ_CACHE_DIR));
  }

  /** Opens the SQL tools now (DuckDB's start-up, ~30 ms), so that the first compile does not wait. */
  warm(): Promise<void> {
    return this.tools().then(() => {});
  }

  /** Compiles the project as it is on disk now. One compile at a time. */
  async compile(): Promise<IncrementalCompileResult> {
    if (this.closed) throw new Error("the compile session is closed");
    const t0 = performance.now();
    const filesRead: string[] = [];
    let reused = 0;
    const result = await compileStages(this.options, {
      parseConfig: (text) => {
        let reading = this.configs.get(text);
        if (!reading) {
          reading = parseProjectConfigCached(text, this.cached(PROJECT_CONFIG_CACHE_FILE));
          this.configs.clear(); // only the latest text is worth keeping
          this.configs.set(text, reading);
        }
        return reading;
      },
      sqlTools: async () => {
        const sql = await this.tools();
        await sql.scratch.dropTables(sql.scratch.tableNames());
        return sql;
      },
      readModels: async (files, vars, parser) => {
        const varsKey = JSON.stringify(Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : 1)));
        const keyOf = (f: ModelFile) => `${f.file}\0${f.name}\0${hash(f.text)}${f.kind === "sql" ? `\0${varsKey}` : ""}`;
        const missing = files.filter((f) => !this.readings.has(keyOf(f)));
        if (missing.length > 0) {
          setTypeScriptCodeCacheDir(this.cached("v8"));
          // One file at a time through readModels would cost a DuckDB round trip each: read them together,
          // then split the result by file (models and diagnostics carry their file).
          const read = await readModels(missing, vars, parser, { ...(this.tsCache ? { tsCache: this.tsCache } : {}), modelNames: files.map((f) => f.name) });
          saveTypeScriptCodeCache();
          // Every diagnostic of a reading names its file; one that does not is kept out of the
          // memo (the files are read again next time) rather than lost.
          const placed = read.diagnostics.every((d) => missing.some((f) => f.file === d.file));
          if (!placed) {
            const cachedFiles = files.filter((f) => !missing.includes(f));
            const readings = cachedFiles.map((f) => this.readings.get(keyOf(f))!);
            filesRead.push(...missing.map((f) => f.file));
            reused = cachedFiles.length;
            const models = new Map([...readings.flatMap((r) => (r.model ? [r.model] : [])), ...read.models].map((m) => [m.file, m] as const));
            return {
              models: files.flatMap((f) => models.get(f.file) ?? []),
              diagnostics: [...readings.flatMap((r) => r.diagnostics), ...read.diagnostics],
            };
          }
          for (const f of missing) {
            this.readings.set(keyOf(f), {
              model: read.models.find((m) => m.file === f.file),
              diagnostics: read.diagnostics.filter((d) => d.file === f.file),
            });
          }
        }
        // Forget readings of files that are gone or changed.
        const live = new Set(files.map(keyOf));
        for (const key of this.readings.keys()) if (!live.has(key)) this.readings.delete(key);
        filesRead.push(...missing.map((f) => f.file));
        reused = files.length - missing.length;
        const readings = files.map((f) => this.readings.get(keyOf(f))!);
        return {
          models: readings.flatMap((r) => (r.model ? [r.model] : [])),
          diagnostics: readings.flatMap((r) => r.diagnostics),
        };
      },
      arrow: () => this.arrow,
      bindMemo: () => this.bindMemo,
    });
    const bindsReused = this.bindMemo.hits;
    this.bindMemo.endCompile();
    return { ...result, stats: { filesRead, filesReused: reused, bindsReused, seconds: (performance.now() - t0) / 1000 } };
  }

  /** The branch sources are read from (and the plan commits to). */
  setBranch(branch: string | undefined): void {
    const { branch: _old, ...rest } = this.options;
    this.options = branch === undefined ? rest : { ...rest, branch };
  }

  /** Closes the SQL tools; the session cannot compile afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const sql = this.sql;
    this.sql = undefined;
    if (sql) (await sql.catch(() => undefined))?.close();
  }

  private tools(): Promise<SqlTools> {
    this.sql ??= openSqlTools({ functionsCacheFile: this.cached(FUNCTION_TRAITS_CACHE_FILE) });
    return this.sql;
  }

  private cached(file: string): string | undefined {
    return this.cacheDir === undefined ? undefined : path.join(this.cacheDir, file);
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
