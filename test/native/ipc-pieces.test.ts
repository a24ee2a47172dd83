/**
 * Arrow IPC files mapped (or read) in pieces cut at message boundaries (runtime/native/ipc-file.ts),
 * so a file larger than the largest ArrayBuffer Node 20 can make (4 GiB) can still be read.
 * BP_MAP_PIECE_BYTES shrinks the pieces so small files take the same path.
 */
import { readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RecordBatchStreamWriter, tableFromIPC, type Table } from "apache-arrow";
import { nativeAddon, nativeUnavailableReason, NO_MMAP_ENV, type NativeAddon } from "../../runtime/native/index.js";
import { PIECE_BYTES_ENV, pieceBytes, readIpcTable } from "../../runtime/native/ipc-file.js";
import { writeIpcFile } from "../../runtime/arrow/ipc-writer.js";
import { Project } from "../runtime-ts-child/helpers.js";
import { buffersOf, dictionaryTable, everyTypeTable, spawnChild, tempDir, transactionsTable, transactionsUsdSum, valuesOf, writeIpc } from "./helpers.js";

const tmp = tempDir("bp-pieces-");
let addon: NativeAddon;

beforeAll(() => {
  const a = nativeAddon();
  if (a === null) throw new Error(`the native addon is unavailable (${String(nativeUnavailableReason())}); build it with \`npm run build:native\``);
  addon = a;
});
afterAll(() => tmp.dispose());
afterEach(() => {
  delete process.env[NO_MMAP_ENV];
  delete process.env[PIECE_BYTES_ENV];
});

const file = (name: string): string => path.join(tmp.dir, name);

/** The mappings (start addresses) whose path is `f` in this process. */
function mappingsOf(f: string): string[] {
  return readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .filter((l) => l.endsWith(` ${f}`))
    .map((l) => l.split("-")[0]!);
}

/** A 200k-row table in ~13 batches of 16k rows (id BIGINT, usd DOUBLE, country VARCHAR). */
function manyBatches(): Table {
  const t = transactionsTable(200_000);
  const parts: Table[] = [];
  for (let at = 0; at < t.numRows; at += 16_000) parts.push(t.slice(at, at + 16_000));
  return parts.reduce((a, b) => a.concat(b));
}

describe("mapRange", () => {
  it("maps exactly a byte range (from any offset), as a view over a page-aligned mapping", () => {
    const f = file("range.bin");
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 255);
    writeFileSync(f, bytes);
    for (const [offset, length] of [[0, 100_000], [4096, 10], [5001, 77_777], [99_999, 1], [100_000, 0]] as const) {
      const view = addon.mapRange(f, offset, length, "private");
      expect(view.length).toBe(length);
      expect(Buffer.from(view).equals(Buffer.from(bytes.subarray(offset, offset + length)))).toBe(true);
      if (length > 0) {
        expect(addon.isMapped(view)).toBe(true);
        expect((offset - view.byteOffset) % 4096).toBe(0); // the mapping starts at the page holding `offset`
        expect(view.byteOffset).toBeLessThan(65536);
        expect(addon.release(view)).toBe(true);
        expect(view.length).toBe(0);
      }
    }
    expect(() => addon.mapRange(f, 99_990, 11)).toThrow(/EINVAL: bytes \[99990, 100001\) are past the end of the file/);
    expect(() => addon.mapRange(f, -1, 1)).toThrow(/offset must be a non-negative integer/);
    expect(() => addon.mapRange(file("missing.bin"), 0, 1)).toThrow(/ENOENT/);
  });
});

