/**
 * The lineage graph without a mouse, in Chromium, on the example project's site (made by the real
 * `bp docs generate`). Its graph: transactions -> client_stats -> client_segments -> segment_summary
 * and transactions -> euro_selection -> usd_by_country. Every step asserts where the keyboard focus
 * went, so a key the page ignores fails the test (nodes are <g> elements: nothing moves or opens
 * without the graph's own handlers).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "../../cli/docs/static-server.js";
import { bp, importSql, ROOT } from "../helpers/temp-project.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

const TRANSACTIONS =
  "SELECT range::BIGINT AS id, TIMESTAMP '2023-01-01' + to_hours(range::BIGINT) AS eventTime, range * 1.5 AS usd, (['DE','US'])[range % 2 + 1] AS country, (range % 7)::BIGINT AS client_id, (['electronics','books'])[range % 2 + 1] AS category FROM range(100)";

let dir: string;
let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "bp-docs-keys-"));
  cpSync(path.join(ROOT, "example-project"), dir, { recursive: true, filter: (src) => !/[/\\](\.bp|target|data)$/.test(src) });
  await importSql(dir, "transactions", TRANSACTIONS);
  const gen = await bp(["docs", "generate", "-p", dir]);
  expect(gen.code, gen.stderr + gen.stdout).toBe(0);
  [browser, { server, url }] = await Promise.all([launchBrowser(), serveStatic(path.join(dir, "target", "docs"), 0)]);
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** The data-id of the node that has the keyboard focus (null: none). */
const focused = (page: Page) => page.evaluate(() => document.activeElement?.closest("g.node")?.getAttribute("data-id") ?? null);
const scale = (page: Page) => page.evaluate(() => Number(/scale\(([^)]+)\)/.exec(document.getElementById("viewport")!.getAttribute("transform")!)![1]));
const nodeY = (page: Page, id: string) => page.locator(`g.node[data-id="${id}"]`).evaluate((e) => e.getBoundingClientRect().y);

async function openGraph(query = ""): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  await page.goto(`${url}graph.html${query}`);
  await page.waitForSelector("svg#graph[data-rendered]");
  return page;
}

/** Tab from the control just before the graph: the one node in the Tab order takes the focus. */
async function tabIntoGraph(page: Page): Promise<void> {
  await page.focus("#show-all");
  await page.keyboard.press("Tab");
}

