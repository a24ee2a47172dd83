/**
 * Per-input refs: sources a model reads at a lake ref (`-- bp: ref transactions = friday`,
 * `input("transactions", { ref: "friday" })`). Each ref is resolved once against the lake; the
 * pinned table's entry at that commit replaces the branch's in the tables the compiler sees, and the
 * scan records the ref and the commit. A build reads each source at one version: two models reading
 * it at different data is BP0109. An unknown ref is BP0108, a table missing at the ref BP0102,
 * each at the ref as written.
 */
import { diagnostic, didYouMean, type Diagnostic } from "./diagnostics.js";
import type { LogicalModel, LogicalPlan, SourcePin } from "./logical-plan.js";
import type { Lake } from "../runtime/lake/lake.js";
import { sameEntry } from "../runtime/lake/table-diff.js";
import type { Commit, TableEntry } from "../runtime/lake/types.js";

/** What a scan of a pinned source records. */
export interface ScanRef {
  readonly ref: string;
  readonly commit: string;
}

export interface PinnedSources {
  /** The branch's tables with each pinned table's entry at its ref. */
  readonly tables: Record<string, TableEntry>;
  /** Pinned tables (lower-cased name) -> the ref and commit their scan reads. */
  readonly scanRefs: ReadonlyMap<string, ScanRef>;
  readonly diagnostics: Diagnostic[];
}

const REF_HINT = "a ref is a branch (bp branch list), a tag (bp tag list), a commit id or a unique prefix of >= 4 hex digits, or BRANCH@TIME such as main@2026-11-20T17:00 (UTC unless a zone is given)";

export async function resolveSourcePins(lake: Lake, models: readonly LogicalModel[], branchTables: Readonly<Record<string, TableEntry>>): Promise<PinnedSources> {
  const diagnostics: Diagnostic[] = [];
  const tables: Record<string, TableEntry> = { ...branchTables };
  const scanRefs = new Map<string, ScanRef>();
  const resolved = new Map<string, Promise<Commit | null>>();
  const modelNames = new Set(models.map((m) => m.name.toLowerCase()));

  // Every read of a pinned table: at a ref (with its entry) or at the branch.
  interface Read {
    readonly model: LogicalModel;
    readonly pin: SourcePin | null;
    readonly commit: Commit | null;
    readonly name: string;
    readonly entry: TableEntry | undefined;
  }
  const reads = new Map<string, Read[]>();
  for (const m of models) {
    for (const pin of m.pins) {
      const key = pin.table.toLowerCase();
      if (modelNames.has(key)) {
        diagnostics.push(diagnostic("BP0109", `"${pin.table}" is a model of this project, not a source: a ref applies to source tables only`, pin.at, "remove the ref: a model's output is always the one this build computes"));
        continue;
      }
      if (!m.refs.some((r) => r.name.toLowerCase() === key)) {
        diagnostics.push(diagnostic("BP0109", `${m.name} pins "${pin.table}" to ref "${pin.ref}" but does not read it`, pin.at, "remove the line, or fix the table name"));
        continue;
      }
      if (!resolved.has(pin.ref)) resolved.set(pin.ref, lake.resolve(pin.ref));
      let commit: Commit | null;
      try {
        commit = await resolved.get(pin.ref)!;
      } catch (err) {
        diagnostics.push(diagnostic("BP0108", err instanceof Error ? err.message : String(err), pin.at, REF_HINT));
        continue;
      }
      if (commit === null) {
        diagnostics.push(diagnostic("BP0108", `ref "${pin.ref}" has no commits yet`, pin.at, REF_HINT));
        continue;
      }
      const name = Object.keys(commit.tables).find((t) => t.toLowerCase() === key);
      if (name === undefined) {
        const suggestion = didYouMean(pin.table, Object.keys(commit.tables));
        diagnostics.push(
          diagnostic(
            "BP0102",
            `unknown table "${pin.table}" at ref "${pin.ref}" (commit ${commit.id.slice(0, 12)})${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
            pin.at,
            `the tables at ${pin.ref} are: ${Object.keys(commit.tables).sort().join(", ") || "none"}`,
          ),
        );
        continue;
      }
      reads.set(key, [...(reads.get(key) ?? []), { model: m, pin, commit, name, entry: commit.tables[name] }]);
    }
  }
  for (const [key, pinned] of reads) {
    const atBranch = Object.keys(branchTables).find((t) => t.toLowerCase() === key);
    const all: Read[] = [...pinned];
    for (const m of models) {
      if (m.pins.some((p) => p.table.toLowerCase() === key)) continue;
      if (m.refs.some((r) => r.name.toLowerCase() === key)) all.push({ model: m, pin: null, commit: null, name: atBranch ?? pinned[0]!.name, entry: atBranch === undefined ? undefined : branchTables[atBranch] });
    }
    const first = all[0]!;
    const other = all.find((r) => !sameEntry(r.entry, first.entry));
    if (other !== undefined) {
      const where = (r: Read) => `${r.pin ? `ref ${r.pin.ref}` : "the build's branch"} in ${r.model.file}`;
      for (const r of all) {
        if (r.pin === null) continue;
        diagnostics.push(
          diagnostic(
            "BP0109",
            `source "${r.name}" is read at different versions: ${where(first)} and ${where(other)}`,
            r.pin.at,
            "a build reads each source table at one version: give every model that reads it the same ref (or none)",
          ),
        );
      }
      continue;
    }
    if (atBranch !== undefined && atBranch !== first.name) delete tables[atBranch];
    tables[pinned[0]!.name] = pinned[0]!.entry!;
    const refs = [...new Set(pinned.map((r) => r.pin!.ref))].sort();
    scanRefs.set(key, { ref: refs[0]!, commit: pinned.find((r) => r.pin!.ref === refs[0])!.commit!.id });
  }
  return { tables, scanRefs, diagnostics };
}

/** The pinned sources of the plan, by source name (as the logical plan spells it). */
export function scanRefsOf(logical: LogicalPlan, scanRefs: ReadonlyMap<string, ScanRef>): Map<string, ScanRef> {
  const out = new Map<string, ScanRef>();
  for (const name of Object.keys(logical.sources)) {
    const r = scanRefs.get(name.toLowerCase());
    if (r) out.set(name, r);
  }
  return out;
}
