/**
 * bp docs at 5,000 models (the compile bench's synthetic project): the site is generated without a
 * full layout (too slow for dagre), the graph page lays out the focused subgraph in a Web Worker.
 * Measured: generate time, graph render time (< 2 s), longest main-thread block of an interaction
 * (< 200 ms: the handlers' own time and Long Tasks observed during zoom, drag, click, hops change).
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error plain JS bench module
import { syntheticModels } from "../../bench/lib/synthetic-models.mjs";
import { serveStatic } from "../../cli/docs/static-server.js";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

const COUNT = 5000;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (const [name, sql] of syntheticModels(COUNT) as [string, string][]) files[`models/${name}.sql`] = sql;
  dir = writeProject(files, "docs5000");
  await importSql(dir, "src", "SELECT range::BIGINT AS id, 'g' || (range % 5) AS grp, (range % 100)::DOUBLE AS val, TIMESTAMP '2024-01-01' + to_seconds(range) AS ts FROM range(100)");
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`${COUNT} models: generate, graph focused on one model renders < 2 s, interactions never block > 200 ms`, async () => {
  const t0 = performance.now();
  const gen = await bp(["docs", "generate", "-p", dir]);
  const generateMs = Math.round(performance.now() - t0);
  expect(gen.code, gen.stderr + gen.stdout).toBe(0);
  console.log(`[docs 5000] bp docs generate: ${generateMs} ms wall (${gen.stdout.trim()}${gen.stderr.trim()})`);

  const { server, url } = await serveStatic(path.join(dir, "target", "docs"), 0);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push(e.duration))).observe({ type: "longtask", buffered: true });
    });
    const focus = "model:m02503";
    const t1 = performance.now();
    await page.goto(`${url}graph.html?focus=${encodeURIComponent(focus)}&hops=2`);
    await page.waitForSelector("svg#graph[data-rendered]", { timeout: 10_000 });
    const renderMs = Math.round(performance.now() - t1);
    const stats = await page.evaluate(() => (window as unknown as { __bpGraph: Record<string, number> }).__bpGraph);
    console.log(`[docs 5000] graph focused on ${focus}: ${renderMs} ms from navigation to drawn (in page: layout in worker ${Math.round(stats["layoutMs"]!)} ms, total ${Math.round(stats["renderMs"]!)} ms), ${stats["nodes"]} nodes, ${stats["edges"]} edges`);
    expect(renderMs).toBeLessThan(2000);
    expect(await page.locator(`g.node[data-id="${focus}"]`).count()).toBe(1);
    expect(await page.locator(`g.node[data-id="model:m02502"]`).count()).toBe(1); // upstream in its chain
    expect(await page.locator(`path.edge[data-from="model:m02502"][data-to="${focus}"]`).count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, "docs-graph-5000-focus.png") });

    // interactions, after the load's own tasks
    await page.evaluate(() => { (window as unknown as { __longTasks: number[] }).__longTasks.length = 0; });
    const box = (await page.locator("svg#graph").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, i < 5 ? -120 : 120);
    await page.mouse.down();
    for (let i = 0; i < 10; i++) await page.mouse.move(box.x + box.width / 2 + i * 15, box.y + box.height / 2 + i * 5);
    await page.mouse.up();
    await page.locator("#hops").fill("3");
    await page.locator("#hops").dispatchEvent("change");
    await page.waitForSelector('svg#graph[data-rendered="2"]', { timeout: 10_000 });
    await page.waitForTimeout(300);
    const after = await page.evaluate(() => ({ g: (window as unknown as { __bpGraph: Record<string, number> }).__bpGraph, longTasks: (window as unknown as { __longTasks: number[] }).__longTasks }));
    const longest = Math.max(after.g["maxInteractionMs"]!, ...after.longTasks, 0);
    console.log(`[docs 5000] ${after.g["interactions"]} interaction events: longest handler ${after.g["maxInteractionMs"]!.toFixed(1)} ms, long tasks during interactions: [${after.longTasks.map((d) => Math.round(d)).join(", ")}] ms; hops 3: ${after.g["nodes"]} nodes`);
    expect(longest).toBeLessThan(200);

    // clicking a node opens its page
    await page.locator(`g.node[data-id="${focus}"]`).click();
    await page.waitForURL(/models\/m02503\.html$/);
    await page.close();
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
