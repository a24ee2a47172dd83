import { describe, expect, it } from "vitest";
import { parseMemoryMb } from "../../compiler/ts/read-ts-model.js";

describe("parseMemoryMb (MB = MiB = 1024^2 bytes, GB = GiB = 1024^3 bytes)", () => {
  it.each([
    ["512MB", 512],
    ["2GB", 2048],
    ["1.5GiB", 1536],
    ["2048MiB", 2048],
    ["2gb", 2048],
    ["256 mib", 256],
    [" 1 GB ", 1024],
    [".5GB", 512],
    ["1.4MB", 1],
  ])("%j -> %d", (text, mb) => {
    expect(parseMemoryMb(text)).toBe(mb);
  });

  it.each(["", "2", "2G", "2 gigs", "2TB", "-1GB", "0MB", "0.2MB", "GB", "1e3MB", "1,5GB"])("%j is rejected", (text) => {
    expect(parseMemoryMb(text)).toBeNull();
  });
});
