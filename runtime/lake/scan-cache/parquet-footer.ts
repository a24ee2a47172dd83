/**
 * Where each column chunk of a Parquet file lives, from its footer alone (parsed by hyparquet's
 * compact-Thrift reader). A chunk's bytes are its pages (dictionary page first when there is one),
 * plus its bloom filter and page indexes when the writer stored them (readers may consult them for
 * filters, so the cache fetches them with the chunk).
 */
import { parquetMetadata } from "hyparquet";

export interface ChunkLayout {
  readonly rowGroup: number;
  /** Leaf column index within the row group. */
  readonly leaf: number;
  /** Top-level column name (first element of the leaf's path; what SQL selects). */
  readonly column: string;
  /** Byte ranges [start, end) in the file. */
  readonly ranges: readonly (readonly [number, number])[];
}

const MAGIC = 0x31524150; // "PAR1" little-endian

/** Length of the Thrift metadata, from the last 8 bytes of a file (or of a tail of it). */
export function footerLength(tail: Buffer, what: string): number {
  if (tail.length < 8 || tail.readUInt32LE(tail.length - 4) !== MAGIC) {
    throw new Error(`${what} is not a Parquet file (no PAR1 at its end)`);
  }
  return tail.readUInt32LE(tail.length - 8);
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));

/** Every column chunk of every row group. `footer` = metadata + 4-byte length + "PAR1". */
export function chunkLayout(footer: Buffer, what: string): ChunkLayout[] {
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(new Uint8Array(footer.buffer, footer.byteOffset, footer.byteLength));
  } catch (e) {
    throw new Error(`cannot read the Parquet footer of ${what}: ${(e as Error).message}`, { cause: e });
  }
  const out: ChunkLayout[] = [];
  meta.row_groups.forEach((rg, rowGroup) => {
    rg.columns.forEach((col, leaf) => {
      const md = col.meta_data;
      if (md === undefined) throw new Error(`${what}: row group ${rowGroup} column ${leaf} has no metadata (encrypted?)`);
      const data = num(md.data_page_offset)!;
      const dict = num(md.dictionary_page_offset);
      const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
      const ranges: [number, number][] = [[start, start + num(md.total_compressed_size)!]];
      const extra = (offset: unknown, length: unknown): void => {
        const o = num(offset);
        const l = num(length);
        if (o !== undefined && l !== undefined && o > 0 && l > 0) ranges.push([o, o + l]);
      };
      extra(md.bloom_filter_offset, md.bloom_filter_length);
      extra(col.offset_index_offset, col.offset_index_length);
      extra(col.column_index_offset, col.column_index_length);
      out.push({ rowGroup, leaf, column: md.path_in_schema[0] ?? "", ranges });
    });
  });
  return out;
}
