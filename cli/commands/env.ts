/**
 * bp env list|prune: the package environments of TS models (runtime/packages) and the local package
 * store they link into ($BP_PACKAGE_STORE, else ~/.cache/bp/packages).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { discoverModels } from "../../compiler/discover-models.js";
import { readTsModel } from "../../compiler/ts/read-ts-model.js";
import { recordedEnvHash } from "../../runtime/packages/index.js";
import { inspectStore, pruneStore, type EnvInfo } from "../../runtime/packages/inventory.js";
import { storePaths } from "../../runtime/packages/store-layout.js";
import { createOut, formatBytes, plural, textTable, type Out } from "../console.js";

export interface EnvListOptions {
  json?: boolean;
}

export interface EnvPruneOptions {
  projectDir: string;
  /** Remove envs not used for this many days. */
  days?: number;
  /** Remove every env the project's TS models do not use. */
  unusedByProject?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

const DEFAULT_DAYS = 30;

const packagesText = (e: EnvInfo) => e.packages.map((p) => `${p.name}@${p.version}`).join(", ");

function envJson(e: EnvInfo): object {
  return { hash: e.hash, dir: e.dir, packages: e.packages, entries: e.entries, bytes: e.bytes, lastUsed: e.lastUsed.toISOString() };
}

export async function envListCommand(opts: EnvListOptions): Promise<number> {
  const out = createOut(!!opts.json);
  const info = await inspectStore(storePaths());
  if (opts.json) {
    out.result(JSON.stringify({ root: info.root, storeBytes: info.storeBytes, entries: info.entries, envs: info.envs.map(envJson) }, null, 2));
    return 0;
  }
  out.info(`package store ${info.root}: ${formatBytes(info.storeBytes)} in ${plural(info.entries.length, "package")}, ${plural(info.envs.length, "environment")}`);
  if (info.envs.length > 0) {
    out.result(
      textTable(
        ["env", "packages", "size", "last used"],
        info.envs.map((e) => [e.hash.slice(0, 12), packagesText(e), `${formatBytes(e.bytes)} (${plural(e.entries.length, "package")})`, e.lastUsed.toISOString()]),
      ),
    );
  }
  return 0;
}

/** The envs the project's TS models resolve to (as recorded; nothing is installed), or null when it is not a project. */
async function projectEnvs(projectDir: string, out: Out): Promise<Set<string> | null> {
  const dir = path.resolve(projectDir);
  if (!existsSync(path.join(dir, "bp_project.yml"))) {
    out.error(`bp: ${dir} is not a bp project (no bp_project.yml); --unused-by-project needs one (-p DIR)`);
    return null;
  }
  const keep = new Set<string>();
  for (const m of discoverModels(dir).models) {
    if (m.kind !== "ts") continue;
    const settings = readTsModel(m.file, m.text).partialSettings;
    const hash = settings ? await recordedEnvHash(settings.packages) : null;
    if (hash) keep.add(hash);
  }
  return keep;
}

export async function envPruneCommand(opts: EnvPruneOptions): Promise<number> {
  const out = createOut(!!opts.json);
  const paths = storePaths();
  let keep: Set<string> | undefined;
  if (opts.unusedByProject) {
    const found = await projectEnvs(opts.projectDir, out);
    if (!found) return 2;
    keep = found;
  }
  const days = opts.days ?? (opts.unusedByProject ? undefined : DEFAULT_DAYS);
  const unusedSince = days === undefined ? undefined : new Date(Date.now() - days * 86_400_000);
  const r = await pruneStore(paths, { ...(keep ? { keep } : {}), ...(unusedSince ? { unusedSince } : {}), dryRun: !!opts.dryRun });
  if (opts.json) {
    out.result(JSON.stringify({ root: paths.root, dryRun: !!opts.dryRun, envs: r.envs.map(envJson), entries: r.entries, bytes: r.bytes }, null, 2));
    return 0;
  }
  const verb = opts.dryRun ? "would remove" : "removed";
  const why = [days !== undefined ? `not used for ${plural(days, "day")}` : null, keep ? "not used by the project" : null].filter(Boolean).join(" or ");
  out.info(`${verb} ${plural(r.envs.length, "environment")} (${why})${r.envs.length ? `: ${r.envs.map((e) => `${e.hash.slice(0, 12)} [${packagesText(e)}]`).join("; ")}` : ""}`);
  out.info(`${verb} ${plural(r.entries.length, "package")} no environment uses${r.entries.length ? `: ${r.entries.map((e) => e.key).join(", ")}` : ""}`);
  out.info(`${opts.dryRun ? "would free" : "freed"} ${formatBytes(r.bytes)} in ${paths.root}`);
  return 0;
}
