/**
 * The native addon (native/) through its wrapper (runtime/native): mapped Arrow IPC files read
 * exactly like readFileSync ones, with every column buffer a view into the mapping.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { tableFromIPC } from "apache-arrow";
import { packageRoot } from "../../compiler/package-root.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  addonPath,
  nativeAddon,
  nativeUnavailableReason,
  NO_MMAP_ENV,
  readFileBytes,
  type NativeAddon,
} from "../../runtime/native/index.js";
import { buffersOf, dictionaryTable, everyTypeTable, tempDir, transactionsTable, transactionsUsdSum, valuesOf, writeIpc } from "./helpers.js";

const tmp = tempDir("bp-native-");
let addon: NativeAddon;

beforeAll(() => {
  const a = nativeAddon();
  if (a === null) {
    throw new Error(`the native addon is unavailable (${String(nativeUnavailableReason())}); build it with \`npm run build:native\``);
  }
  addon = a;
});
afterAll(() => tmp.dispose());
afterEach(() => {
  delete process.env[NO_MMAP_ENV];
});

function file(name: string): string {
  return path.join(tmp.dir, name);
}

describe("mapFile", () => {
  it("reads every type exactly as readFileSync does, over several record batches", () => {
    const source = everyTypeTable();
    expect(source.batches.length).toBe(3);
    const f = file("every-type.arrow");
    writeIpc(f, source);

    const ab = addon.mapFile(f);
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect(ab.byteLength).toBe(statSync(f).size);
    expect(addon.isMapped(ab)).toBe(true);
    const mapped = tableFromIPC(new Uint8Array(ab));
    const read = tableFromIPC(readFileSync(f));

    expect(mapped.batches.length).toBe(3);
    expect(mapped.numRows).toBe(source.numRows);
    expect(String(mapped.schema.fields.map((x) => `${x.name}:${String(x.type)}`))).toBe(
      String(read.schema.fields.map((x) => `${x.name}:${String(x.type)}`)),
    );
    const expected = valuesOf(read);
    expect(valuesOf(mapped)).toEqual(expected);
    expect(valuesOf(source)).toEqual(expected); // and both are the table that was written
    // spot checks that the fixture really holds what it claims
    const str = mapped.getChild("str")!;
    expect(str.get(2)).toBe("caffè#2");
    expect(str.get(5)).toBe("emoji 🦀🚀 mixed#5");
    expect(str.get(3)).toBeNull();
    expect(mapped.getChild("large_str")!.get(5)).toBe("x".repeat(70_000));
    expect(mapped.getChild("i64")!.get(1)).toBe(1_000_000_007n - 9_000_000_000_000_000n);
    expect(String(mapped.getChild("dec")!.get(2))).toBe(String(2n * 12_345n - 99_999_999n));
  });

  it("hands out column buffers that are views into the mapping: nothing is copied", () => {
    for (const [name, source] of [["views.arrow", everyTypeTable()], ["dictionary.arrow", dictionaryTable()]] as const) {
      const f = file(name);
      writeIpc(f, source);
      const ab = addon.mapFile(f);
      const table = tableFromIPC(new Uint8Array(ab));
      expect(valuesOf(table)).toEqual(valuesOf(source));
      const buffers = buffersOf(table);
      expect(buffers.length).toBeGreaterThan(name === "views.arrow" ? 50 : 5);
      const copies = buffers.filter((b) => b.buffer !== ab).map((b) => `${b.column}.${b.kind}`);
      expect(copies).toEqual([]);
    }
    expect(buffersOf(tableFromIPC(new Uint8Array(addon.mapFile(file("dictionary.arrow"))))).map((b) => b.kind)).toContain(
      "dictionary.values",
    );

    const t = transactionsTable(100_000);
    const g = file("transactions.arrow");
    writeIpc(g, t);
    const mapped = readFileBytes(g);
    expect(mapped.mode).toBe("mmap");
    const tx = tableFromIPC(mapped.bytes);
    expect(tx.getChild("usd")!.data[0].values.buffer).toBe(mapped.bytes.buffer);
    expect(tx.getChild("id")!.data[0].values.buffer).toBe(mapped.bytes.buffer);
    expect(tx.getChild("country")!.data[0].valueOffsets.buffer).toBe(mapped.bytes.buffer);
    expect(tx.getChild("country")!.data[0].values.buffer).toBe(mapped.bytes.buffer);
    expect(addon.isMapped(tx.getChild("usd")!.data[0].values)).toBe(true);
    let sum = 0;
    for (const v of tx.getChild("usd")!) sum += v as number;
    expect(sum).toBe(transactionsUsdSum(100_000));
  });

  it("maps an empty file as an empty ArrayBuffer, and an IPC file of zero rows", () => {
    const f = file("empty.bin");
    writeFileSync(f, "");
    const ab = addon.mapFile(f);
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect(ab.byteLength).toBe(0);
    expect(addon.isMapped(ab)).toBe(false); // nothing to map
    expect(readFileBytes(f).bytes.byteLength).toBe(0);

    const g = file("zero-rows.arrow");
    writeIpc(g, transactionsTable(0));
    const t = tableFromIPC(new Uint8Array(addon.mapFile(g)));
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((x) => x.name)).toEqual(["id", "usd", "country"]);
  });

  it("throws clear errors with errno codes", () => {
    const missing = file("nope/missing.arrow");
    let err: NodeJS.ErrnoException | undefined;
    try {
      addon.mapFile(missing);
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toBe(`ENOENT: no such file or directory, open '${missing}'`);
    expect(err!.code).toBe("ENOENT");
    expect(err!.syscall).toBe("open");
    expect(err!.path).toBe(missing);
    expect(() => readFileBytes(missing)).toThrow(/ENOENT: no such file or directory/);

    expect(() => addon.mapFile(tmp.dir)).toThrow(/^EISDIR: .*mmap/);
    expect(() => addon.mapFile("/dev/null")).toThrow(/ENODEV: not a regular file/);
    expect(() => addon.mapFile(42 as unknown as string)).toThrow(TypeError);
    expect(() => addon.mapFile(file("empty.bin"), "rw" as never)).toThrow(/mode must be "shared" or "private"/);
  });

  it("keeps the mapping valid after the producer process exited and the file was unlinked", () => {
    const f = file("from-producer.arrow");
    // A separate process writes the IPC file with apache-arrow, then exits.
    const producer = `
      import { writeFileSync } from "node:fs";
      import { makeVector, tableToIPC, Table } from "apache-arrow";
      const usd = Float64Array.from({ length: 50000 }, (_, i) => (i % 1000) / 4);
      writeFileSync(${JSON.stringify(f)}, tableToIPC(new Table({ usd: makeVector(usd) }), "file"));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", producer], { cwd: packageRoot(), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const ab = addon.mapFile(f);
    unlinkSync(f);
    const table = tableFromIPC(new Uint8Array(ab));
    let sum = 0;
    for (const v of table.getChild("usd")!) sum += v as number;
    expect(sum).toBe(transactionsUsdSum(50_000));
    expect(table.getChild("usd")!.data[0].values.buffer).toBe(ab);
  });

  it("private (copy-on-write) mappings take writes without touching the file; shared ones are read-only", () => {
    const f = file("cow.arrow");
    writeIpc(f, transactionsTable(1000));
    const before = readFileSync(f);
    const { bytes, mode } = readFileBytes(f); // the child's default: private
    expect(mode).toBe("mmap");
    const t = tableFromIPC(bytes);
    const usd = t.getChild("usd")!;
    usd.set(3, 12345.5);
    usd.data[0].values[4] = -1;
    expect(usd.get(3)).toBe(12345.5);
    expect(usd.get(4)).toBe(-1);
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(tableFromIPC(new Uint8Array(addon.mapFile(f, "shared"))).getChild("usd")!.get(3)).toBe(0.75);

    // A write into a "shared" (PROT_READ) mapping is a SIGSEGV: documented, in a throwaway process.
    const script = `const a = require(${JSON.stringify(addonPath())}); const b = new Uint8Array(a.mapFile(${JSON.stringify(f)}, "shared")); b[0] = 1;`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(r.signal).toBe("SIGSEGV");
  });

  it("advise() accepts mapped buffers and views of them, and refuses other buffers", () => {
    const f = file("advise.arrow");
    writeIpc(f, transactionsTable(10_000));
    const ab = addon.mapFile(f);
    for (const a of ["sequential", "willneed", "random", "normal"] as const) addon.advise(ab, a);
    addon.advise(new Float64Array(ab, 8, 10), "willneed");
    expect(() => addon.advise(new ArrayBuffer(16), "willneed")).toThrow(/created by mapFile/);
    expect(() => addon.advise(ab, "dontneed" as never)).toThrow(/advice must be/);
    expect(addon.isMapped(new ArrayBuffer(16))).toBe(false);
    expect(addon.isMapped("x")).toBe(false);
  });

  it("release() detaches a mapping (views become empty) and unmaps it by the next turn of the event loop", async () => {
    const f = file("release.arrow");
    writeIpc(f, transactionsTable(10_000));
    const mappings = (): number => readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.endsWith(f)).length;
    const ab = addon.mapFile(f, "private");
    const view = new Uint8Array(ab, 8, 100);
    expect(mappings()).toBe(1);
    expect(addon.release!(new ArrayBuffer(8))).toBe(false);
    expect(addon.release!(view)).toBe(true);
    expect([ab.byteLength, view.length, view[0]]).toEqual([0, 0, undefined]);
    expect(addon.isMapped(ab)).toBe(true); // still tagged, but detached:
    expect(addon.release!(ab)).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(mappings()).toBe(0);
  });
});

describe("readFileBytes fallback", () => {
  it("reads with readFileSync when BP_NO_MMAP=1, and says so", () => {
    const f = file("fallback.arrow");
    writeIpc(f, everyTypeTable());
    process.env[NO_MMAP_ENV] = "1";
    expect(nativeAddon()).toBeNull();
    const r = readFileBytes(f);
    expect(r.mode).toBe("read");
    expect(r.reason).toBe("BP_NO_MMAP=1");
    expect(addon.isMapped(r.bytes)).toBe(false);
    const viaRead = tableFromIPC(r.bytes);
    delete process.env[NO_MMAP_ENV];
    const m = readFileBytes(f);
    expect(m.mode).toBe("mmap");
    expect(m.reason).toBeUndefined();
    expect(valuesOf(tableFromIPC(m.bytes))).toEqual(valuesOf(viaRead));
  });

  it("falls back to reading when a file cannot be mapped", () => {
    // sysfs attributes are regular files that cannot be mapped: mapping fails, reading works.
    const f = "/sys/devices/system/cpu/online";
    const r = readFileBytes(f);
    expect(r.mode).toBe("read");
    expect(r.reason).toBe(`mmap failed: ENODEV: no such device, mmap '${f}'`);
    expect(Buffer.from(r.bytes).toString()).toBe(readFileSync(f, "utf8"));
  });

  it("reports a missing build instead of throwing, and reads the file", () => {
    // The compiled wrapper in a package root that has no native/build.
    const root = path.join(tmp.dir, "no-addon-root");
    for (const rel of ["compiler/package-root.js", "runtime/native/index.js"]) {
      mkdirSync(path.dirname(path.join(root, "dist", rel)), { recursive: true });
      copyFileSync(path.join(packageRoot(), "dist", rel), path.join(root, "dist", rel));
    }
    writeFileSync(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
    const f = file("no-addon.arrow");
    writeIpc(f, transactionsTable(10));
    const script = `
      import { nativeAddon, nativeUnavailableReason, readFileBytes } from ${JSON.stringify(pathToFileURL(path.join(root, "dist/runtime/native/index.js")).href)};
      const r = readFileBytes(${JSON.stringify(f)});
      console.log(JSON.stringify({ addon: nativeAddon(), why: nativeUnavailableReason(), mode: r.mode, reason: r.reason, bytes: r.bytes.byteLength }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { addon: null; why: string; mode: string; reason: string; bytes: number };
    expect(out.addon).toBeNull();
    expect(out.why).toMatch(/^the native addon is not built \(.*no-addon-root\/native\/build\/Release\/bp_native\.node\); run `npm run build:native`$/);
    expect(out.mode).toBe("read");
    expect(out.reason).toBe(out.why);
    expect(out.bytes).toBe(statSync(f).size);
  });
});
