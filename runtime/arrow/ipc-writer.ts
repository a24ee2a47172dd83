/**
 * Arrow IPC *files* written batch by batch straight to a file descriptor, so a table (or a query
 * result) is never encoded into one buffer: `tableToIPC` builds a single Uint8Array, which Node 20
 * cannot make beyond 4 GiB and which doubles the memory of a large table. No DuckDB import, so the
 * TS child can use it for its output.
 *
 *   writeIpcFile(table, "/dev/shm/bp-run/out.arrow.tmp");   // bytes written
 */
import fs from "node:fs";
import { RecordBatch, RecordBatchFileWriter, type Table } from "apache-arrow";

/**
 * RecordBatchFileWriter that writes straight to a file descriptor (through a 1 MiB buffer)
 * instead of queueing the bytes in memory. Start it with `reset(undefined, schema)`, `write()`
 * batches, then `close()` (footer) and `flushPending()`.
 */
export class FdRecordBatchFileWriter extends RecordBatchFileWriter {
  private readonly fd: number;
  private pending = Buffer.allocUnsafe(1 << 20);
  private pendingBytes = 0;
  bytesWritten = 0;

  constructor(fd: number) {
    super();
    this.fd = fd;
  }

  protected override _write(chunk: ArrayBufferView): this {
    if (!this._started) return this;
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.byteLength === 0) return this;
    if (bytes.byteLength >= this.pending.length / 4) {
      this.flushPending();
      writeFully(this.fd, bytes);
    } else {
      if (this.pendingBytes + bytes.byteLength > this.pending.length) this.flushPending();
      this.pending.set(bytes, this.pendingBytes);
      this.pendingBytes += bytes.byteLength;
    }
    this._position += bytes.byteLength;
    this.bytesWritten += bytes.byteLength;
    return this;
  }

  flushPending(): void {
    if (this.pendingBytes > 0) {
      writeFully(this.fd, this.pending.subarray(0, this.pendingBytes));
      this.pendingBytes = 0;
    }
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off);
}

/**
 * Writes `table` as an Arrow IPC file at `filePath` (created or truncated), one record batch at a
 * time: memory stays at one encoded batch's metadata plus a 1 MiB buffer, whatever the table's
 * size. Returns the bytes written. Errors: an encoding error from apache-arrow as tableToIPC would
 * throw it (e.g. replacement dictionaries, which the file format cannot hold), or an fs error (with
 * `.code`); the partial file is left for the caller to remove (write to a temp name and rename).
 */
export function writeIpcFile(table: Table, filePath: string): number {
  const fd = fs.openSync(filePath, "w");
  try {
    const writer = new FdRecordBatchFileWriter(fd);
    writer.reset(undefined, table.schema); // the schema first, so an empty table is still a valid file
    for (const batch of table.batches) {
      // under the table's own schema: a batch whose schema differs (e.g. only in metadata) would
      // make the writer end the file there, silently dropping the batches after it
      writer.write(batch.schema === table.schema ? batch : new RecordBatch(table.schema, batch.data));
    }
    writer.close(); // footer
    writer.flushPending();
    return writer.bytesWritten;
  } finally {
    fs.closeSync(fd);
  }
}
