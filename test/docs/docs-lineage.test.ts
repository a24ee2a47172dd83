/**
 * Column lineage on the docs site, with a plan that has `columnLineage` (plan version 4, added
 * concurrently): the example project's plan with lineage put on its SQL models, rendered with the
 * docs modules, opened from file:// in Chromium.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { layoutGraph } from "../../cli/docs/layout.js";
import { renderSite } from "../../cli/docs/render.js";
import { buildSiteData } from "../../cli/docs/site-data.js";
import type { Plan } from "../../compiler/plan-types.js";
import { ROOT } from "../helpers/temp-project.js";
import { launchBrowser } from "./browser.js";

let out: string;
let browser: Browser;

const LINEAGE: Record<string, { column: string; from: { table: string; column: string }[] }[]> = {
  client_stats: [
    { column: "client_id", from: [{ table: "transactions", column: "client_id" }] },
    { column: "orders", from: [] },
    { column: "total_usd", from: [{ table: "transactions", column: "usd" }] },
    { column: "last_order", from: [{ table: "transactions", column: "eventTime" }] },
  ],
  segment_summary: [{ column: "avg_usd", from: [{ table: "client_segments", column: "total_usd" }] }],
};

beforeAll(async () => {
  const plan = JSON.parse(readFileSync(path.join(ROOT, "test/golden-plans/example-project.expected-plan.json"), "utf8")) as Plan;
  const withLineage = { ...plan, nodes: plan.nodes.map((n) => (n.kind === "sql" ? { ...n, columnLineage: LINEAGE[n.name] ?? null } : n)) } as Plan;
  const site = buildSiteData(withLineage, new Map(), { head: null, history: [] });
  out = path.join(mkdtempSync(path.join(os.tmpdir(), "bp-docs-lineage-")), "docs");
  renderSite(site, layoutGraph(site), out);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(path.dirname(out), { recursive: true, force: true });
});

it("a model page lists each column's source columns as links", async () => {
  const page = await browser.newPage();
  await page.goto(`file://${out}/models/client_stats.html`);
  const sources = await page.locator('tr[data-column="total_usd"] [data-source]').evaluateAll((els) => els.map((e) => [e.getAttribute("data-source"), e.getAttribute("href")]));
  expect(sources).toEqual([["transactions.usd", "../sources/transactions.html#col-usd"]]);
  expect(await page.locator('tr[data-column="orders"] [data-source]').count()).toBe(0);
  await page.locator('tr[data-column="total_usd"] [data-source="transactions.usd"]').click();
  await page.waitForURL(/sources\/transactions\.html#col-usd$/);
  await page.close();
});

it("the graph highlights a column's path upstream", async () => {
  const page = await browser.newPage();
  await page.goto(`file://${out}/graph.html?focus=${encodeURIComponent("model:segment_summary")}&hops=3&column=avg_usd`);
  await page.waitForSelector("svg#graph[data-rendered]");
  const onPath = await page.locator("g.node.on-path").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-id")}:${e.getAttribute("data-columns")}`).sort());
  // client_segments is a TS model: no lineage of its own, the path stops there
  expect(onPath).toEqual(["model:client_segments:total_usd", "model:segment_summary:avg_usd"]);
  expect(await page.locator('path.edge.on-path[data-from="model:client_segments"][data-to="model:segment_summary"]').count()).toBe(1);
  await page.goto(`file://${out}/graph.html?focus=${encodeURIComponent("model:client_stats")}&hops=1&column=total_usd`);
  await page.waitForSelector("svg#graph[data-rendered]");
  const statsPath = await page.locator("g.node.on-path").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-id")}:${e.getAttribute("data-columns")}`).sort());
  expect(statsPath).toEqual(["model:client_stats:total_usd", "scan:transactions:usd"]);
  await page.close();
});