describe("the lineage graph from the keyboard", () => {
  it("nodes are links named by name and kind; one is in the Tab order; the keys are shown", async () => {
    const page = await openGraph();
    const stats = page.locator('g.node[data-id="model:client_stats"]');
    expect(await stats.getAttribute("role")).toBe("link");
    expect(await stats.getAttribute("aria-label")).toBe("client_stats, SQL model, 1 upstream, 1 downstream");
    expect(await page.locator('g.node[data-id="scan:transactions"]').getAttribute("aria-label")).toMatch(/^transactions, source, /);
    expect(await page.locator('g.node[tabindex="0"]').count()).toBe(1);
    expect(await page.locator("#graph-keys").textContent()).toMatch(/Enter.*open.*f.*focus/);
    await page.close();
  });

  it("Tab, arrows along the edges and a column, Enter opens the node's page", async () => {
    const page = await openGraph();
    await tabIntoGraph(page);
    expect(await focused(page)).toBe("scan:transactions"); // the top-left node
    await page.keyboard.press("ArrowLeft"); // a source has nothing upstream: stays
    expect(await focused(page)).toBe("scan:transactions");

    await page.keyboard.press("ArrowRight");
    const first = await focused(page);
    expect(["model:client_stats", "model:euro_selection"]).toContain(first);
    // client_stats and euro_selection share a column: Up / Down go from one to the other
    const other = first === "model:client_stats" ? "model:euro_selection" : "model:client_stats";
    const down = (await nodeY(page, other)) > (await nodeY(page, first!)) ? "ArrowDown" : "ArrowUp";
    const up = down === "ArrowDown" ? "ArrowUp" : "ArrowDown";
    await page.keyboard.press(up); // nothing beyond the column's end
    expect(await focused(page)).toBe(first);
    await page.keyboard.press(down);
    expect(await focused(page)).toBe(other);
    await page.keyboard.press(up);
    expect(await focused(page)).toBe(first);
    if (first !== "model:client_stats") await page.keyboard.press(down);
    expect(await focused(page)).toBe("model:client_stats");

    await page.keyboard.press("ArrowRight");
    expect(await focused(page)).toBe("model:client_segments");
    await page.keyboard.press("ArrowRight");
    expect(await focused(page)).toBe("model:segment_summary");
    await page.keyboard.press("ArrowLeft");
    expect(await focused(page)).toBe("model:client_segments");
    await page.keyboard.press("ArrowLeft");
    expect(await focused(page)).toBe("model:client_stats");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    expect(await focused(page)).toBe("model:segment_summary");

    // the focus ring: the keyboard-focused node's box is drawn differently from the others
    const stroke = (id: string) => page.locator(`g.node[data-id="${id}"] rect`).evaluate((e) => getComputedStyle(e).strokeWidth);
    expect(await stroke("model:segment_summary")).toBe("3px");
    expect(await stroke("model:usd_by_country")).not.toBe("3px");
    await page.screenshot({ path: path.join(ARTIFACTS, "docs-graph-keyboard.png") });

    await page.keyboard.press("Enter");
    await page.waitForURL(/models\/segment_summary\.html$/);
    expect(await page.locator("h1").textContent()).toContain("segment_summary");
    await page.close();
  });

  it("a focused graph puts its focus in the Tab order; f focuses on the node; Back returns", async () => {
    const page = await openGraph(`?focus=${encodeURIComponent("model:client_stats")}&hops=1`);
    await tabIntoGraph(page);
    expect(await focused(page)).toBe("model:client_stats");
    await page.keyboard.press("ArrowRight");
    expect(await focused(page)).toBe("model:client_segments");
    await page.keyboard.press("ArrowRight"); // segment_summary is 2 hops away: not drawn
    expect(await focused(page)).toBe("model:client_segments");

    await page.keyboard.press("f");
    await page.waitForSelector('svg#graph[data-rendered="2"]');
    expect(new URL(page.url()).searchParams.get("focus")).toBe("model:client_segments");
    const ids = await page.locator("g.node").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")).sort());
    expect(ids).toEqual(["model:client_segments", "model:client_stats", "model:segment_summary"]);
    expect(await focused(page)).toBe("model:client_segments"); // the keyboard focus stays on it
    await page.keyboard.press("ArrowRight");
    expect(await focused(page)).toBe("model:segment_summary");

    await page.goBack();
    await page.waitForSelector('svg#graph[data-rendered="3"]');
    expect(new URL(page.url()).searchParams.get("focus")).toBe("model:client_stats");
    expect(await page.locator("g.node").count()).toBe(3);
    await page.close();
  });

  it("+ and - zoom around the node, 0 fits again, the view pans to keep the focused node visible", async () => {
    const page = await openGraph();
    const fitted = await scale(page);
    await tabIntoGraph(page);
    await page.keyboard.press("+");
    const zoomed = await scale(page);
    expect(zoomed).toBeCloseTo(fitted * 1.25, 5);
    await page.keyboard.press("-");
    await page.keyboard.press("-");
    expect(await scale(page)).toBeCloseTo(fitted / 1.25, 5);
    for (let i = 0; i < 8; i++) await page.keyboard.press("+");
    expect(await scale(page)).toBeCloseTo(Math.min(8, fitted * 1.25 ** 7), 5); // zoom stops at 8

    const svgBox = (await page.locator("svg#graph").boundingBox())!;
    const inside = async () => {
      const box = await page.evaluate(() => {
        const r = document.activeElement!.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      });
      return box.x >= svgBox.x && box.y >= svgBox.y && box.x + box.width <= svgBox.x + svgBox.width && box.y + box.height <= svgBox.y + svgBox.height;
    };
    const views = new Set<string | null>();
    for (const key of ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft", "ArrowLeft"]) {
      await page.keyboard.press(key);
      expect(await inside(), `after ${key} the focused node ${await focused(page)} is on screen`).toBe(true);
      views.add(await page.locator("#viewport").getAttribute("transform"));
    }
    expect(await focused(page)).toBe("scan:transactions");
    expect(views.size).toBeGreaterThan(2); // it panned along
    await page.keyboard.press("0");
    expect(await scale(page)).toBeCloseTo(fitted, 5);
    await page.close();
  });
});
