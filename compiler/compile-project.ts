/**
 * compileProject: project folder -> physical plan + diagnostics. Reads files and the lake catalog,
 * parses and binds SQL with DuckDB, reads TS models statically. Never runs user code.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { bindSchemas, type BindMemo } from "./bind-schemas.js";
import { diagnostic, didYouMean, hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { discoverModels, type ModelFile } from "./discover-models.js";
import { readModels, resolveReferences, type LogicalModel } from "./logical-plan.js";
import { buildPhysicalPlan } from "./physical-plan.js";
import { checkDocs } from "./column-docs.js";
import type { Plan } from "./plan-types.js";
import { parseProjectConfigCached, PROJECT_FILE, type ProjectConfig } from "./project-config.js";
import { openSqlTools, type SqlParser, type SqlTools } from "./sql/index.js";
import { saveTypeScriptCodeCache, setTypeScriptCodeCacheDir } from "./ts/load-typescript.js";
import { TS_READ_CACHE_DIR, TsReadCache } from "./ts/read-cache.js";
import { CACHE_DIR } from "./project-cache.js";
import { FUNCTION_TRAITS_CACHE_FILE } from "./sql/index.js";
import { ARROW_TYPES_CACHE_FILE, ArrowHandoff } from "./arrow-handoff.js";
import { type VarValue, varTexts } from "./vars.js";
import { isS3Lake, openLake } from "../runtime/lake/open-lake.js";
import { resolveSourcePins, scanRefsOf } from "./source-refs.js";

/** The cached bp_project.yml reading, in the project's cache folder. */
export const PROJECT_CONFIG_CACHE_FILE = "project-config.json";

export interface CompileOptions {
  readonly projectDir: string;
  /** --var overrides (name -> value; parseVarValue reads a command-line value as YAML would). */
  readonly vars?: Readonly<Record<string, VarValue>>;
  /** Branch to read sources from; default: the project's branch. */
  readonly branch?: string;
  /**
   * Keep what can be reused between compiles in the project's .bp/cache/ (TS models' static reads,
   * the V8 code cache of the TypeScript compiler). Default true; results are the same either way.
   */
  readonly cache?: boolean;
  /**
   * Bind one model at a time in topological order instead of level by level in batches (see
   * bind-schemas.ts): slower, and the reference the batched path is tested against.
   */
  readonly bindSequentially?: boolean;
}


export interface CompileResult {
  /** Null when there are errors. */
  readonly plan: Plan | null;
  readonly config: ProjectConfig | null;
  readonly diagnostics: readonly Diagnostic[];
  /** Text of every file a diagnostic may point at (project-relative path -> text), for printing. */
  readonly files: ReadonlyMap<string, string>;
}

export async function compileProject(options: CompileOptions): Promise<CompileResult> {
  const projectDir = path.resolve(options.projectDir);
  const cacheDir = options.cache === false ? undefined : path.join(projectDir, CACHE_DIR);
  const cached = (file: string) => (cacheDir === undefined ? undefined : path.join(cacheDir, file));
  let sql: Promise<SqlTools> | undefined;
  try {
    return await compileStages(options, {
      parseConfig: (text) => parseProjectConfigCached(text, cached(PROJECT_CONFIG_CACHE_FILE)),
      sqlTools: () => (sql ??= openSqlTools({ functionsCacheFile: cached(FUNCTION_TRAITS_CACHE_FILE) })),
      async readModels(files, vars, parser) {
        const tsCache = cacheDir === undefined ? undefined : new TsReadCache(path.join(cacheDir, TS_READ_CACHE_DIR));
        setTypeScriptCodeCacheDir(cached("v8"));
        const read = await readModels(files, vars, parser, { tsCache });
        tsCache?.prune();
        saveTypeScriptCodeCache();
        return read;
      },
      arrow: () => new ArrowHandoff(cached(ARROW_TYPES_CACHE_FILE)),
    });
  } finally {
    if (sql) (await sql).close();
  }
}

/**
 * What the stages use that a caller may keep between compiles (incremental-compiler.ts keeps them
 * warm; compileProject makes them for one compile). Each must give what a fresh one would.
 */
export interface CompileTools {
  /** bp_project.yml's text -> its reading. */
  parseConfig(text: string): ReturnType<typeof parseProjectConfigCached>;
  /** The SQL parser and an EMPTY scratch catalog (no table left from an earlier compile). */
  sqlTools(): Promise<SqlTools>;
  /** readModels (logical-plan.ts) of these files, all of the project's readable model files. */
  readModels(files: readonly ModelFile[], vars: Readonly<Record<string, VarValue>>, parser: SqlParser): Promise<{ models: LogicalModel[]; diagnostics: Diagnostic[] }>;
  arrow(): ArrowHandoff;
  /** Clean bindings kept between compiles (see BindMemo); none by default. */
  bindMemo?(): BindMemo | undefined;
}

