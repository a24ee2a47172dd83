/**
 * `bp env list|prune` on a temp store filled through environmentFor (real registry): the list shows
 * each env's hash, packages, size and last use, and the store's size; prune removes envs unused for
 * N days, or every env the project does not use, then the store entries no env reaches, and says
 * what it freed. An env's last use and an entry's age are set with utimes (no waiting).
 */
import { rmSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentFor, type PackageEnv } from "../../runtime/packages/index.js";
import { bp, writeProject } from "../helpers/temp-project.js";
import { storeEntries, tempStore, type TempStore } from "./helpers.js";

let store: TempStore;
let odd: PackageEnv;
let scoped: PackageEnv;
let both: PackageEnv;
const longAgo = new Date(Date.now() - 90 * 86_400_000);

beforeAll(async () => {
  store = tempStore();
  odd = await environmentFor({ "is-odd": "3.0.1" });
  scoped = await environmentFor({ "@isaacs/string-locale-compare": "1.1.0" });
  both = await environmentFor({ "is-odd": "3.0.1", "@isaacs/string-locale-compare": "1.1.0" });
  // Old store entries (an install in progress would be younger than prune's grace period).
  for (const key of storeEntries(store.root)) utimesSync(path.join(store.root, "store", key), longAgo, longAgo);
});
const dirs: string[] = [];
afterAll(() => {
  store.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface ListJson {
  root: string;
  storeBytes: number;
  entries: { key: string; bytes: number }[];
  envs: { hash: string; packages: { name: string; version: string }[]; bytes: number; lastUsed: string }[];
}

async function list(): Promise<ListJson> {
  const r = await bp(["env", "list", "--json"], { env: store.env() });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListJson;
}

describe("bp env", () => {
  it("lists the environments with their packages, size and last use, and the store's size", async () => {
    const json = await list();
    expect(json.root).toBe(store.root);
    expect(json.entries.map((e) => e.key)).toEqual(["@isaacs+string-locale-compare@1.1.0", "is-number@6.0.0", "is-odd@3.0.1"]);
    expect(json.storeBytes).toBe(json.entries.reduce((n, e) => n + e.bytes, 0));
    expect(json.envs.map((e) => e.hash).sort()).toEqual([odd.hash, scoped.hash, both.hash].sort());
    const e = json.envs.find((x) => x.hash === odd.hash)!;
    expect(e.packages).toEqual([{ name: "is-odd", version: "3.0.1" }]);
    expect(e.bytes).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(e.lastUsed)).toBeLessThan(600_000);

    const text = await bp(["env", "list"], { env: store.env() });
    expect(text.stdout).toMatch(/package store .*: \S+ \S+ in 3 packages, 3 environments/);
    expect(text.stdout).toContain(odd.hash.slice(0, 12));
    expect(text.stdout).toMatch(/is-odd@3\.0\.1\s+\S+ \S+ \(2 packages\)/);
  });

  it("prunes envs not used for N days, then the store entries no remaining env reaches", async () => {
    utimesSync(path.join(odd.dir, "env.json"), longAgo, longAgo);
    utimesSync(path.join(both.dir, "env.json"), longAgo, longAgo);
    const dry = await bp(["env", "prune", "--days", "30", "--dry-run"], { env: store.env() });
    expect(dry.stdout).toMatch(/would remove 2 environments/);
    expect((await list()).envs).toHaveLength(3);

    const r = await bp(["env", "prune", "--days", "30"], { env: store.env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 2 environments \(not used for 30 days\)/);
    expect(r.stdout).toMatch(/removed 2 packages no environment uses: is-number@6\.0\.0, is-odd@3\.0\.1/);
    expect(r.stdout).toMatch(/freed \d[\d.]* (B|KB)/);
    const after = await list();
    expect(after.envs.map((e) => e.hash)).toEqual([scoped.hash]);
    expect(after.entries.map((e) => e.key)).toEqual(["@isaacs+string-locale-compare@1.1.0"]);
  });

  it("prunes every env the project's models do not use with --unused-by-project", async () => {
    const again = await environmentFor({ "is-odd": "3.0.1" }); // fetched again: its entries were pruned
    for (const key of storeEntries(store.root)) utimesSync(path.join(store.root, "store", key), longAgo, longAgo);
    const dir = writeProject({
      "models/uses_odd.ts": `import { model, input } from "bauplan-ts";
export default model({ inputs: { t: input("nums") }, packages: { "is-odd": "3.0.1" }, run({ t }) { return t; } });
`,
    }, "envprune");
    dirs.push(dir);
    const r = await bp(["env", "prune", "--unused-by-project", "--json", "-p", dir], { env: store.env() });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { envs: { hash: string }[]; entries: { key: string }[]; bytes: number };
    expect(json.envs.map((e) => e.hash)).toEqual([scoped.hash]);
    expect(json.entries.map((e) => e.key)).toEqual(["@isaacs+string-locale-compare@1.1.0"]);
    expect(json.bytes).toBeGreaterThan(0);
    expect((await list()).envs.map((e) => e.hash)).toEqual([again.hash]);
    // Outside a project (the test's cwd is bp's own folder), --unused-by-project has nothing to keep by.
    const bad = await bp(["env", "prune", "--unused-by-project"], { env: store.env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a bp project/);
  });
});
