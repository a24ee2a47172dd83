/**
 * TS model children read their inputs through mmap: the child reports readMode, the input file is
 * mapped in the child, and several children reading one file share its pages (PSS, smaps).
 */
import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nativeAddon, nativeUnavailableReason, NO_MMAP_ENV } from "../../runtime/native/index.js";
import { Project, readOutput } from "../runtime-ts-child/helpers.js";
import { mappingOf, parseRollup, spawnChild, transactionsTable, transactionsUsdSum, writeIpc, type MemFields } from "./helpers.js";

const ROWS = 1_000_000;
let project: Project;
let bigInput: string;
let bigKb: number;

beforeAll(() => {
  if (nativeAddon() === null) throw new Error(`the native addon is unavailable (${String(nativeUnavailableReason())})`);
  project = new Project();
  bigInput = path.join(project.shm, "transactions-1m.arrow");
  writeIpc(bigInput, transactionsTable(ROWS));
  bigKb = statSync(bigInput).size / 1024;
});
afterAll(() => project.dispose());
afterEach(() => {
  delete process.env[NO_MMAP_ENV];
});

const SUM_MODEL = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    let sum = 0;
    for (const d of data.getChild("usd").data) for (const v of d.values) sum += v;
    return [{ sum, rows: data.numRows }];
  },
});
`;

describe("the TS child reads inputs through mmap", () => {
  it("reports readMode mmap (and read with BP_NO_MMAP=1) in its result message", async () => {
    const modelFile = project.write("models/sum.ts", SUM_MODEL);
    const small = path.join(project.shm, "small.arrow");
    const size = writeIpc(small, transactionsTable(5000));
    const job = (out: string) => ({
      model: "sum",
      modelFile,
      inputs: [{ param: "data", path: small, columns: ["usd", "id"] }],
      outputPath: path.join(project.shm, out),
    });

    const mapped = await spawnChild(job("sum-mmap.arrow"));
    expect(mapped.stderr).toBe("");
    expect(mapped.code).toBe(0);
    expect(mapped.message).toMatchObject({
      type: "result",
      rows: 1,
      readMode: "mmap",
      reads: [{ param: "data", mode: "mmap", bytes: size }],
    });
    const reads = (mapped.message as { reads: { ms: number; reason?: string }[] }).reads;
    expect(reads[0].ms).toBeGreaterThan(0);
    expect(reads[0].reason).toBeUndefined();

    const read = await spawnChild(job("sum-read.arrow"), { [NO_MMAP_ENV]: "1" });
    expect(read.code).toBe(0);
    expect(read.message).toMatchObject({
      type: "result",
      readMode: "read",
      reads: [{ param: "data", mode: "read", bytes: size, reason: "BP_NO_MMAP=1" }],
    });

    const a = readOutput(path.join(project.shm, "sum-mmap.arrow")).toArray()[0].toJSON();
    const b = readOutput(path.join(project.shm, "sum-read.arrow")).toArray()[0].toJSON();
    expect(a).toEqual(b);
    expect(a.sum).toBe(transactionsUsdSum(5000));
  });

  it("a model run by runTsModel gets a Table over the mapped file", async () => {
    const source = `
