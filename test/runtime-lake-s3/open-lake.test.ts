import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseProjectConfig } from "../../compiler/project-config.js";
import { LocalLakeStorage } from "../../runtime/lake/local-storage.js";
import { openLakeStorage, parseSize } from "../../runtime/lake/open-lake.js";
import { S3LakeStorage } from "../../runtime/lake/s3-storage.js";

describe("lake settings in bp_project.yml", () => {
  it("accepts an s3:// lake with its s3 block and opens the S3 backend", () => {
    const { config, diagnostics } = parseProjectConfig(
      "name: p\nlake: s3://my-bucket/lakes/p\ns3:\n  endpoint: http://127.0.0.1:4568\n  region: us-east-1\n  force_path_style: true\n  conditional_writes: host-lock\n  cache_dir: .bp/scan-cache\n  cache_max_size: 2GiB\n",
    );
    expect(diagnostics).toEqual([]);
    const storage = openLakeStorage(config!, "/proj");
    expect(storage).toBeInstanceOf(S3LakeStorage);
    const s3 = storage as S3LakeStorage;
    expect([s3.root, s3.bucket, s3.prefix, s3.endpoint]).toEqual(["s3://my-bucket/lakes/p", "my-bucket", "lakes/p", "http://127.0.0.1:4568"]);
    expect(s3.scanCache.dir).toBe(path.resolve("/proj/.bp/scan-cache"));
    expect(s3.scanCache.maxBytes).toBe(2 * 1024 ** 3);
    s3.destroy();
    expect(openLakeStorage({ lake: ".bp/lake" }, "/proj")).toBeInstanceOf(LocalLakeStorage);
  });

  it("reports bad S3 settings at their line and column", () => {
    const { config, diagnostics } = parseProjectConfig(
      "name: p\nlake: s3://Bad_Bucket/x\ns3:\n  endpont: http://x\n  region: us-east-1\n  cache_max_size: lots\n",
    );
    expect(config).toBeNull();
    const lines = diagnostics.map((d) => `${d.line}: ${d.message}`);
    expect(lines.join("\n")).toMatch(/2: lake: an S3 lake is s3:\/\/bucket\/prefix/);
    expect(lines.join("\n")).toMatch(/4: unknown setting "endpont" \(did you mean "endpoint"\?\)/);
    expect(lines.join("\n")).toMatch(/6: s3\.cache_max_size: cache_max_size is a size such as 10GB/);
  });

  it("parses sizes", () => {
    expect(parseSize("10GB")).toBe(10e9);
    expect(parseSize("500 MiB")).toBe(500 * 2 ** 20);
    expect(parseSize("1024")).toBe(1024);
    expect(() => parseSize("ten")).toThrow(/invalid size/);
  });
});
