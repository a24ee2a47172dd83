/**
 * The per-file cache of TS models' static reads (compiler/ts/read-cache.ts): a hit returns exactly
 * what a fresh read returns, a changed file or path misses, a corrupt entry is ignored and
 * replaced, entries are written atomically, unused ones are pruned; and a project compiles to the
 * same plan with a cold cache, a warm one, a damaged one and none. The V8 code cache of the TypeScript compiler
 * is checked end to end through the CLI.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import { readerFingerprint, readTs, TsReadCache } from "../../compiler/ts/read-cache.js";
import { readTsModel, type ReadTsModelResult } from "../../compiler/ts/read-ts-model.js";
import { bp, importSql, ROOT, writeProject } from "../helpers/temp-project.js";
import { modelWith } from "./helpers.js";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bp-ts-cache-"));
  temps.push(dir);
  return dir;
}

const FILE = "models/scored.ts";
const TEXT = modelWith('  inputs: { data: input("events", { columns: ["id"], filter: "id > 1" }) },\n  columns: { id: "BIGINT" },');
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** Every TS model of the golden cases and the example project: valid ones and every kind of error. */
function fixtureModels(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.name.endsWith(".ts") && abs.includes(`${path.sep}models${path.sep}`)) out.push({ file: path.relative(ROOT, abs), text: readFileSync(abs, "utf8") });
    }
  };
  for (const dir of ["test/golden-diagnostics/cases", "test/golden-plans/cases", "example-project/models"]) walk(path.join(ROOT, dir));
  return out;
}

