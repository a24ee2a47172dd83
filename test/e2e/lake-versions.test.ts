/**
 * Branches, tags, time travel and transactional builds through the real CLI on a real lake:
 * a query at a tag or at branch@time sees the old rows after main moved on; a build on a branch
 * leaves main untouched until merged; two builds of one branch at once never lose a commit; a source
 * pinned to a ref in a saved plan re-reads the same commit after the branch moved.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bp, importSql, writeProject } from "../helpers/temp-project.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>, name = "ver"): string {
  const dir = writeProject(files, name);
  dirs.push(dir);
  return dir;
}

async function ok(args: string[]): Promise<string> {
  const r = await bp(args);
  expect(r.code, `bp ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function queryJson(dir: string, sql: string, ref?: string): Promise<Record<string, unknown>[]> {
  return JSON.parse(await ok(["query", sql, "--json", "-p", dir, ...(ref ? ["--ref", ref] : [])])) as Record<string, unknown>[];
}

const refFile = (dir: string, branch: string) => readFileSync(path.join(dir, ".bp/lake/refs/branches", branch), "utf8");

describe("time travel", () => {
  it("a query at a tag, a commit prefix or branch@time returns the old rows after main moved on", async () => {
    const dir = project({ "models/n.sql": "SELECT 1 AS x\n" });
    await importSql(dir, "t", "SELECT 1 AS v");
    await ok(["tag", "create", "v1", "-p", dir]);
    const [first] = JSON.parse(await ok(["log", "--json", "-p", dir])) as { id: string; time: string }[];
    await new Promise((r) => setTimeout(r, 30));
    await importSql(dir, "t", "SELECT 2 AS v UNION ALL SELECT 3");
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM t")).toEqual([{ s: 5 }]);
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM t", "v1")).toEqual([{ s: 1 }]);
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM t", first!.id.slice(0, 8))).toEqual([{ s: 1 }]);
    // the first commit's own time (ms precision, UTC) and a zone-less minute before it
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM t", `main@${first!.time}`)).toEqual([{ s: 1 }]);
    const tooEarly = await bp(["query", "SELECT 1", "--ref", `main@${first!.time.slice(0, 10)}T00:00`, "-p", dir]);
    expect(tooEarly.code).toBe(1);
    expect(tooEarly.stderr).toMatch(/has no commit at or before .*T00:00:00.000Z/);
    const tables = JSON.parse(await ok(["tables", "--json", "--ref", "v1", "-p", dir])) as { commit: string; tables: { rows: number }[] };
    expect(tables.commit).toBe(first!.id);
    expect(tables.tables[0]!.rows).toBe(1);
    // a tag never moves
    const again = await bp(["tag", "create", "v1", "-p", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/tag v1 already exists/);
    expect(await ok(["tag", "list", "-p", dir])).toMatch(new RegExp(`v1\\s+${first!.id.slice(0, 12)}`));
  });
});

describe("branches", () => {
  it("a build on a branch leaves main unchanged until merged; merge fast-forwards; diff and log --table show it", async () => {
    const dir = project({ "models/doubled.sql": "-- bp: materialize = true\nSELECT v * 2 AS v FROM t\n" });
    await importSql(dir, "t", "SELECT range AS v FROM range(4)");
    const mainBefore = refFile(dir, "main");
    await ok(["branch", "create", "dev", "-p", dir]);
    await ok(["build", "--ref", "dev", "-p", dir]);
    expect(refFile(dir, "main")).toBe(mainBefore);
    // a build needs a branch: a tag is refused with the way to build on top of it
    await ok(["tag", "create", "before", "-p", dir]);
    const onTag = await bp(["build", "--ref", "before", "-p", dir]);
    expect(onTag.code).toBe(2);
    expect(onTag.stderr).toMatch(/before is a tag, not a branch[\s\S]*bp branch create NAME --from before/);
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM doubled", "dev")).toEqual([{ s: 12 }]);
    expect((await bp(["query", "SELECT * FROM doubled", "-p", dir])).code).toBe(1);
    expect(await ok(["branch", "list", "-p", dir])).toMatch(/\* main[\s\S]*dev|dev[\s\S]*\* main/);

    const diff = JSON.parse(await ok(["diff", "main", "dev", "--json", "-p", dir])) as { added: unknown[]; changed: unknown[]; removed: unknown[] };
    expect(diff).toMatchObject({ added: [{ table: "doubled", rows: 4 }], changed: [], removed: [] });
    expect(await ok(["diff", "main", "dev", "-p", dir])).toMatch(/\+\s+doubled\s+added/);

    const merged = await bp(["merge", "dev", "-p", dir]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/fast-forward main/);
    expect(refFile(dir, "main")).toBe(refFile(dir, "dev"));
    expect(await queryJson(dir, "SELECT sum(v) AS s FROM doubled")).toEqual([{ s: 12 }]);

    const logT = JSON.parse(await ok(["log", "--table", "doubled", "--json", "-p", dir])) as { message: string }[];
    expect(logT.map((c) => c.message)).toEqual(["bp build: doubled"]);
    const logAll = JSON.parse(await ok(["log", "--json", "-p", dir])) as unknown[];
    expect(logAll).toHaveLength(2);
    expect((await bp(["branch", "delete", "main", "-p", dir])).code).toBe(1);
    expect((await bp(["branch", "delete", "nope", "-p", dir])).stderr).toMatch(/unknown ref "nope": no branch of that name/);
    await ok(["branch", "delete", "dev", "-p", dir]);
  });

  it("merge: three-way at table granularity, and a conflict naming the table", async () => {
    const dir = project({ "models/m.sql": "SELECT 1 AS x\n" });
    await importSql(dir, "a", "SELECT 1 AS v");
    await importSql(dir, "b", "SELECT 1 AS v");
    await ok(["branch", "create", "dev", "-p", dir]);
    await ok(["branch", "create", "dev2", "-p", dir]);
    await importSql(dir, "a", "SELECT 10 AS v", ["--branch", "dev"]);
    await importSql(dir, "b", "SELECT 20 AS v");
    const r = await bp(["merge", "dev", "--json", "-p", dir]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { kind: string; commit: string };
    expect(m.kind).toBe("merge");
    expect(await queryJson(dir, "SELECT (SELECT v FROM a) AS a, (SELECT v FROM b) AS b")).toEqual([{ a: 10, b: 20 }]);
    const [head] = JSON.parse(await ok(["log", "--json", "-n", "1", "-p", dir])) as { parents: string[] }[];
    expect(head!.parents).toHaveLength(2);

    await importSql(dir, "b", "SELECT 30 AS v", ["--branch", "dev2"]);
    const conflict = await bp(["merge", "dev2", "-p", dir]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/cannot merge dev2 into main: both sides changed table b since their merge base; nothing was committed/);
    expect((await bp(["merge", "ghost", "-p", dir])).code).toBe(1);
    expect((await bp(["merge", "dev", "--into", "bad/name", "-p", dir])).code).toBe(2);
  });
});

describe("transactional builds", () => {
  const slowModel = (name: string, ms: number) => `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("nums") },
  materialize: true,
  async run({ t }) { await new Promise((r) => setTimeout(r, ${ms})); console.log("${name} done"); return t; },
});
`;

  it("two builds of one branch at once writing different tables: both land, none lost (the loser is rebased)", async () => {
    const lake = path.join(project({}, "shared-lake"), "lake");
    const a = project({ "bp_project.yml": `name: a\nlake: ${lake}\n`, "models/out_a.ts": slowModel("a", 1200) }, "txa");
    const b = project({ "bp_project.yml": `name: b\nlake: ${lake}\n`, "models/out_b.ts": slowModel("b", 1200) }, "txb");
    await importSql(a, "nums", "SELECT range AS n FROM range(5)");
    const [ra, rb] = await Promise.all([bp(["build", "-p", a]), bp(["build", "-p", b])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(`${ra.stdout}${rb.stdout}`).toMatch(/rebased onto/);
    const tables = JSON.parse(await ok(["tables", "--json", "-p", a])) as { tables: { name: string }[] };
    expect(tables.tables.map((t) => t.name).sort()).toEqual(["nums", "out_a", "out_b"]);
    const log = JSON.parse(await ok(["log", "--json", "-p", a])) as { message: string }[];
    expect(log.map((c) => c.message).sort()).toEqual(["bp build: out_a", "bp build: out_b", "import nums"]);
    // no run branch left behind
    expect((JSON.parse(await ok(["branch", "list", "--json", "-p", a])) as { branches: { name: string }[] }).branches.map((x) => x.name)).toEqual(["main"]);
  });

  it("a build whose source changed on the target meanwhile is refused (branch moved, re-run) and keeps its branch", async () => {
    const dir = project({ "models/out.ts": slowModel("out", 4000) }, "txc");
    await importSql(dir, "nums", "SELECT range AS n FROM range(5)");
    const build = bp(["build", "-p", dir]);
    await new Promise((r) => setTimeout(r, 1000));
    await importSql(dir, "nums", "SELECT range AS n FROM range(7)");
    const after = refFile(dir, "main");
    const r = await build;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/branch main moved to \w+ after this build's plan was made, changing nums, which the build read or wrote; re-run/);
    expect(r.stderr).toMatch(/the run's tables are on branch _bp_run_/);
    expect(refFile(dir, "main")).toBe(after);
  });

  it("a saved plan whose source changed since it was compiled commits nothing (no results of stale data)", async () => {
    const dir = project({ "models/cnt.sql": "-- bp: materialize = true\nSELECT count(*) AS n FROM nums\n" }, "txd");
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)");
    await ok(["compile", "-p", dir]);
    await importSql(dir, "nums", "SELECT range AS n FROM range(1)");
    const before = refFile(dir, "main");
    const r = await bp(["build", "-p", dir, "--plan", path.join(dir, "target", "plan.json")]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/branch main moved to \w+ after this build's plan was made, changing nums, which the build read or wrote; re-run/);
    expect(refFile(dir, "main")).toBe(before);
    // compiled afresh, the build reads today's nums
    expect((await bp(["build", "-p", dir])).code).toBe(0);
    expect(JSON.parse(await ok(["query", "SELECT n FROM cnt", "--json", "-p", dir]))).toEqual([{ n: 1 }]);
  });
});

describe("per-input refs", () => {
  it("a source pinned to a ref is read at the commit the saved plan recorded, even after the ref moved", async () => {
    const dir = project({
      "models/pinned_sum.sql": "-- bp: materialize = true\n-- bp: ref nums = feed\nSELECT sum(n) AS s FROM nums\n",
      "models/pinned_ts.ts": `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("nums", { ref: "feed" }) },
  materialize: true,
  run({ t }) { return [{ rows: t.numRows }]; },
});
`,
    });
    await importSql(dir, "nums", "SELECT range AS n FROM range(4)"); // main: 0+1+2+3 = 6
    await ok(["branch", "create", "feed", "-p", dir]);
    await importSql(dir, "nums", "SELECT range AS n FROM range(10)"); // main moves on: 45
    await ok(["compile", "-p", dir]);
    const plan = JSON.parse(readFileSync(path.join(dir, "target/plan.json"), "utf8")) as { nodes: { kind: string; ref?: string | null; commit?: string }[] };
    const scan = plan.nodes.find((n) => n.kind === "scan")!;
    const feedHead = refFile(dir, "feed").trim();
    expect(scan.ref).toBe("feed");
    expect(scan.commit).toBe(feedHead);

    await importSql(dir, "nums", "SELECT range AS n FROM range(100)", ["--branch", "feed"]); // the ref moves
    await ok(["build", "--plan", path.join(dir, "target/plan.json"), "-p", dir]);
    expect(await queryJson(dir, "SELECT s::INTEGER AS s FROM pinned_sum")).toEqual([{ s: 6 }]);
    expect(await queryJson(dir, "SELECT \"rows\"::INTEGER AS \"rows\" FROM pinned_ts")).toEqual([{ rows: 4 }]);

    await ok(["build", "-p", dir]); // recompiled: the ref's new head
    expect(await queryJson(dir, "SELECT s::INTEGER AS s FROM pinned_sum")).toEqual([{ s: 4950 }]);
  });

  it("two models reading one source at different versions is BP0109", async () => {
    const dir = project({
      "models/old.sql": "-- bp: ref nums = v1\nSELECT count(*) AS c FROM nums\n",
      "models/cur.sql": "SELECT count(*) AS c FROM nums\n",
    });
    await importSql(dir, "nums", "SELECT 1 AS n");
    await ok(["tag", "create", "v1", "-p", dir]);
    await importSql(dir, "nums", "SELECT 2 AS n");
    const r = await bp(["compile", "-p", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/models\/old\.sql:1:19 error BP0109 source "nums" is read at different versions: ref v1 in models\/old\.sql and the build's branch in models\/cur\.sql/);
    writeFileSync(path.join(dir, "models/cur.sql"), "-- bp: ref nums = v1\nSELECT count(*) AS c FROM nums\n");
    await ok(["build", "-p", dir]);
  });
});
