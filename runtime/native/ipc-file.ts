/**
 * Arrow IPC files (file or stream format) of any size as apache-arrow Tables whose column buffers
 * are views into memory mappings of the file (bp's addon), else into buffers read from it.
 *
 * A single ArrayBuffer (so a single mapping) cannot exceed 4 GiB on Node 20 (Node 24: 2^53 - 1),
 * and readFileSync stops at 2 GiB. So a file larger than one *piece* (BP_MAP_PIECE_BYTES, default
 * 1 GiB) is mapped (or read) in pieces cut at message boundaries: the messages are found by
 * reading each one's small metadata (a length prefix and a flatbuffer header giving the body
 * length), consecutive messages are grouped into pieces of at most the piece size (a message
 * larger than that is a piece by itself), and the pieces, concatenated, are an IPC stream that
 * apache-arrow's stream reader decodes without copying (every message lies inside one piece).
 * A file of one piece is mapped whole, exactly as before.
 *
 *   const { table, mode, pieces } = readIpcTable("/dev/shm/bp-run/x.arrow");  // the TS child
 *   const src = mapIpcFile(file); ... src.release();                          // the parent, see arrow-to-duckdb.ts
 */
import { constants as bufferConstants } from "node:buffer";
import fs from "node:fs";
import { MessageHeader, RecordBatchReader, tableFromIPC, type Schema, type Table } from "apache-arrow";
import { Footer } from "apache-arrow/ipc/metadata/file";
import { Message } from "apache-arrow/ipc/metadata/message";
import { nativeAddon, nativeUnavailableReason, type MapMode, type ReadMode } from "./index.js";

/** Bytes per piece (a positive integer); for tests and for Nodes with other limits. */
export const PIECE_BYTES_ENV = "BP_MAP_PIECE_BYTES";
/** Default piece size: well under Node 20's 4 GiB ArrayBuffer limit and readFileSync's 2 GiB. */
export const DEFAULT_PIECE_BYTES = 2 ** 30;

/** The piece size in force (BP_MAP_PIECE_BYTES, else the default), capped at this Node's largest buffer. */
export function pieceBytes(): number {
  const raw = process.env[PIECE_BYTES_ENV];
  let bytes = DEFAULT_PIECE_BYTES;
  if (raw !== undefined && raw !== "") {
    bytes = Number(raw);
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error(`${PIECE_BYTES_ENV} must be a positive integer number of bytes (it is "${raw}")`);
  }
  return Math.min(bytes, bufferConstants.MAX_LENGTH);
}

/** A byte range of the file. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface IpcPieces {
  /** The pieces' bytes, in file order: one piece = the whole file; several = IPC messages, cut at message boundaries. */
  readonly pieces: Uint8Array[];
  /** Several pieces of a file whose messages do not start with the schema: a schema message (from the footer) to read first. */
  readonly head: Uint8Array | null;
  /** "mmap": views into mappings (copy-on-write by default); "read": buffers read from the file. */
  readonly mode: ReadMode;
  /** Why the file was read rather than mapped (absent for "mmap"). */
  readonly reason?: string;
  /** Size of the file. */
  readonly bytes: number;
  /** Unmaps the pieces now rather than at a later GC (their views become empty); nothing to do for "read". */
  release(): void;
}

export interface IpcTable {
  /** The table; its column buffers are views into the pieces. */
  readonly table: Table;
  readonly mode: ReadMode;
  readonly reason?: string;
  /** Size of the file. */
  readonly bytes: number;
  /** Mappings (or reads) the file took: 1 unless it is larger than the piece size. */
  readonly pieces: number;
}

/**
 * The Table of an Arrow IPC file (file or stream format): mapped when the addon is available
 * (default copy-on-write), else read; in pieces when larger than the piece size (see the top of
 * this file). A mapping failure falls back to reading; a missing file throws the usual fs error.
 */
export function readIpcTable(file: string, opts: { mapMode?: MapMode } = {}): IpcTable {
  const src = openIpcPieces(file, opts.mapMode ?? "private", true)!;
  const table = tableFromIPC(readerInput(src));
  return { table, mode: src.mode, bytes: src.bytes, pieces: src.pieces.length, ...(src.reason ? { reason: src.reason } : {}) };
}

/**
 * The file's pieces, mapped; null when the addon is unavailable (or BP_NO_MMAP=1), the file is
 * empty, or mapping fails: read the file some other way then. A missing file, or one that is not
 * Arrow IPC, throws. Release the pieces (`release()`) once nothing refers to them any more.
 */
export function mapIpcFile(file: string, mapMode: MapMode = "private"): IpcPieces | null {
  return openIpcPieces(file, mapMode, false);
}

/** An apache-arrow reader (opened) over the pieces. */
export function ipcReader(src: IpcPieces): RecordBatchReader {
  return RecordBatchReader.from(readerInput(src)).open();
}

/** What apache-arrow reads: the whole file (one piece), else a stream: [head,] pieces. */
function readerInput(src: IpcPieces): Uint8Array | Uint8Array[] {
  if (src.pieces.length === 1 && src.head === null) return src.pieces[0]!;
  return src.head ? [src.head, ...src.pieces] : src.pieces;
}