describe("readIpcTable", () => {
  it("reads a file of one piece (the default piece is 1 GiB) exactly like tableFromIPC, over one mapping", () => {
    const f = file("one.arrow");
    writeIpc(f, everyTypeTable());
    expect(pieceBytes()).toBe(2 ** 30);
    const r = readIpcTable(f);
    expect(r).toMatchObject({ mode: "mmap", pieces: 1, bytes: statSync(f).size });
    expect(valuesOf(r.table)).toEqual(valuesOf(tableFromIPC(readFileSync(f))));
  });

  it.each([
    ["mapped", "0", "mmap"],
    ["read (BP_NO_MMAP=1)", "1", "read"],
  ])("cuts a larger file into pieces at record-batch boundaries, %s", (_label, noMmap, mode) => {
    const f = file(`many-${noMmap}.arrow`);
    const table = manyBatches();
    writeIpc(f, table);
    const size = statSync(f).size;
    process.env[NO_MMAP_ENV] = noMmap;
    process.env[PIECE_BYTES_ENV] = String(Math.floor(size / 4)); // ~3 batches per piece
    const r = readIpcTable(f);
    expect(r.mode).toBe(mode);
    expect(r.pieces).toBeGreaterThanOrEqual(4);
    expect(r.pieces).toBeLessThan(table.batches.length);
    expect(r.table.batches.length).toBe(table.batches.length);
    expect(valuesOf(r.table)).toEqual(valuesOf(table));
    const buffers = new Set(buffersOf(r.table).map((b) => b.buffer));
    expect(buffers.size).toBe(r.pieces); // no copies: every column buffer is a view into a piece
    if (mode === "mmap") {
      for (const b of buffers) expect(addon.isMapped(b)).toBe(true);
      expect(mappingsOf(f).length).toBe(r.pieces);
    }
  });

  it("maps a batch larger than the piece size whole (one piece per message)", () => {
    const f = file("tiny-pieces.arrow");
    const table = manyBatches();
    writeIpc(f, table);
    process.env[PIECE_BYTES_ENV] = "1";
    const r = readIpcTable(f);
    // apache-arrow writes the schema in the footer only: one piece per record batch
    expect(r).toMatchObject({ mode: "mmap", pieces: table.batches.length });
    expect(valuesOf(r.table)).toEqual(valuesOf(table));
  });

  it("reads stream-format files, and dictionary batches, in pieces too", () => {
    const table = dictionaryTable();
    const stream = file("dict.arrows");
    writeFileSync(stream, RecordBatchStreamWriter.writeAll(table).toUint8Array(true));
    const ipcFile = file("dict.arrow");
    writeIpc(ipcFile, table);
    process.env[PIECE_BYTES_ENV] = "4096";
    // a file whose messages start with the schema (as other writers than apache-arrow's make them)
    const withSchema = file("dict-with-schema.arrow");
    const fileBytes = readFileSync(ipcFile);
    const footerLength = fileBytes.readInt32LE(fileBytes.length - 10);
    const footer = fileBytes.subarray(fileBytes.length - 10 - footerLength);
    writeFileSync(withSchema, Buffer.concat([Buffer.from("ARROW1\0\0"), RecordBatchStreamWriter.writeAll(table).toUint8Array(true), footer]));
    for (const f of [stream, ipcFile, withSchema]) {
      const r = readIpcTable(f);
      expect(r.pieces).toBeGreaterThanOrEqual(2); // (schema +) dictionary, record batch
      expect(valuesOf(r.table)).toEqual(valuesOf(table));
    }
  });

  it("reads what writeIpcFile streamed (many batches, and an empty table)", () => {
    const f = file("written.arrow");
    const table = manyBatches();
    const bytes = writeIpcFile(table, f);
    expect(bytes).toBe(statSync(f).size);
    expect(valuesOf(tableFromIPC(readFileSync(f)))).toEqual(valuesOf(table));
    process.env[PIECE_BYTES_ENV] = String(Math.floor(bytes / 3));
    expect(valuesOf(readIpcTable(f).table)).toEqual(valuesOf(table));

    const empty = file("empty-table.arrow");
    writeIpcFile(table.slice(0, 0), empty);
    const back = tableFromIPC(readFileSync(empty));
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((x) => x.name)).toEqual(["id", "usd", "country"]);
  });

  it("says which file is damaged instead of reading past its end", () => {
    const f = file("damaged.arrow");
    writeIpc(f, manyBatches());
    truncateSync(f, statSync(f).size - 100); // the footer is gone
    process.env[PIECE_BYTES_ENV] = "100000";
    expect(() => readIpcTable(f)).toThrow(/damaged\.arrow is not a complete Arrow IPC file/);
    const g = file("damaged.arrows");
    writeFileSync(g, RecordBatchStreamWriter.writeAll(manyBatches()).toUint8Array(true).subarray(0, 500_000));
    expect(() => readIpcTable(g)).toThrow(/damaged\.arrows: (the Arrow IPC message|no valid Arrow IPC message) at byte \d+/);
    process.env[PIECE_BYTES_ENV] = "0";
    expect(() => readIpcTable(g)).toThrow(/BP_MAP_PIECE_BYTES must be a positive integer/);
  });
});

describe("the TS child", () => {
  let project: Project;
  beforeAll(() => {
    project = new Project();
  });
  afterAll(() => project.dispose());

  it("reads an input in pieces (BP_MAP_PIECE_BYTES) and sums it right", async () => {
    const rows = 300_000;
    const input = path.join(project.shm, "pieces.arrow");
    const t = transactionsTable(rows);
    const parts: Table[] = [];
    for (let at = 0; at < rows; at += 20_000) parts.push(t.slice(at, at + 20_000));
    const size = writeIpc(input, parts.reduce((a, b) => a.concat(b)));
    const modelFile = project.write(
      "models/sum_pieces.ts",
      `import { model, input } from "bauplan-ts";
export default model({
  inputs: { data: input("transactions") },
  run({ data }) {
    let sum = 0;
    for (const d of data.getChild("usd").data) for (const v of d.values) sum += v;
    return [{ sum, rows: data.numRows, batches: data.batches.length }];
  },
});
`,
    );
    const out = path.join(project.shm, "sum-pieces.out.arrow");
    const r = await spawnChild(
      { model: "sum_pieces", modelFile, inputs: [{ param: "data", path: input, columns: null }], outputPath: out },
      { [PIECE_BYTES_ENV]: String(Math.floor(size / 5)) },
    );
    expect(r.stderr).toBe("");
    expect(r.message).toMatchObject({ type: "result", readMode: "mmap", reads: [{ param: "data", mode: "mmap", bytes: size }] });
    const back = tableFromIPC(readFileSync(out)).toArray()[0]!.toJSON() as { sum: number; rows: number; batches: number };
    expect(back).toEqual({ sum: transactionsUsdSum(rows), rows, batches: 15 });
  });
});
