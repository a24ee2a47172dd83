/**
 * bp's command line: a thin layer over the compiler and runtime APIs. Each command returns an
 * exit code: 0 ok, 1 a problem in the project or a failed node, 2 bad usage or an internal error.
 */
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";
import { packageRoot } from "../compiler/package-root.js";
import { parseVarOption } from "./options.js";

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
    .option("--branch <name>", "read source schemas from this branch")
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/compile.js")).compileCommand(opts)));

  program
    .command("build")
    .description("compile and run the project, committing materialized tables to the lake")
    .addOption(projectDir)
    .addOption(vars)
    .option("--plan <file>", "run a saved plan (from bp compile) instead of compiling")
    .option("-t, --threads <n>", "nodes to run at once (default: number of cores)", (v) => positiveInt(v, "--threads"))
    .option("--duckdb-memory <size>", "DuckDB's memory limit before it spills to disk: 4GB, 512MiB or 40% (default 50% of RAM)")
    .option("-v, --verbose", "print every edge's data movement and debug lines (DuckDB and shared-memory settings)")
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/build.js")).buildCommand(opts)));

  program
    .command("import")
    .description("import a CSV or Parquet file into the lake as a source table (new commit)")
    .argument("<file>", "a .csv, .tsv or .parquet file")
    .requiredOption("--table <name>", "name of the table to create or replace")
    .option("--branch <name>", "branch to commit to (default: the project's)")
    .option("--delimiter <char>", "CSV field separator (default: ',' for .csv, tab for .tsv)")
    .addOption(projectDir)
    .addOption(json)
    .action(async (file: string, opts) => setExit(await (await import("./commands/import.js")).importCommand(file, opts)));

  program
    .command("tables")
    .description("list the lake's tables with row counts and schemas")
    .option("--ref <ref>", "branch or commit (default: the project's branch)")
    .addOption(projectDir)
    .addOption(json)
    .action(async (opts) => setExit(await (await import("./commands/tables.js")).tablesCommand(opts)));

  program
    .command("query")
    .description("run read-only SQL over the lake's tables and print the result")
    .argument("<sql>", "a SELECT over lake tables")
    .option("--ref <ref>", "branch or commit (default: the project's branch)")
    .option("-n, --max-rows <n>", "rows to print", (v) => positiveInt(v, "--max-rows"), 50)
    .addOption(projectDir)
    .addOption(json)
    .action(async (sql: string, opts) => setExit(await (await import("./commands/query.js")).queryCommand(sql, opts)));

  return program;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CommanderError(EXIT.usage, "bp.invalidArgument", `error: ${flag} must be a positive integer, got "${value}"`);
  return n;
}

// Commands are imported when run, so `bp query` does not load the TypeScript compiler.
export async function main(argv: readonly string[]): Promise<number> {
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
