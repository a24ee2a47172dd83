/**
 * bp's command line: a thin layer over the compiler and runtime APIs. Each command returns an
 * exit code: 0 ok, 1 a problem in the project or a failed node, 2 bad usage or an internal error.
 */
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";
import { packageRoot } from "../compiler/package-root.js";
import { parseMemoryOption, parseVarOption } from "./options.js";

export const EXIT = { ok: 0, projectError: 1, usage: 2 } as const;

function version(): string {
  return (JSON.parse(readFileSync(`${packageRoot()}/package.json`, "utf8")) as { version: string }).version;
}

export function createProgram(setExit: (code: number) => void): Command {
  const program = new Command("bp")
    .description("bp: build data pipelines of SQL and TypeScript models over a versioned Parquet lake")
    .version(version())
    .showHelpAfterError("(run bp --help or bp <command> --help for usage)")
    .exitOverride();
  const projectDir = new Option("-p, --project-dir <dir>", "the project folder (holds bp_project.yml)").default(".");
  const json = new Option("--json", "print machine-readable JSON on stdout");
  const refHelp = "a branch, a tag, a commit id (or a unique prefix of >= 4 hex digits), or BRANCH@TIME such as main@2026-11-20T17:00 (ISO-8601; UTC unless a zone like +01:00 is given)";
  const vars = new Option("--var <name=value>", "override a project var (repeatable)").argParser(parseVarOption).default({});

  program
    .command("init")
    .description("create a starter project with a sample source table that bp build runs as is")
    .argument("[dir]", "folder to create", ".")
    .option("--no-import", "do not import the sample data into the lake")
    .action(async (dir: string, opts) => setExit(await (await import("./commands/init.js")).initCommand(dir, opts)));

  program
    .command("compile")
    .description("compile the project to a physical plan (default target/plan.json) without running anything")
    .addOption(projectDir)
    .addOption(vars)
    .option("-o, --out <file>", "where to write the plan, relative to the project", "target/plan.json")
    .option("--branch <name>", "the branch the plan reads sources from and commits to (default: the project's)")
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/compile.js")).compileCommand(opts)));

  program
    .command("build")
    .description("compile and run the project, committing materialized tables to the lake")
    .addOption(projectDir)
    .addOption(vars)
    .option("--plan <file>", "run a saved plan (from bp compile) instead of compiling")
    .option("--ref <branch>", "the branch to build on: sources are read from its head, the run writes to a temporary branch made from it and merges into it only when every node succeeded (default: the project's branch)")
    .option("--keep-failed <bool>", "keep the temporary branch of a failed run for inspection (true|false)", (v) => bool(v, "--keep-failed"), true)
    .option("-t, --threads <n>", "nodes to run at once (default: number of cores)", (v) => positiveInt(v, "--threads"))
    .option("--duckdb-memory <size>", "DuckDB's memory limit before it spills to disk: 4GB, 512MiB or 40% (default 50% of RAM)")
    .option("--memory <model=size>", "a TS model's heap limit for this run instead of its memory: \"...\", e.g. etl=8GB (repeatable)", parseMemoryOption, {})
    .option("--no-cache", "run every node: do not reuse cached outputs (nor store new ones); a materialized table is written again")
    .option("-v, --verbose", "print every edge's data movement and debug lines (DuckDB and shared-memory settings)")
    .addOption(new Option("--json", "print one JSON event per line on stdout (NDJSON, docs/run-events.md), ending with a run-end event carrying the run's result"))
    .action(async (opts) => setExit(await (await import("./commands/build.js")).buildCommand(opts)));

  program
    .command("watch")
    .description("rebuild on save: recompile incrementally and run what changed (and its downstream) with the output cache, on a development branch")
    .addOption(projectDir)
    .addOption(vars)
    .option("--ref <branch>", "the branch to build on, made from the project's branch when missing (default: dev-<user>; the project's branch only when named here)")
    .option("-t, --threads <n>", "nodes to run at once (default: number of cores)", (v) => positiveInt(v, "--threads"))
    .option("--duckdb-memory <size>", "DuckDB's memory limit before it spills to disk: 4GB, 512MiB or 40% (default 50% of RAM)")
    .option("--memory <model=size>", "a TS model's heap limit for these runs instead of its memory: \"...\", e.g. etl=8GB (repeatable)", parseMemoryOption, {})
    .option("--debounce <ms>", "saves closer together than this are one change", (v) => nonNegativeInt(v, "--debounce"), 30)
    .option("--preview <n>", "rows of each changed model's output to print after a run (0: none)", (v) => nonNegativeInt(v, "--preview"), 5)
    .option("--no-cache", "run every node on every change (no output cache)")
    .option("--json", "print events as NDJSON on stdout (one JSON object per line)")
    .action(async (opts) => setExit(await (await import("./commands/watch.js")).watchCommand(opts)));

  program
    .command("import")
    .description("import a CSV or Parquet file into the lake as a source table (new commit)")
    .argument("<file>", "a .csv, .tsv or .parquet file")
    .requiredOption("--table <name>", "name of the table to create or replace")
    .option("--branch <name>", "branch to commit to (default: the project's; it must exist unless it is the default branch of an empty lake)")
    .option("--delimiter <char>", "CSV field separator (default: ',' for .csv, tab for .tsv)")
    .addOption(projectDir)
    .addOption(json)
    .action(async (file: string, opts) => setExit(await (await import("./commands/import.js")).importCommand(file, opts)));

  program
    .command("tables")
    .description("list the lake's tables with row counts and schemas")
    .option("--ref <ref>", `${refHelp} (default: the project's branch)`)
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/tables.js")).tablesCommand(opts)));

  program
    .command("query")
    .description("run read-only SQL over the lake's tables and print the result")
    .argument("<sql>", "a SELECT over lake tables")
    .option("--ref <ref>", `${refHelp} (default: the project's branch)`)
    .option("-n, --max-rows <n>", "rows to print", (v) => positiveInt(v, "--max-rows"), 50)
    .addOption(projectDir)
    .addOption(json)
    .action(async (sql: string, opts) => setExit(await (await import("./commands/query.js")).queryCommand(sql, opts)));

  const branch = program.command("branch").description("list, create and delete branches of the lake");
  branch
    .command("list", { isDefault: true })
    .description("list the branches with their heads (* marks the project's branch)")
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/branch.js")).branchListCommand(opts)));
  branch
    .command("create")
    .description("create a branch at a ref (a cheap pointer: no data is copied)")
    .argument("<name>", "letters, digits, _, . and -")
    .option("--from <ref>", `where the branch starts: ${refHelp} (default: the project's branch)`)
    .addOption(projectDir)
    .addOption(json)
    .action(async (name: string, opts) => setExit(await (await import("./commands/branch.js")).branchCreateCommand(name, opts)));
  branch
    .command("delete")
    .description("delete a branch (its commits stay reachable by id); the project's branch cannot be deleted")
    .argument("<name>", "the branch")
    .addOption(projectDir)
    .addOption(json)
    .action(async (name: string, opts) => setExit(await (await import("./commands/branch.js")).branchDeleteCommand(name, opts)));

  const tag = program.command("tag").description("list and create tags: immutable names for commits");
  tag
    .command("list", { isDefault: true })
    .description("list the tags with their commits")
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/tag.js")).tagListCommand(opts)));
  tag
    .command("create")
    .description("name the commit a ref resolves to; a tag never moves and cannot be re-created")
    .argument("<name>", "letters, digits, _, . and -")
    .argument("[ref]", `${refHelp} (default: the project's branch)`)
    .addOption(projectDir)
    .addOption(json)
    .action(async (name: string, ref: string | undefined, opts) => setExit(await (await import("./commands/tag.js")).tagCreateCommand(name, ref, opts)));

  program
    .command("log")
    .description("the history of a ref along first parents, newest first")
    .option("--ref <ref>", `${refHelp} (default: the project's branch)`)
    .option("--table <name>", "only commits where this table was added, replaced or removed")
    .option("-n, --max-count <n>", "at most this many commits", (v) => positiveInt(v, "--max-count"))
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/log.js")).logCommand(opts)));

  program
    .command("merge")
    .description("merge a ref into a branch: fast-forward when possible, else a merge commit taking each table from the side that changed it; refuses (naming them) when both sides changed the same tables")
    .argument("<from>", refHelp)
    .option("--into <branch>", "the branch that moves (default: the project's branch)")
    .option("-m, --message <text>", "message of a merge commit")
    .addOption(projectDir)
    .addOption(json)
    .action(async (from: string, opts) => setExit(await (await import("./commands/merge.js")).mergeCommand(from, opts)));

  program
    .command("diff")
    .description("tables added, removed and changed (with row counts) from one ref to another")
    .argument("<ref1>", refHelp)
    .argument("<ref2>", "the ref to compare with")
    .addOption(projectDir)
    .addOption(json)
    .action(async (from: string, to: string, opts) => setExit(await (await import("./commands/diff.js")).diffCommand(from, to, opts)));

  const docs = program.command("docs").description("the project's documentation as a static site: models, sources, columns, code, lineage graph, search");
  const docsOut = new Option("-o, --out <dir>", "the site's folder, relative to the project").default("target/docs");
  docs
    .command("generate")
    .description("write the site (works offline and from file://: every asset is in the folder); open <out>/index.html")
    .addOption(projectDir)
    .addOption(vars)
    .addOption(docsOut)
    .addOption(new Option("--json", "print one JSON object on stdout: the folder, counts (models, sources, pages, columns), files, bytes, timings (ms) and the graph's layout (generate-time or per-focus-in-worker); or ok: false and the error"))
    .action(async (opts) => setExit(await (await import("./commands/docs.js")).docsGenerateCommand(opts)));
  docs
    .command("serve")
    .description("generate the site and serve it on 127.0.0.1 (Ctrl-C stops)")
    .addOption(projectDir)
    .addOption(vars)
    .addOption(docsOut)
    .option("--port <n>", "port to listen on (0: any free port)", (v) => nonNegativeInt(v, "--port"), 8080)
    .option("--watch", "generate again when a model or bp_project.yml is saved")
    .action(async (opts) => setExit(await (await import("./commands/docs.js")).docsServeCommand(opts)));

  const cache = program
    .command("cache")
    .description("the project's local caches: model outputs kept by cache key (reused by bp build), and the scan cache of an S3 lake");
  const which = [
    new Option("--outputs", "only the output cache (.bp/cache/outputs: model outputs by cache key)"),
    new Option("--scans", "only the scan cache of an S3 lake (footers and column chunks of remote data files)"),
  ];
  cache
    .command("ls", { isDefault: true })
    .description("list cached outputs (node, key, rows, size, last use) and cached data files (bytes cached, columns held, last use)")
    .addOption(projectDir)
    .addOption(which[0]!)
    .addOption(which[1]!)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/cache.js")).cacheLsCommand(opts)));
  cache
    .command("clean")
    .description("empty the caches: the next build runs every model again; scans re-fetch what they read")
    .addOption(projectDir)
    .addOption(which[0]!)
    .addOption(which[1]!)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/cache.js")).cacheCleanCommand(opts)));

  const env = program.command("env").description("package environments of TS models (their `packages`) and the local package store they link into");
  env
    .command("list", { isDefault: true })
    .description("list the environments (hash, packages, size, last use) and the store's size")
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/env.js")).envListCommand(opts)));
  env
    .command("prune")
    .description("remove environments not used for N days (default 30) or, with --unused-by-project, every one the project's models do not use; then every stored package no environment uses")
    .option("--days <n>", "remove environments not used for this many days", (v) => positiveInt(v, "--days"))
    .option("--unused-by-project", "remove every environment the project's TS models do not use (whatever its age)")
    .option("--dry-run", "say what would be removed, remove nothing")
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/env.js")).envPruneCommand(opts)));

  return program;
}

function bool(value: string, flag: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new CommanderError(EXIT.usage, "bp.invalidArgument", `error: ${flag} must be true or false, got "${value}"`);
}

function nonNegativeInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CommanderError(EXIT.usage, "bp.invalidArgument", `error: ${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CommanderError(EXIT.usage, "bp.invalidArgument", `error: ${flag} must be a positive integer, got "${value}"`);
  return n;
}

// Commands are imported when run, so `bp query` does not load the TypeScript compiler.
export async function main(argv: readonly string[]): Promise<number> {
  // The AWS SDK warns on every S3 command under Node < 22 that *future* SDK releases will need 22;
  // bp pins its SDK version, so the notice is not actionable for a bp user. Set it to "false" to see it.
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
  let code: number = EXIT.ok;
  const program = createProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return EXIT.ok;
      if (err.code === "bp.invalidArgument") process.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`bp: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.usage;
  }
  return code;
}
