/** Column lineage in the example project's compiled plan: a few lineages a reader can check by eye. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { compileProject } from "../../compiler/compile-project.js";
import type { SqlNode } from "../../compiler/plan-types.js";
import { importSql, ROOT } from "../helpers/temp-project.js";

const TRANSACTIONS =
  "SELECT range::BIGINT AS id, TIMESTAMP '2023-01-01' + to_hours(range::BIGINT) AS eventTime, range * 1.5 AS usd, (['DE','US'])[range % 2 + 1] AS country, (range % 7)::BIGINT AS client_id, (['electronics','books'])[range % 2 + 1] AS category FROM range(100)";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

it("the example project's SQL models carry their column lineage through sources and TS models", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bp-lineage-example-"));
  temps.push(dir);
  cpSync(path.join(ROOT, "example-project"), dir, { recursive: true, filter: (src) => !/[/\\](\.bp|target|data)$/.test(src) });
  await importSql(dir, "transactions", TRANSACTIONS);
  const { plan, diagnostics } = await compileProject({ projectDir: dir, cache: false });
  expect(diagnostics).toEqual([]);
  const lineage = (name: string) => {
    const node = plan!.nodes.find((n): n is SqlNode => n.kind === "sql" && n.name === name)!;
    return Object.fromEntries(node.columnLineage!.map((c) => [c.column, c.from.map((f) => `${f.table}.${f.column}`)]));
  };
  // WHERE columns (category, eventTime's filter) are not value sources; MAX(eventTime) is.
  expect(lineage("client_stats")).toEqual({
    client_id: ["transactions.client_id"],
    orders: [],
    total_usd: ["transactions.usd"],
    last_order: ["transactions.eventTime"],
  });
  // Downstream of a TS model with declared columns: lineage stops at the TS model's output.
  expect(lineage("segment_summary")).toEqual({
    segment: ["client_segments.segment"],
    clients: [],
    avg_usd: ["client_segments.total_usd"],
    orders: ["client_segments.orders"],
  });
  expect(lineage("usd_by_country")).toEqual({ country: ["euro_selection.country"], usd: ["euro_selection.usd"], transactions: [] });
});
