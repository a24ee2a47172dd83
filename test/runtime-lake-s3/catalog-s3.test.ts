/**
 * The catalog suite of test/runtime-lake (branches, tags, time travel, log, diff, merge, CAS) on
 * the S3 backend: on s3rver as it is (host-lock CAS), and behind a proxy that enforces
 * If-None-Match / If-Match as AWS S3 does (conditional CAS).
 */
import { afterAll, describe } from "vitest";
import { catalogSuite } from "../runtime-lake/catalog-suite.js";
import { startProxy, type Proxy } from "./proxy.js";
import { s3Storage, startS3rver, type S3rver } from "./s3rver.js";

let server: Promise<S3rver> | null = null;
let proxy: Promise<Proxy> | null = null;
const started = (): Promise<S3rver> => (server ??= startS3rver());
const conditional = async (): Promise<Proxy> => (proxy ??= startProxy((await started()).endpoint, { conditional: true }));

afterAll(async () => {
  if (proxy) await (await proxy).close();
  if (server) await (await server).stop();
});

describe("S3 on s3rver (host-lock CAS)", () => {
  catalogSuite("s3-host-lock", async () => {
    const storage = s3Storage(await started());
    return { storage, cleanup: () => storage.destroy() };
  });
});

describe("S3 with conditional writes (412-enforcing proxy)", () => {
  catalogSuite("s3-conditional", async () => {
    const storage = s3Storage(await conditional());
    return { storage, cleanup: () => storage.destroy() };
  });
});
