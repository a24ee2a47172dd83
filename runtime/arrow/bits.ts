/**
 * Bitmap helpers shared by both directions. Arrow null bitmaps and DuckDB validity masks use the
 * same bit order on little-endian machines (bit i of the mask = byte i>>3, bit i&7; set = valid),
 * so translating between them is a (possibly bit-shifted) copy.
 */

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** Number of set bits in bits [bitOffset, bitOffset + n) of `bits`. */
export function countSetBits(bits: Uint8Array, bitOffset: number, n: number): number {
  let count = 0;
  let i = bitOffset;
  const end = bitOffset + n;
  while (i < end && (i & 7) !== 0) {
    count += (bits[i >> 3]! >> (i & 7)) & 1;
    i++;
  }
  const fullEnd = end - ((end - i) & 7);
  for (let b = i >> 3, e = fullEnd >> 3; b < e; b++) count += POPCOUNT[bits[b]!]!;
  for (i = Math.max(i, fullEnd); i < end; i++) count += (bits[i >> 3]! >> (i & 7)) & 1;
  return count;
}

/** Sets bits [bitOffset, bitOffset + n) of `bits` to 1 (`value` true) or 0. */
export function fillBits(bits: Uint8Array, bitOffset: number, n: number, value: boolean): void {
  let i = bitOffset;
  const end = bitOffset + n;
  for (; i < end && (i & 7) !== 0; i++) {
    if (value) bits[i >> 3]! |= 1 << (i & 7);
    else bits[i >> 3]! &= ~(1 << (i & 7));
  }
  const fullEnd = end - ((end - i) & 7);
  if (i < fullEnd) bits.fill(value ? 0xff : 0, i >> 3, fullEnd >> 3);
  for (i = Math.max(i, fullEnd); i < end; i++) {
    if (value) bits[i >> 3]! |= 1 << (i & 7);
    else bits[i >> 3]! &= ~(1 << (i & 7));
  }
}

/**
 * Copies bits [srcBit, srcBit + n) of `src` to [dstBit, dstBit + n) of `dst`, leaving the other
 * bits of `dst` untouched. Byte copy when both offsets have the same alignment, bit loop otherwise.
 */
export function copyBits(dst: Uint8Array, dstBit: number, src: Uint8Array, srcBit: number, n: number): void {
  if (n <= 0) return;
  if (((dstBit ^ srcBit) & 7) === 0) {
    let i = 0;
    // head: up to the first byte boundary
    while (i < n && ((dstBit + i) & 7) !== 0) {
      copyBit(dst, dstBit + i, src, srcBit + i);
      i++;
    }
    const bytes = (n - i) >> 3;
    if (bytes > 0) {
      const s = (srcBit + i) >> 3;
      dst.set(src.subarray(s, s + bytes), (dstBit + i) >> 3);
      i += bytes << 3;
    }
    for (; i < n; i++) copyBit(dst, dstBit + i, src, srcBit + i);
    return;
  }
  for (let i = 0; i < n; i++) copyBit(dst, dstBit + i, src, srcBit + i);
}

function copyBit(dst: Uint8Array, d: number, src: Uint8Array, s: number): void {
  if ((src[s >> 3]! >> (s & 7)) & 1) dst[d >> 3]! |= 1 << (d & 7);
  else dst[d >> 3]! &= ~(1 << (d & 7));
}
