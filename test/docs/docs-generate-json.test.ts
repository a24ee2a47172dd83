/**
 * `bp docs generate --json` (the real CLI): exactly one JSON object on stdout saying what was
 * written, checked against the folder on disk; failures are one JSON object too (ok: false).
 * The per-focus-in-worker layout is checked by docs-large.test.ts (5,000 models).
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";

let dir: string;
const temps: string[] = [];

beforeAll(async () => {
  dir = writeProject(
    {
      "models/clean.sql": "-- Orders with an amount.\nSELECT id, amount FROM orders WHERE amount IS NOT NULL\n",
      "models/totals.sql": "SELECT count(*) AS n, sum(amount) AS total FROM clean\n",
    },
    "docsjson",
  );
  temps.push(dir);
  await importSql(dir, "orders", "SELECT range::BIGINT AS id, range * 2.5 AS amount, 'x' AS note FROM range(10)");
});

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Every file under `root`: [count, total bytes]. */
function onDisk(root: string): [number, number] {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(path.join(e.parentPath, e.name)).size;
  }
  return [files, bytes];
}

describe("bp docs generate --json", () => {
  it("prints one object: folder, counts, files and bytes as on disk, timings, the graph's layout", async () => {
    const r = await bp(["docs", "generate", "-p", dir, "-o", "site", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout); // the whole of stdout: nothing else is printed there
    const site = path.join(dir, "site");
    const [files, bytes] = onDisk(site);
    expect(out).toEqual({
      ok: true,
      outDir: site,
      counts: { models: 2, sources: 1, pages: 5, columns: 7 }, // pages: 3 + index + graph; columns: 2 + 2 + the 3 of the orders table (its page lists read and unread ones)
      files,
      bytes,
      graph: { layout: "generate-time", nodes: 3, edges: 2 },
      ms: { total: expect.any(Number), compile: expect.any(Number), layout: expect.any(Number), render: expect.any(Number) },
      diagnostics: [],
    });
    expect(out.ms.total).toBeGreaterThanOrEqual(out.ms.compile + out.ms.layout + out.ms.render - 2); // each rounded
    expect(r.stderr).toMatch(/^wrote 5 pages \(\d+ files, [\d.]+ KiB\) to /m); // the human line moved to stderr
    expect(existsSync(path.join(site, "models", "totals.html"))).toBe(true);
    expect(existsSync(path.join(site, "assets", "elk-layout.js"))).toBe(false); // ELK (1.6 MB) only above the layout limit
  });

  it("a project that does not compile: ok false, the diagnostics, exit 1, nothing written", async () => {
    const bad = writeProject({ "models/x.sql": "SELECT * FROM nosuch\n" }, "docsjsonbad");
    temps.push(bad);
    const r = await bp(["docs", "generate", "-p", bad, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, error: expect.stringContaining("does not compile"), diagnostics: [{ code: "BP0102", file: "models/x.sql", severity: "error" }] });
    expect(r.stderr).toContain("BP0102");
    expect(existsSync(path.join(bad, "target", "docs"))).toBe(false);
  });

  it("no project, or a folder it cannot write: ok false with the reason, exit 1", async () => {
    const none = await bp(["docs", "generate", "-p", path.join(dir, "nope"), "--json"]);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("no bp_project.yml") });

    const blocked = await bp(["docs", "generate", "-p", dir, "-o", "models/clean.sql/site", "--json"]); // under a file
    expect(blocked.code).toBe(1);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ ok: false, code: "ENOTDIR", error: expect.stringContaining("cannot write the site") });
    expect(blocked.stderr).not.toMatch(/internal error/);

    // a folder the OS will not make (procfs): an error, not Node's recursive mkdir spinning forever
    if (existsSync("/proc/self")) {
      const proc = await bp(["docs", "generate", "-p", dir, "-o", "/proc/bp-docs-site", "--json"]);
      expect(proc.code).toBe(1);
      expect(JSON.parse(proc.stdout)).toMatchObject({ ok: false, code: "ENOENT", error: expect.stringContaining("cannot write the site to /proc/bp-docs-site") });
    }
  });
});
