/**
 * The graph layout is kept in the project's cache keyed by the graph's shape: the same DAG is not
 * laid out again (a doctored cached layout comes back as is), a changed DAG is.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { layoutGraph } from "../../cli/docs/layout.js";
import type { SiteData } from "../../cli/docs/site-data.js";
import { sha256 } from "../../compiler/project-cache.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "bp-layout-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function site(edges: [string, string][]): SiteData {
  const ids = [...new Set(edges.flat())];
  return {
    project: { name: "p", branch: "main", commit: null },
    pages: ids.map((id) => ({ id, name: id.slice(id.indexOf(":") + 1), kind: id.startsWith("scan:") ? "source" : "sql", href: `x/${id}.html` })),
    edges: edges.map(([from, to]) => ({ from, to })),
  } as unknown as SiteData;
}

describe("graph layout cache", () => {
  it("reuses the layout of an unchanged DAG and lays out a changed one", () => {
    const file = path.join(dir, "docs-layout.json");
    const dag = site([["scan:src", "model:a"], ["model:a", "model:b"], ["scan:src", "model:c"]]);
    const first = layoutGraph(dag, { cacheFile: file });
    expect(first.positioned).toBe(true);
    expect(layoutGraph(dag, { cacheFile: file })).toEqual(first);

    // Doctor the kept layout (a valid entry): an unchanged DAG gets it back, so it was not laid out again.
    const entry = JSON.parse(readFileSync(file, "utf8")) as { key: string; value: string };
    const doctored = JSON.stringify({ ...first, width: 12345 });
    writeFileSync(file, JSON.stringify({ key: entry.key, sha256: sha256(doctored), value: doctored }));
    expect(layoutGraph(dag, { cacheFile: file }).width).toBe(12345);

    // One more edge: laid out again, the same as without a cache.
    const changed = site([["scan:src", "model:a"], ["model:a", "model:b"], ["scan:src", "model:c"], ["model:c", "model:b"]]);
    const relaid = layoutGraph(changed, { cacheFile: file });
    expect(relaid.width).not.toBe(12345);
    expect(relaid).toEqual(layoutGraph(changed));
    expect(relaid.edges.map((e) => [e.from, e.to])).toContainEqual(["model:c", "model:b"]);
  });
});
