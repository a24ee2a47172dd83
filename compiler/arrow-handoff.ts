/**
 * Which DuckDB column types a TS model's input can receive: those the runtime maps to Arrow
 * (duckdbTypeToArrow, after NARROWED_FOR_ARROW). Asking the runtime loads apache-arrow (~0.1 s of a
 * compile), so the answers are kept in the project's cache (`.bp/cache/arrow-types.json`) under a
 * fingerprint of the runtime's Arrow code (every module of runtime/arrow/) and apache-arrow's version;
 * apache-arrow is loaded only for a type the cache does not know.
 */
import path from "node:path";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NARROWED_FOR_ARROW } from "../runtime/arrow/narrowed-types.js";
import { fingerprint, packageVersion, readOptional, writeFileAtomic } from "./project-cache.js";

/** The file in the project's cache folder. */
export const ARROW_TYPES_CACHE_FILE = "arrow-types.json";

type ArrowTypes = typeof import("../runtime/arrow/types.js");

export class ArrowHandoff {
  private readonly known = new Map<string, boolean>();
  private changed = false;
  private readonly print: string | undefined;

  /** `file`: where answers are kept across compiles; none when undefined. */
  constructor(private readonly file?: string) {
    if (file === undefined) return;
    this.print = runtimeArrowFingerprint();
    try {
      const saved = JSON.parse(readOptional(file)?.toString("utf8") ?? "null") as { fingerprint?: unknown; types?: unknown } | null;
      if (saved?.fingerprint !== this.print || typeof saved.types !== "object" || saved.types === null) return;
      for (const [type, ok] of Object.entries(saved.types)) if (typeof ok === "boolean") this.known.set(type, ok);
    } catch {
      // unreadable: start empty
    }
  }

  /** Whether a column of DuckDB type `type` can be handed to a TS model. */
  async accepts(type: string): Promise<boolean> {
    const known = this.known.get(type);
    if (known !== undefined) return known;
    const { duckdbTypeToArrow } = await arrowTypes();
    let ok = true;
    try {
      duckdbTypeToArrow(NARROWED_FOR_ARROW[type] ?? type);
    } catch {
      ok = false;
    }
    this.known.set(type, ok);
    this.changed = true;
    return ok;
  }

  /** Keeps new answers in the cache file. */
  save(): void {
    if (!this.changed || this.file === undefined) return;
    this.changed = false;
    writeFileAtomic(this.file, JSON.stringify({ fingerprint: this.print, types: Object.fromEntries([...this.known].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) }));
  }
}

let arrowTypesModule: Promise<ArrowTypes> | undefined;

function arrowTypes(): Promise<ArrowTypes> {
  return (arrowTypesModule ??= import("../runtime/arrow/types.js"));
}

function runtimeArrowFingerprint(): string {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here); // .js when built, .ts when run from sources
  const dir = path.join(path.dirname(here), "..", "runtime", "arrow");
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(ext) && !n.endsWith(`.d${ext}`)).sort();
  } catch {
    // no folder: the versions below still key the answers
  }
  return fingerprint([`apache-arrow ${packageVersion("apache-arrow")}`, ...names.map((n) => ({ file: path.join(dir, n) }))]);
}
