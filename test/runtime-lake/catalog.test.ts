/** The storage-independent catalog suite against the local backend. */
import { rmSync } from "node:fs";
import { LocalLakeStorage } from "../../runtime/lake/local-storage.js";
import { catalogSuite } from "./catalog-suite.js";
import { tempDir } from "./helpers.js";

catalogSuite("local", () => {
  const dir = tempDir("bp-catalog-");
  return { storage: new LocalLakeStorage(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});