import { readFileSync } from "node:fs";
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    const maps = readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.endsWith(${JSON.stringify(bigInput)}));
    const buffer = data.getChild("usd").data[0].values.buffer;
    const sameBuffer = ["id", "country"].every((c) => data.getChild(c).data.every((d) => d.values.buffer === buffer));
    let sum = 0;
    for (const d of data.getChild("usd").data) for (const v of d.values) sum += v;
    console.log("CHECK " + JSON.stringify({ maps: maps.map((l) => l.split(/\\s+/)[1]), bufferBytes: buffer.byteLength, sameBuffer }));
    return [{ sum, rows: data.numRows }];
  },
});
`;
    const r = await project.run("mapped", source, { inputs: [{ param: "data", path: bigInput, columns: null }] });
    expect(r.stderr).toEqual([]);
    expect(r.result.ok).toBe(true);
    const check = JSON.parse(r.stdout.find((l) => l.startsWith("CHECK "))!.slice(6)) as {
      maps: string[];
      bufferBytes: number;
      sameBuffer: boolean;
    };
    expect(check.maps).toEqual(["rw-p"]); // one copy-on-write (MAP_PRIVATE) mapping of the input file
    expect(check.bufferBytes).toBe(statSync(bigInput).size); // the columns' buffer is the whole file
    expect(check.sameBuffer).toBe(true);
    const out = readOutput(r.outputPath).toArray()[0].toJSON();
    expect(out).toEqual({ sum: transactionsUsdSum(ROWS), rows: ROWS });
  });

  it("a model that writes into its input's column changes only its own copy (copy-on-write)", async () => {
    const source = `
