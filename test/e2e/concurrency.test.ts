/** Independent nodes run at once (up to --threads); dependent ones wait for their inputs. */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";

const sleepy = (name: string) => `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("nums") },
  async run({ t }) {
    console.log("begin ${name}");
    await new Promise((r) => setTimeout(r, 800));
    console.log("end ${name}");
    return t;
  },
});
`;

let dir: string;
beforeAll(async () => {
  dir = writeProject({ "models/a.ts": sleepy("a"), "models/b.ts": sleepy("b"), "models/both.sql": "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) AS n\n" }, "conc");
  await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function order(stdout: string): string[] {
  return [...stdout.matchAll(/\[(?:a|b)\] (begin|end) (a|b)|start (both) \(sql\)/g)].map((m) => (m[3] ? "start both" : `${m[1]} ${m[2]}`));
}

it("with --threads 2, two independent TS models overlap; their dependent starts after both", async () => {
  const r = await bp(["build", "-p", dir, "--threads", "2"]);
  expect(r.code, r.stderr).toBe(0);
  const events = order(r.stdout);
  expect(events.slice(0, 2).sort()).toEqual(["begin a", "begin b"]);
  expect(events.indexOf("start both")).toBe(4);
});

it("with --threads 1, they run one after the other", async () => {
  const r = await bp(["build", "-p", dir, "--threads", "1", "--no-cache"]);
  expect(r.code, r.stderr).toBe(0);
  expect(order(r.stdout)).toEqual(["begin a", "end a", "begin b", "end b", "start both"]);
});

it("two builds of one branch at once: one commits, the other says the branch moved and commits nothing", async () => {
  const d = writeProject(
    {
      "models/slow.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("nums") },
  materialize: true,
  async run({ t }) { await new Promise((r) => setTimeout(r, 1500)); return t; },
});
`,
    },
    "race",
  );
  try {
    await importSql(d, "nums", "SELECT range AS n FROM range(10)");
    const [a, b] = await Promise.all([bp(["build", "-p", d]), bp(["build", "-p", d])]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).toMatch(/commit failed: .*moved/);
    expect(loser.stderr).toMatch(/nothing was committed to main/);
    expect(loser.stdout).not.toMatch(/\[\d+\/\d+\].*\[(\d+)\/\1\]/); // no progress past the total
    const log = JSON.parse((await bp(["tables", "--json", "-p", d])).stdout) as { tables: { name: string }[] };
    expect(log.tables.map((t) => t.name).sort()).toEqual(["nums", "slow"]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
