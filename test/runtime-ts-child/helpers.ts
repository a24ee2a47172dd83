/**
 * Fixtures for the TS child tests: a temp project folder WITHOUT node_modules (models import
 * bauplan-ts and apache-arrow through the child's loader hooks), input Arrow IPC files, and a
 * wrapper around runTsModel that records the child's lines with their arrival times.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Float64, Int32, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { runTsModel, type TsRunJob, type TsRunOptions, type TsRunResult } from "../../runtime/ts-child/run-ts-model.js";

export interface Line {
  stream: "stdout" | "stderr";
  line: string;
  /** ms since the run started */
  at: number;
}

export interface RunOutcome {
  result: TsRunResult;
  lines: Line[];
  outputPath: string;
  /** ms from the start of the run to the promise resolving */
  elapsed: number;
  stdout: string[];
  stderr: string[];
}

export class Project {
  readonly dir: string;
  readonly models: string;
  readonly shm: string;
  private counter = 0;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "bp-ts-child-"));
    this.models = path.join(this.dir, "proj", "models");
    this.shm = path.join(this.dir, "shm");
    mkdirSync(this.models, { recursive: true });
    mkdirSync(this.shm, { recursive: true });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes a file under the project folder (path relative to proj/). */
  write(relative: string, source: string): string {
    const file = path.join(this.dir, "proj", relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, source);
    return file;
  }

  /** Writes an input table as an Arrow IPC file (RecordBatchFileWriter format). */
  writeInput(name: string, table: Table): string {
    const file = path.join(this.shm, `${name}.arrow`);
    writeFileSync(file, tableToIPC(table, "file"));
    return file;
  }

  /** Runs models/<name>.ts (written from `source`) against the given inputs. */
  async run(
    name: string,
    source: string,
    job: Partial<TsRunJob> & { inputs: TsRunJob["inputs"] },
    opts: Partial<TsRunOptions> = {},
  ): Promise<RunOutcome> {
    const modelFile = this.write(`models/${name}.ts`, source);
    const outputPath = job.outputPath ?? path.join(this.shm, `${name}.${++this.counter}.out.arrow`);
    const lines: Line[] = [];
    const started = performance.now();
    const result = await runTsModel(
      { model: name, modelFile, outputPath, memoryMb: 512, ...job },
      {
        ...opts,
        onLine: (stream, line) => {
          lines.push({ stream, line, at: performance.now() - started });
          opts.onLine?.(stream, line);
        },
      },
    );
    const elapsed = performance.now() - started;
    return {
      result,
      lines,
      outputPath,
      elapsed,
      stdout: lines.filter((l) => l.stream === "stdout").map((l) => l.line),
      stderr: lines.filter((l) => l.stream === "stderr").map((l) => l.line),
    };
  }
}

export function readOutput(file: string): Table {
  return tableFromIPC(readFileSync(file));
}

/** Plain JS rows of a table (BigInt kept). */
export function rowsOf(table: Table): Record<string, unknown>[] {
  return table.toArray().map((r) => ({ ...(r as { toJSON(): Record<string, unknown> }).toJSON() }));
}

export function transactions(): Table {
  return new Table({
    id: vectorFromArray([1, 2, 3, 4, 5, 6], new Int32()),
    usd: vectorFromArray([10, 20.5, 30, 40, 50.25, 60], new Float64()),
    country: vectorFromArray(["IT", "US", "IT", "FR", "IT", "US"], new Utf8()),
  });
}

export function outputLeftovers(outputPath: string): string[] {
  return [outputPath, `${outputPath}.tmp`].filter((f) => existsSync(f));
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** 1-based line of the first line of `source` containing `needle`. */
export function lineOf(source: string, needle: string): number {
  const i = source.split("\n").findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not in source: ${needle}`);
  return i + 1;
}
