/**
 * bp docs on the example project, in a real browser (Chromium via playwright-core) against the real
 * `bp docs serve` process: search a column and land on its model, follow an upstream link, the
 * lineage graph's nodes and edges, focus, click-through; the site also works from file://.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bp, importSql, ROOT } from "../helpers/temp-project.js";
import { ARTIFACTS, launchBrowser, startServe, type ServeProcess } from "./browser.js";

const TRANSACTIONS =
  "SELECT range::BIGINT AS id, TIMESTAMP '2023-01-01' + to_hours(range::BIGINT) AS eventTime, range * 1.5 AS usd, (['DE','US'])[range % 2 + 1] AS country, (range % 7)::BIGINT AS client_id, (['electronics','books'])[range % 2 + 1] AS category FROM range(100)";

let dir: string;
let browser: Browser;
let serve: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "bp-docs-example-"));
  cpSync(path.join(ROOT, "example-project"), dir, { recursive: true, filter: (src) => !/[/\\](\.bp|target|data)$/.test(src) });
  await importSql(dir, "transactions", TRANSACTIONS);
  const built = await bp(["build", "-p", dir]);
  expect(built.code, built.stderr + built.stdout).toBe(0);
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, serve] = await Promise.all([launchBrowser(), startServe(["-p", dir])]);
});

afterAll(async () => {
  await browser?.close();
  if (serve && serve.child.exitCode === null) await serve.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("bp docs on the example project", () => {
  it("generate writes a self-contained site: pages, assets, no remote URL", async () => {
    const out = path.join(dir, "target", "docs");
    for (const f of ["index.html", "graph.html", "models/client_stats.html", "models/client_segments.html", "sources/transactions.html", "assets/search-index.js", "assets/graph-data.js", "assets/highlight.css"]) expect(existsSync(path.join(out, f)), f).toBe(true);
    const page = readFileSync(path.join(out, "models/client_stats.html"), "utf8");
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).toContain('class="hljs-keyword"'); // highlighted at generate time
  });

  it("search for a column lands on its model; an upstream link leads to the source", async () => {
    const page = await browser.newPage();
    await page.goto(serve.url);
    await expect(page.locator("h1").textContent()).resolves.toBe("example");
    await page.fill("#search", "last_order");
    const hit = page.locator('#search-results a[data-type="column"]').first();
    await expect(hit.getAttribute("data-name")).resolves.toBe("client_stats.last_order");
    await hit.click();
    await page.waitForURL(/models\/client_stats\.html#col-last_order$/);
    await expect(page.locator("h1").textContent()).resolves.toContain("client_stats");
    await expect(page.locator('tr[data-column="last_order"] td').nth(1).textContent()).resolves.toBe("TIMESTAMP");
    await expect(page.locator("p.description").textContent()).resolves.toContain("Spend per client");
    await expect(page.locator("table.pushdown").textContent()).resolves.toContain("category");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, "docs-model-page.png"), fullPage: true });
    await page.locator('ul.upstream a[data-id="scan:transactions"]').click();
    await page.waitForURL(/sources\/transactions\.html$/);
    await expect(page.locator('[data-stat="rows"]').textContent()).resolves.toBe("100");
    await expect(page.locator('[data-stat="commit"]').textContent()).resolves.toMatch(/^[0-9a-f]{12} /);
    await page.close();
  });

  it("column and source descriptions are shown on their pages and found by search", async () => {
    const page = await browser.newPage();
    await page.goto(serve.url);
    // a word only in the description of client_segments.segment (a TS model's `{ type, description }`)
    await page.fill("#search", "bronze");
    const hit = page.locator('#search-results a[data-type="column"]').first();
    await expect(hit.getAttribute("data-name")).resolves.toBe("client_segments.segment");
    await hit.click();
    await page.waitForURL(/models\/client_segments\.html#col-segment$/);
    await expect(page.locator('tr[data-column="segment"] td.column-description').textContent()).resolves.toContain("silver (>= 500 USD)");
    await expect(page.locator('tr[data-column="client_id"] td.column-description').textContent()).resolves.toBe("");
    // a SQL model's `-- bp: column` line
    await page.goto(`${serve.url}models/client_stats.html`);
    await expect(page.locator('tr[data-column="total_usd"] td.column-description').textContent()).resolves.toBe("Electronics spend in the period, in US dollars");
    // bp_project.yml `sources:`
    await page.goto(`${serve.url}sources/transactions.html`);
    await expect(page.locator("p.description").textContent()).resolves.toContain("Card transactions");
    await expect(page.locator('tr[data-column="usd"] td.column-description').textContent()).resolves.toBe("Amount in US dollars");
    await page.close();
  });

  it("a TS model page shows memory, the declared input projection and its lake table", async () => {
    const page = await browser.newPage();
    await page.goto(`${serve.url}models/client_segments.html`);
    const facts = await page.locator("dl.facts").textContent();
    expect(facts).toContain("TS model");
    expect(facts).toContain("1024 MiB");
    expect(await page.locator('[data-stat="rows"]').textContent()).toMatch(/^\d+$/);
    expect(await page.locator("table.pushdown").textContent()).toContain("total_usd");
    await page.close();
  });

  it("the lineage graph draws every node and edge, focuses N hops, opens a node's page on click", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(`${serve.url}graph.html`);
    await page.waitForSelector("svg#graph[data-rendered]");
    const ids = await page.locator("g.node").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")).sort());
    expect(ids).toEqual(["model:client_segments", "model:client_stats", "model:euro_selection", "model:segment_summary", "model:usd_by_country", "scan:transactions"]);
    const edges = await page.locator("path.edge").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-from")} -> ${e.getAttribute("data-to")}`));
    expect(edges).toContain("scan:transactions -> model:client_stats");
    expect(edges).toContain("model:client_stats -> model:client_segments");
    await page.screenshot({ path: path.join(ARTIFACTS, "docs-graph.png") });

    await page.goto(`${serve.url}graph.html?focus=${encodeURIComponent("model:client_stats")}&hops=1`);
    await page.waitForSelector("svg#graph[data-rendered]");
    const focused = await page.locator("g.node").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")).sort());
    expect(focused).toEqual(["model:client_segments", "model:client_stats", "scan:transactions"]);
    await page.locator('g.node[data-id="model:client_segments"]').click();
    await page.waitForURL(/models\/client_segments\.html$/);
    await page.close();
  });

  it("column lineage from the plan lists each column's sources as links", async () => {
    const page = await browser.newPage();
    await page.goto(`${serve.url}models/client_stats.html`);
    const sourcesOf = (column: string) =>
      page.locator(`tr[data-column="${column}"] [data-source]`).evaluateAll((els) => els.map((e) => e.getAttribute("data-source")));
    expect(await sourcesOf("total_usd")).toEqual(["transactions.usd"]);
    expect(await sourcesOf("last_order")).toEqual(["transactions.eventTime"]);
    expect(await sourcesOf("orders")).toEqual([]); // count(*): from no column
    await expect(page.locator('tr[data-column="orders"] td.sources').textContent()).resolves.toContain("no input column");
    await expect(page.locator('tr[data-column="total_usd"] td.sources').textContent()).resolves.not.toContain("no input column");
    await page.close();
  });

  it("works from file:// (no server): search and graph", async () => {
    const page = await browser.newPage();
    await page.goto(`file://${path.join(dir, "target", "docs", "index.html")}`);
    await page.fill("#search", "usd_by");
    await expect(page.locator('#search-results a[data-type="model"]').first().getAttribute("data-name")).resolves.toBe("usd_by_country");
    await page.goto(`file://${path.join(dir, "target", "docs", "graph.html")}`);
    await page.waitForSelector("svg#graph[data-rendered]");
    expect(await page.locator("g.node").count()).toBe(6);
    await page.close();
  });

  it("serve --watch generates again when a model is saved", async () => {
    const watching = await startServe(["-p", dir, "--watch", "-o", "target/docs-watch"]);
    try {
      await expect.poll(() => watching.output(), { timeout: 20_000 }).toContain("watching");
      const file = path.join(dir, "models", "client_stats.sql");
      writeFileSync(file, readFileSync(file, "utf8").replace("Spend per client", "Money spent per client"));
      await expect
        .poll(async () => (await fetch(`${watching.url}models/client_stats.html`)).text(), { timeout: 20_000, interval: 200 })
        .toContain("Money spent per client");
    } finally {
      expect(await watching.stop()).toBe(130);
    }
  });

  it("serve answers with content types and stops on Ctrl-C (exit 130, like bp watch)", async () => {
    const html = await fetch(serve.url);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect((await fetch(`${serve.url}assets/graph.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await fetch(`${serve.url}assets/site.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await fetch(`${serve.url}nope.html`)).status).toBe(404);
    expect(await serve.stop()).toBe(130);
  });
});