/** The compile's stages (see CONTEXT.md) with the given tools. */
export async function compileStages(options: CompileOptions, tools: CompileTools): Promise<CompileResult> {
  const projectDir = path.resolve(options.projectDir);
  const files = new Map<string, string>();
  const configPath = path.join(projectDir, PROJECT_FILE);
  if (!existsSync(configPath)) {
    return {
      plan: null,
      config: null,
      files,
      diagnostics: [diagnostic("BP0001", `no ${PROJECT_FILE} in ${projectDir}`, undefined, "run bp in a project folder, pass --project-dir, or create one with bp init")],
    };
  }
  const configText = readFileSync(configPath, "utf8");
  files.set(PROJECT_FILE, configText);
  const { config, diagnostics: configDiagnostics } = tools.parseConfig(configText);
  if (!config) return { plan: null, config: null, files, diagnostics: configDiagnostics };

  const diagnostics: Diagnostic[] = [];
  const vars = { ...config.vars };
  for (const [name, value] of Object.entries(options.vars ?? {})) {
    if (!(name in vars)) {
      const suggestion = didYouMean(name, Object.keys(config.vars));
      diagnostics.push(diagnostic("BP0107", `--var ${name} is not declared in ${PROJECT_FILE}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`, undefined, `declare it under vars: in ${PROJECT_FILE} with a default value`));
    }
    vars[name] = value;
  }

  const discovered = discoverModels(projectDir);
  diagnostics.push(...discovered.diagnostics);
  for (const m of discovered.models) files.set(m.file, m.text);
  const duplicated = new Set(discovered.diagnostics.filter((d) => d.code === "BP0402").map((d) => d.file));
  const modelFiles = discovered.models.filter((m) => !duplicated.has(m.file));

  const branch = options.branch ?? config.branch;
  const lake = openLake(config, projectDir);
  try {
    const head = await lake.head(branch);
    const lakeTables = head?.tables ?? {};

    const sql = await tools.sqlTools();
    const read = await tools.readModels(modelFiles, vars, sql.parser);
    diagnostics.push(...read.diagnostics);
    const pinned = await resolveSourcePins(lake, read.models, lakeTables);
    diagnostics.push(...pinned.diagnostics);
    const { plan: logical, diagnostics: graphDiagnostics } = resolveReferences(
      read.models,
      discovered.models.map((m) => m.name),
      pinned.tables,
    );
    diagnostics.push(...graphDiagnostics);
    const arrow = tools.arrow();
    const memo = tools.bindMemo?.();
    const { bound, diagnostics: bindDiagnostics } = await bindSchemas(logical, sql.scratch, { arrow, sequential: options.bindSequentially === true, ...(memo ? { memo } : {}) });
    arrow.save();
    diagnostics.push(...bindDiagnostics);
    const docs = checkDocs(logical, bound, config.sources);
    diagnostics.push(...docs.diagnostics);
    const unbound = [...logical.models.keys()].filter((name) => !bound.has(name));
    if (unbound.length > 0 && !hasErrors(diagnostics)) {
      throw new Error(`internal error: models ${unbound.join(", ")} were left out of the plan without a diagnostic`);
    }
    if (hasErrors(diagnostics)) return { plan: null, config, files, diagnostics: sortDiagnostics(diagnostics) };
    const plan = buildPhysicalPlan(logical, bound, {
      projectName: config.name,
      contentHash: contentHash(projectDir, configText, discovered.folderFiles, discovered.models),
      helpersHash: helpersHash(projectDir, discovered.folderFiles, discovered.models),
      lake: config.lake,
      ...(isS3Lake(config.lake) ? { s3: config.s3 ?? {} } : {}),
      branch,
      vars: varTexts(vars),
      sourceCommit: head?.id ?? null,
      scanRefs: scanRefsOf(logical, pinned.scanRefs),
      docs,
    });
    return { plan, config, files, diagnostics: sortDiagnostics(diagnostics) };
  } finally {
    lake.close();
  }
}

/** sha256 over the files under models/ that are not models (helper modules a TS model may import). */
function helpersHash(projectDir: string, folderFiles: readonly string[], models: readonly ModelFile[]): string {
  const isModel = new Set(models.map((m) => m.file));
  const hash = createHash("sha256");
  for (const file of folderFiles) if (!isModel.has(file)) hash.update(`${file}\0`).update(readFileSync(path.join(projectDir, file))).update("\0\0");
  return hash.digest("hex");
}

/**
 * sha256 over bp_project.yml and every file under models/ (path and bytes, sorted by path), helper
 * modules included: a change to any of them changes the hash.
 */
function contentHash(projectDir: string, configText: string, folderFiles: readonly string[], models: readonly ModelFile[]): string {
  const read = new Map(models.map((m) => [m.file, m.bytes] as const));
  const hash = createHash("sha256").update(`${PROJECT_FILE}\0${configText}\0\0`);
  for (const file of folderFiles) hash.update(`${file}\0`).update(read.get(file) ?? readFileSync(path.join(projectDir, file))).update("\0\0");
  return hash.digest("hex");
}
