/** bp build's guess of each TS model's heap limit before compiling agrees with the compiler's reading. */
import { describe, expect, it } from "vitest";
import { LIKELY_DEFAULT_MEMORY_MB, likelyMemoryMb } from "../../cli/ts-children.js";
import { DEFAULT_MEMORY_MB, parseMemoryMb } from "../../compiler/ts/settings-schema.js";

const model = (settings: string) => `import { model, input } from "bauplan-ts";
export default model({
  inputs: { t: input("orders") },
  ${settings}
  run: ({ t }) => t,
});
`;

describe("likelyMemoryMb", () => {
  it("defaults like the compiler", () => {
    expect(LIKELY_DEFAULT_MEMORY_MB).toBe(DEFAULT_MEMORY_MB);
    expect(likelyMemoryMb(model(""))).toBe(DEFAULT_MEMORY_MB);
  });

  it.each(["512MB", "2GB", "1.5GiB", "2048MiB", "64mb", " 3 gb ", ".5GB", "300MB"])("reads memory: %j as the compiler does", (text) => {
    for (const quote of ['"', "'", "`"]) {
      expect(likelyMemoryMb(model(`memory: ${quote}${text}${quote},`))).toBe(parseMemoryMb(text));
    }
  });

  it("falls back to the default when unsure (the plan decides anyway)", () => {
    expect(likelyMemoryMb(model(`// memory: "64MB" was too small\n  memory: "256MB",`))).toBe(DEFAULT_MEMORY_MB);
    expect(likelyMemoryMb(model(`memory: "lots",`))).toBe(DEFAULT_MEMORY_MB);
    expect(likelyMemoryMb(model(`memory: "0MB",`))).toBe(DEFAULT_MEMORY_MB);
  });
});