describe("the TS read cache", () => {
  it("misses, writes an entry, then hits with exactly the fresh result", async () => {
    const cache = new TsReadCache(tempDir());
    expect(cache.get(FILE, TEXT)).toBeUndefined();
    const fresh = await readTs(FILE, TEXT, cache);
    expect(entries(cache.dir)).toHaveLength(1);
    expect(entries(cache.dir)[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    const hit = new TsReadCache(cache.dir).get(FILE, TEXT);
    expect(hit).toStrictEqual(fresh);
    expect(hit).toStrictEqual(readTsModel(FILE, TEXT));
  });

  it("is really used on a hit (a doctored entry comes back)", async () => {
    const cache = new TsReadCache(tempDir());
    await readTs(FILE, TEXT, cache);
    const file = path.join(cache.dir, entries(cache.dir)[0]!);
    const entry = JSON.parse(readFileSync(file, "utf8")) as { key: string; sha256: string; value: string };
    const doctored: ReadTsModelResult = { settings: null, partialSettings: null, diagnostics: [] };
    const { createHash } = await import("node:crypto");
    const json = JSON.stringify(doctored);
    writeFileSync(file, JSON.stringify({ key: entry.key, sha256: createHash("sha256").update(json).digest("hex"), value: json }));
    expect(await readTs(FILE, TEXT, new TsReadCache(cache.dir))).toStrictEqual(doctored);
  });

  it("misses when the text or the path changes (the key covers the reader too)", async () => {
    const cache = new TsReadCache(tempDir());
    await readTs(FILE, TEXT, cache);
    expect(cache.get(FILE, `${TEXT}// edited\n`)).toBeUndefined();
    expect(cache.get("models/other.ts", TEXT)).toBeUndefined();
    expect(cache.get(FILE, TEXT)).toBeDefined();
    expect(readerFingerprint()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores a corrupt entry (truncated, bad hash, other key, not a result) and replaces it", async () => {
    const cache = new TsReadCache(tempDir());
    const fresh = await readTs(FILE, TEXT, cache);
    const file = path.join(cache.dir, entries(cache.dir)[0]!);
    const good = readFileSync(file, "utf8");
    const entry = JSON.parse(good) as { key: string; sha256: string; value: string };
    const corruptions = [
      good.slice(0, good.length / 2),
      "",
      "null",
      JSON.stringify({ ...entry, sha256: "0".repeat(64) }),
      JSON.stringify({ ...entry, key: "f".repeat(64) }),
      JSON.stringify({ ...entry, value: entry.value.replace('"BIGINT"', '"DOUBLE"') }),
      JSON.stringify({ key: entry.key, sha256: (await import("node:crypto")).createHash("sha256").update("[1]").digest("hex"), value: "[1]" }),
    ];
    for (const bad of corruptions) {
      writeFileSync(file, bad);
      expect(new TsReadCache(cache.dir).get(FILE, TEXT)).toBeUndefined();
      expect(await readTs(FILE, TEXT, new TsReadCache(cache.dir))).toStrictEqual(fresh);
      expect(readFileSync(file, "utf8")).toBe(good); // rewritten
    }
  });

  it("writes atomically (no temp file left) and does not store what JSON would change", () => {
    const cache = new TsReadCache(tempDir());
    cache.set(FILE, TEXT, readTsModel(FILE, TEXT));
    expect(entries(cache.dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const odd = { settings: null, partialSettings: null, diagnostics: [{ code: "BP0201", severity: "error", message: "x", hint: undefined }] } as unknown as ReadTsModelResult;
    cache.set("models/odd.ts", "x", odd);
    expect(cache.get("models/odd.ts", "x")).toBeUndefined();
    expect(entries(cache.dir)).toHaveLength(1);
  });

  it("prunes the entries a compile did not use", async () => {
    const dir = tempDir();
    const first = new TsReadCache(dir);
    await readTs(FILE, TEXT, first);
    await readTs("models/old.ts", TEXT, first);
    expect(entries(dir)).toHaveLength(2);
    const second = new TsReadCache(dir);
    await readTs(FILE, TEXT, second);
    second.prune();
    expect(entries(dir)).toHaveLength(1);
    expect(second.get(FILE, TEXT)).toBeDefined();
  });

  it("gives exactly the fresh result for every TS model of the golden cases (valid and broken)", () => {
    const models = fixtureModels();
    expect(models.length).toBeGreaterThan(15);
    const cache = new TsReadCache(tempDir());
    for (const { file, text } of models) {
      const fresh = readTsModel(file, text);
      cache.set(file, text, fresh);
      const cached = new TsReadCache(cache.dir).get(file, text);
      expect(cached, file).toStrictEqual(fresh);
      expect(JSON.stringify(cached)).toBe(JSON.stringify(fresh));
    }
  });
});

describe("compiling with the cache", () => {
  it("gives the same plan cold, warm and without a cache; the CLI keeps a V8 code cache of TypeScript", async () => {
    const dir = writeProject(
      {
        "models/a.sql": "SELECT id, val FROM src WHERE val > 3\n",
        "models/b.ts": modelWith('  inputs: { data: input("a", { columns: ["id", "val"], filter: "val < 50" }) },\n  columns: { id: "BIGINT", score: "DOUBLE" },'),
        "models/c.sql": "SELECT count(*) AS n FROM b\n",
      },
      "ts-cache",
    );
    temps.push(dir);
    await importSql(dir, "src", "SELECT range::BIGINT AS id, range::DOUBLE AS val FROM range(10)");
    const none = await compileProject({ projectDir: dir, cache: false });
    expect(existsSync(path.join(dir, ".bp", "cache"))).toBe(false);
    const cold = await compileProject({ projectDir: dir });
    expect(entries(path.join(dir, ".bp", "cache", "ts-read"))).toHaveLength(1);
    const warm = await compileProject({ projectDir: dir });
    expect(none.diagnostics).toEqual([]);
    expect(JSON.stringify(cold.plan)).toBe(JSON.stringify(none.plan));
    expect(JSON.stringify(warm.plan)).toBe(JSON.stringify(none.plan));
    const cacheFiles = (root: string): string[] =>
      readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? cacheFiles(path.join(root, e.name)) : [path.join(root, e.name)]));
    const kept = cacheFiles(path.join(dir, ".bp", "cache")).map((f) => path.relative(dir, f).replace(/[0-9a-f]{64}/, "<key>"));
    expect(kept.sort()).toEqual(
      [".bp/cache/arrow-types.json", ".bp/cache/duckdb-functions.json", ".bp/cache/project-config.json", ".bp/cache/ts-read/<key>.json"].map((f) => f.replace(/\//g, path.sep)),
    );
    // Every cache file damaged: the compile is the same.
    for (const file of cacheFiles(path.join(dir, ".bp", "cache"))) writeFileSync(file, '{"key":"x"');
    const damaged = await compileProject({ projectDir: dir });
    expect(damaged.diagnostics).toEqual([]);
    expect(JSON.stringify(damaged.plan)).toBe(JSON.stringify(none.plan));
    const repaired = await compileProject({ projectDir: dir });
    expect(JSON.stringify(repaired.plan)).toBe(JSON.stringify(none.plan));

    // The CLI (a fresh process) writes the code cache once, then loads TypeScript with it.
    rmSync(path.join(dir, ".bp", "cache"), { recursive: true });
    expect((await bp(["compile", "-p", dir])).code).toBe(0);
    const v8 = path.join(dir, ".bp", "cache", "v8");
    expect(entries(v8)).toHaveLength(1);
    const codeCache = path.join(v8, entries(v8)[0]!);
    const written = statSync(codeCache).mtimeMs;
    writeFileSync(path.join(dir, "models", "b.ts"), `${readFileSync(path.join(dir, "models", "b.ts"), "utf8")}// edited\n`);
    expect((await bp(["compile", "-p", dir])).code).toBe(0);
    expect(statSync(codeCache).mtimeMs).toBe(written); // accepted by V8: not rewritten
    // A damaged code cache is only slower: V8 rejects it and it is written again.
    writeFileSync(codeCache, "not a code cache");
    writeFileSync(path.join(dir, "models", "b.ts"), `${readFileSync(path.join(dir, "models", "b.ts"), "utf8")}// again\n`);
    expect((await bp(["compile", "-p", dir])).code).toBe(0);
    expect(readFileSync(codeCache).length).toBeGreaterThan(1000);
  });
});
