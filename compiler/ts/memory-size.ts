/**
 * A TS model's heap size (`memory: "2GB"`) in MiB, and the default. Dependency-free, so `bp build`
 * can guess a model's heap limit before loading the compiler (cli/ts-children.ts).
 */

export const DEFAULT_MEMORY_MB = 1024;

/**
 * Parses a heap size into MiB. Units are case-insensitive; MB and MiB both mean 1024^2 bytes and
 * GB and GiB both mean 1024^3 bytes (V8's `--max-old-space-size` counts in MiB). Fractions are
 * rounded to the nearest MiB. Returns null for anything else, or for less than 1 MiB.
 */
export function parseMemoryMb(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(mb|mib|gb|gib)\s*$/i.exec(text);
  if (!m) return null;
  const mb = Math.round(Number(m[1]) * (m[2]!.toLowerCase().startsWith("g") ? 1024 : 1));
  return mb >= 1 ? mb : null;
}

/** `2048` -> `2GB`, `64` -> `64MB`: a size as a model's `memory` field (or `--memory`) spells it. */
export function formatMemory(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
}

/** `512` -> `512 MiB`, `2048` -> `2 GiB` (for messages). */
export function formatMib(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GiB` : `${mb} MiB`;
}