function openIpcPieces(file: string, mapMode: MapMode, readFallback: boolean): IpcPieces | null {
  const addon = nativeAddon();
  if (addon === null && !readFallback) return null;
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0 && !readFallback) return null;
    const { ranges, head } = planPieces(fd, size, pieceBytes(), file);
    let reason = addon === null ? (nativeUnavailableReason() ?? "no native addon") : undefined;
    if (addon !== null) {
      const mapped: Uint8Array[] = [];
      try {
        for (const r of ranges) mapped.push(addon.mapRange(file, r.offset, r.length, mapMode));
        return { pieces: mapped, head, mode: "mmap", bytes: size, release: () => mapped.forEach((p) => addon.release(p)) };
      } catch (err) {
        for (const p of mapped) addon.release(p);
        reason = `mmap failed: ${(err as Error).message}`;
      }
    }
    if (!readFallback) return null;
    return { pieces: ranges.map((r) => readRange(fd, r, file)), head, mode: "read", bytes: size, release: () => undefined, ...(reason ? { reason } : {}) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where to cut the file: [whole file] when it fits in one piece, else ranges of consecutive IPC
 * messages, each at most `limit` bytes unless one message alone is larger. File format: the
 * messages between the 8-byte magic and the end-of-stream marker (or the footer), and `head`, a
 * schema message made from the footer's schema when the messages do not start with one (apache-arrow
 * writes the schema only in the footer); stream format: from byte 0 to the end-of-stream marker (or
 * the end of the file).
 */
export function planPieces(fd: number, size: number, limit: number, file: string): { ranges: ByteRange[]; head: Uint8Array | null } {
  if (size <= limit) return { ranges: [{ offset: 0, length: size }], head: null };
  let start = 0;
  let end = size;
  let footerSchema: Schema | null = null;
  if (isMagic(readAt(fd, 0, 6))) {
    // file format: "ARROW1" + 2 bytes padding, messages, EOS, footer, int32 footer length, "ARROW1"
    const tail = readAt(fd, size - 10, 10);
    const footerLength = tail.length === 10 && isMagic(tail.subarray(4)) ? new DataView(tail.buffer, tail.byteOffset).getInt32(0, true) : -1;
    if (footerLength <= 0 || footerLength > size - 18) throw new Error(`${file} is not a complete Arrow IPC file (its footer is missing or damaged)`);
    start = 8;
    end = size - 10 - footerLength;
    try {
      footerSchema = Footer.decode(readAt(fd, end, footerLength)).schema;
    } catch (err) {
      throw new Error(`${file} is not a complete Arrow IPC file (its footer is damaged: ${(err as Error).message})`);
    }
  }
  const ranges: { offset: number; length: number }[] = [];
  let firstType: MessageHeader | null = null;
  const maxMessage = bufferConstants.MAX_LENGTH;
  for (let pos = start; pos + 4 <= end; ) {
    const prefix = readAt(fd, pos, Math.min(8, end - pos));
    const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    let metaLength = view.getInt32(0, true);
    let metaStart = pos + 4;
    if (metaLength === -1) {
      // continuation marker, then the length (the pre-0.15 format has the length alone)
      metaLength = prefix.byteLength >= 8 ? view.getInt32(4, true) : 0;
      metaStart = pos + 8;
    }
    if (metaLength === 0) break; // end-of-stream marker
    if (metaLength < 0 || metaStart + metaLength > end) throw new Error(`${file}: no valid Arrow IPC message at byte ${pos}`);
    let message: Message;
    try {
      message = Message.decode(readAt(fd, metaStart, metaLength));
    } catch (err) {
      throw new Error(`${file}: no valid Arrow IPC message at byte ${pos} (${(err as Error).message})`);
    }
    firstType ??= message.headerType;
    const length = metaStart + metaLength + message.bodyLength - pos;
    if (message.bodyLength < 0 || pos + length > end) throw new Error(`${file}: the Arrow IPC message at byte ${pos} ends past the end of the data`);
    if (length > maxMessage) {
      throw new Error(
        `${file}: the Arrow IPC message at byte ${pos} is ${length} bytes, more than the largest buffer this Node can make (${maxMessage} bytes)`,
      );
    }
    const last = ranges[ranges.length - 1];
    if (last !== undefined && pos + length - last.offset <= limit) last.length = pos + length - last.offset;
    else ranges.push({ offset: pos, length });
    pos += length;
  }
  const head = footerSchema !== null && firstType !== MessageHeader.Schema ? schemaMessage(footerSchema) : null;
  if (ranges.length === 0 && head === null) throw new Error(`${file} holds no Arrow IPC message`);
  return { ranges, head };
}

/** An encapsulated IPC schema message (continuation marker, length, flatbuffer, padding to 8 bytes). */
function schemaMessage(schema: Schema): Uint8Array {
  const meta = Message.encode(Message.from(schema));
  const out = new Uint8Array((meta.byteLength + 8 + 7) & ~7);
  const view = new DataView(out.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, out.byteLength - 8, true);
  out.set(meta, 8);
  return out;
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

function isMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/** Up to `length` bytes at `offset` (fewer only at the end of the file). */
function readAt(fd: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, length));
  let got = 0;
  while (got < out.length) {
    const n = fs.readSync(fd, out, got, out.length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return out.subarray(0, got);
}

/** A range read into a buffer of its own (readSync moves at most 2 GiB per call). */
function readRange(fd: number, r: ByteRange, file: string): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(r.length); // an ArrayBuffer of its own, not zero-filled
  const out = new Uint8Array(buf.buffer, buf.byteOffset, r.length);
  let got = 0;
  while (got < r.length) {
    const n = fs.readSync(fd, out, got, Math.min(r.length - got, 2 ** 30), r.offset + got);
    if (n === 0) throw new Error(`${file} ended while reading bytes [${r.offset}, ${r.offset + r.length}) (it shrank?)`);
    got += n;
  }
  return out;
}