import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    const usd = data.getChild("usd");
    for (let i = 0; i < 10; i++) usd.set(i, 1000);
    return [{ first: usd.get(0) }];
  },
});
`;
    const small = path.join(project.shm, "cow-input.arrow");
    writeIpc(small, transactionsTable(100));
    const before = readOutput(small).getChild("usd")!.get(0);
    const r = await project.run("cow", source, { inputs: [{ param: "data", path: small, columns: null }] });
    expect(r.result.ok).toBe(true);
    expect(readOutput(r.outputPath).getChild("first")!.get(0)).toBe(1000);
    expect(readOutput(small).getChild("usd")!.get(0)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Memory: N children reading the same file at once

interface ChildMem {
  pid: number;
  rollup: MemFields;
  /** The input file's mapping(s) in this child (kB). */
  vma: MemFields & { mappings: number };
}

/** A model that touches every page of its input, waits for all N siblings, then reports its memory. */
function memoryModel(barrier: string, n: number, file: string): string {
  return `
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { model, input } from "bauplan-ts";
const BARRIER = ${JSON.stringify(barrier)};
function waitFor(suffix: string, n: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (readdirSync(BARRIER).filter((f) => f.endsWith(suffix)).length >= n) resolve();
      else if (Date.now() - t0 > 60_000) reject(new Error("barrier timeout on " + suffix));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
export default model({
  inputs: { data: input("transactions") },
  async run({ data }) {
    let sum = 0;
    for (const d of data.getChild("usd").data) for (const v of d.values) sum += v;
    // touch every page of the table (all columns live in one buffer: the file)
    const all = new Uint8Array(data.getChild("usd").data[0].values.buffer);
    let x = 0;
    for (let i = 0; i < all.length; i += 4096) x += all[i];
    writeFileSync(BARRIER + "/" + process.pid + ".ready", "");
    await waitFor(".ready", ${n});
    const rollup = readFileSync("/proc/self/smaps_rollup", "utf8");
    const vma: string[] = [];
    let inside = false;
    for (const line of readFileSync("/proc/self/smaps", "utf8").split("\\n")) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.endsWith(${JSON.stringify(file)});
      if (inside) vma.push(line);
    }
    console.log("MEM " + JSON.stringify({ pid: process.pid, rollup, vma: vma.join("\\n") }));
    writeFileSync(BARRIER + "/" + process.pid + ".measured", "");
    await waitFor(".measured", ${n});
    return [{ sum, x }];
  },
});
`;
}

async function runChildren(label: string, n: number, env: Record<string, string> = {}): Promise<ChildMem[]> {
  const barrier = path.join(project.dir, `barrier-${label}`);
  mkdirSync(barrier, { recursive: true });
  Object.assign(process.env, env);
  try {
    const runs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        project.run(`${label}_${i}`, memoryModel(barrier, n, bigInput), {
          inputs: [{ param: "data", path: bigInput, columns: null }],
          memoryMb: 1024,
        }),
      ),
    );
    return runs.map((r) => {
      expect(r.result.ok, JSON.stringify(r.result)).toBe(true);
      expect(readOutput(r.outputPath).getChild("sum")!.get(0)).toBe(transactionsUsdSum(ROWS));
      const raw = JSON.parse(r.stdout.find((l) => l.startsWith("MEM "))!.slice(4)) as { pid: number; rollup: string; vma: string };
      return { pid: raw.pid, rollup: parseRollup(raw.rollup), vma: mappingOf(raw.vma, bigInput) };
    });
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

const sum = (xs: ChildMem[], f: (c: ChildMem) => number) => xs.reduce((s, c) => s + f(c), 0);
/** Pages of the input mapping also mapped by another process (tmpfs pages count as dirty). */
const shared = (c: ChildMem) => (c.vma.Shared_Clean ?? 0) + (c.vma.Shared_Dirty ?? 0);
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;

describe("children reading one file share its pages", () => {
  it("three children at once hold the table once (PSS), with no private copy", async () => {
    const one = await runChildren("one", 1);
    const three = await runChildren("three", 3);
    const control = await runChildren("read", 1, { [NO_MMAP_ENV]: "1" });

    const report = (label: string, cs: ChildMem[]) =>
      `${label}: Rss ${mb(sum(cs, (c) => c.rollup.Rss))}, Pss ${mb(sum(cs, (c) => c.rollup.Pss))}, ` +
      `Anonymous ${mb(sum(cs, (c) => c.rollup.Anonymous))}; input mapping Rss ${mb(sum(cs, (c) => c.vma.Rss ?? 0))}, ` +
      `Pss ${mb(sum(cs, (c) => c.vma.Pss ?? 0))}, Shared ${mb(sum(cs, shared))}, ` +
      `Private ${mb(sum(cs, (c) => (c.vma.Private_Clean ?? 0) + (c.vma.Private_Dirty ?? 0)))}`;
    console.log(
      [`input file ${mb(bigKb)} (${ROWS} rows)`, report("1 child  (mmap)", one), report("3 children (mmap)", three), report("1 child  (read)", control)].join(
        "\n",
      ),
    );

    // Each child maps the file and has touched all of it.
    for (const c of [...one, ...three]) {
      expect(c.vma.mappings).toBe(1);
      expect(c.vma.Rss).toBeGreaterThan(0.95 * bigKb);
    }
    // Three at once: every page is shared, none private; their PSS of the file adds up to ONE copy.
    // (Shared_Dirty for a file in /dev/shm: tmpfs pages have no backing store; Shared_Clean elsewhere.)
    const privateKb = sum(three, (c) => (c.vma.Private_Clean ?? 0) + (c.vma.Private_Dirty ?? 0));
    expect(privateKb).toBeLessThan(0.05 * bigKb);
    for (const c of three) expect(shared(c)).toBeGreaterThan(0.95 * bigKb);
    const pssKb = sum(three, (c) => c.vma.Pss ?? 0);
    expect(pssKb).toBeGreaterThan(0.9 * bigKb);
    expect(pssKb).toBeLessThan(1.1 * bigKb);
    // Nothing of the table was copied into anonymous memory: the read-mode child holds a copy the
    // mmap child does not (its Anonymous is larger by about the file size; half of it is asserted,
    // as the rest of a process's anonymous memory varies by a few MiB from run to run).
    expect(control[0].vma.mappings).toBe(0);
    expect(control[0].rollup.Anonymous - one[0].rollup.Anonymous).toBeGreaterThan(0.5 * bigKb);
    // Whole processes: two more children cost two process baselines, not two more tables.
    const baselineKb = one[0].rollup.Pss - (one[0].vma.Pss ?? 0);
    const threePss = sum(three, (c) => c.rollup.Pss);
    expect(threePss).toBeLessThan(3 * baselineKb + 1.1 * bigKb + 3 * 10 * 1024); // +10 MiB slack per child
  });
});
