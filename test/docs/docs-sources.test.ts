/**
 * Source pages show the whole table (the catalog's schema), each column marked read or not by the
 * project's models, with bp_project.yml's descriptions; a table no model reads still has a page and
 * is found by search. Real CLI, real browser (file://).
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";
import { launchBrowser } from "./browser.js";

const CONFIG = `name: shop
sources:
  orders:
    description: One row per order
    columns:
      note: Free text from the customer
  refunds:
    description: Refunded orders (read by no model yet)
    columns:
      Amount: Refunded amount
`;

let dir: string;
let browser: Browser;
let out: { counts: { sources: number; pages: number } };

beforeAll(async () => {
  dir = writeProject({ "bp_project.yml": CONFIG, "models/clean.sql": "SELECT id, amount FROM orders WHERE amount > 1\n" }, "docs-sources");
  await importSql(dir, "orders", "SELECT range::BIGINT AS id, range * 2.5 AS amount, 'x' AS note FROM range(10)");
  await importSql(dir, "refunds", "SELECT range::BIGINT AS order_id, range * 1.0 AS amount FROM range(3)");
  const generated = await bp(["docs", "generate", "--json", "-p", dir]);
  expect(generated.code, generated.stderr).toBe(0);
  out = JSON.parse(generated.stdout);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const site = (file: string) => `file://${path.join(dir, "target", "docs", file)}`;
const cell = (page: Page, column: string, cls: string) => page.locator(`tr[data-column="${column}"] td.${cls}`).textContent();

describe("source pages", () => {
  it("list every column of the table, read or not, with its description", async () => {
    const page = await browser.newPage();
    await page.goto(site("sources/orders.html"));
    const columns = await page.locator("table.columns tr[data-column]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-column")));
    expect(columns).toEqual(["id", "amount", "note"]);
    expect(await cell(page, "id", "scanned")).toBe("yes");
    expect(await cell(page, "amount", "scanned")).toBe("yes");
    expect(await cell(page, "note", "scanned")).toBe("no");
    expect(await cell(page, "note", "column-description")).toBe("Free text from the customer");
    expect(await page.locator("p.description").textContent()).toBe("One row per order");
    await page.close();
  });

  it("a table no model reads has a page (description, columns, rows) and is found by search", async () => {
    expect(out.counts.sources).toBe(2);
    const page = await browser.newPage();
    await page.goto(site("index.html"));
    await page.fill("#search", "refunded amount");
    const hit = page.locator('#search-results a[data-type="column"]').first();
    expect(await hit.getAttribute("data-name")).toBe("refunds.amount");
    await hit.click();
    await page.waitForURL(/sources\/refunds\.html#col-amount$/);
    expect(await page.locator("p.description").textContent()).toBe("Refunded orders (read by no model yet)");
    expect(await cell(page, "amount", "column-description")).toBe("Refunded amount");
    expect(await cell(page, "order_id", "scanned")).toBe("no");
    expect(await page.locator('[data-stat="rows"]').textContent()).toBe("3");
    expect(await page.locator("ul.downstream").count()).toBe(0);
    await page.close();
  });
});
