/**
 * environmentFor against the real npm registry, with a temp store: the pnpm-like layout, the
 * recorded resolution found again offline in ≤ 100 ms, a new combination of stored packages
 * assembled offline, npm's reasons for packages that cannot be installed, two processes installing
 * the same package at once, and the empty environment that touches nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMPTY_ENV, environmentFor, PackageInstallError, type PackageEnv } from "../../runtime/packages/index.js";
import { ROOT } from "../helpers/temp-project.js";
import { listing, offline, storeEntries, tempStore, type TempStore } from "./helpers.js";

let store: TempStore;
let first: PackageEnv;
beforeAll(async () => {
  store = tempStore();
  first = await environmentFor({ underscore: "1.12.1", "is-odd": "^3" });
});
afterAll(() => store.dispose());

describe("environmentFor", () => {
  it("unpacks each package once into the store and links the env to it, dependencies beside each entry", () => {
    expect(first.resolved).toEqual([
      { name: "is-odd", version: "3.0.1" },
      { name: "underscore", version: "1.12.1" },
    ]);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.dir).toBe(path.join(store.root, "envs", first.hash));
    expect(storeEntries(store.root)).toEqual(["is-number@6.0.0", "is-odd@3.0.1", "underscore@1.12.1"]);
    // env -> store entry; the entry's dependency is a link beside it to its own entry
    expect(realpathSync(path.join(first.dir, "node_modules", "is-odd"))).toBe(path.join(store.root, "store", "is-odd@3.0.1", "node_modules", "is-odd"));
    expect(readlinkSync(path.join(store.root, "store", "is-odd@3.0.1", "node_modules", "is-number"))).toBe(path.join("..", "..", "is-number@6.0.0", "node_modules", "is-number"));
    const pkg = JSON.parse(readFileSync(path.join(first.dir, "node_modules", "underscore", "package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe("1.12.1");
    expect(existsSync(path.join(store.root, "tmp")) ? listing(path.join(store.root, "tmp")) : []).toEqual([]);
  });

  it("finds a recorded set again without the network, in at most 100 ms, whatever the order of its keys", async () => {
    const before = listing(path.join(store.root, "store"));
    const started = performance.now();
    const again = await offline(() => environmentFor({ "is-odd": "^3", underscore: "1.12.1" }));
    const ms = performance.now() - started;
    expect(again).toEqual(first);
    expect(ms).toBeLessThan(100);
    expect(listing(path.join(store.root, "store"))).toEqual(before);
  });

  it("assembles a new combination of stored packages offline: stored versions satisfy the ranges", async () => {
    const env = await offline(() => environmentFor({ underscore: "^1.12.0", "is-number": "6" }));
    expect(env.resolved).toEqual([
      { name: "is-number", version: "6.0.0" },
      { name: "underscore", version: "1.12.1" },
    ]);
    expect(env.hash).not.toBe(first.hash);
    expect(storeEntries(store.root)).toEqual(["is-number@6.0.0", "is-odd@3.0.1", "underscore@1.12.1"]);
  });

  it("installs a scoped package (@scope/name) and a second version of a stored one beside the first", async () => {
    const env = await environmentFor({ underscore: "1.13.6", "@isaacs/string-locale-compare": "^1.1.0" });
    expect(env.resolved.map((p) => p.name)).toEqual(["@isaacs/string-locale-compare", "underscore"]);
    expect(storeEntries(store.root)).toContain("@isaacs+string-locale-compare@1.1.0");
    expect(storeEntries(store.root)).toEqual(expect.arrayContaining(["underscore@1.12.1", "underscore@1.13.6"]));
    expect(existsSync(path.join(env.dir, "node_modules", "@isaacs", "string-locale-compare", "package.json"))).toBe(true);
  });

  it("fails with npm's reason (E404) and the name for a package that does not exist", async () => {
    const err = await environmentFor({ "bp-test-no-such-package-zz9": "^1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackageInstallError);
    const e = err as PackageInstallError;
    expect(e.packageName).toBe("bp-test-no-such-package-zz9");
    expect(e.code).toBe("E404");
    expect(e.message).toMatch(/bp-test-no-such-package-zz9.*E404 404 Not Found/);
  });

  it("fails with ETARGET for a version that does not exist, EUNSUPPORTED for a git spec, and the connection error offline", async () => {
    const target = (await environmentFor({ underscore: "99" }).catch((e: unknown) => e)) as PackageInstallError;
    expect(target).toMatchObject({ packageName: "underscore", code: "ETARGET" });
    expect(target.message).toMatch(/No matching version found for underscore@99/);
    const git = (await environmentFor({ underscore: "github:jashkenas/underscore" }).catch((e: unknown) => e)) as PackageInstallError;
    expect(git).toMatchObject({ packageName: "underscore", code: "EUNSUPPORTED" });
    expect(git.message).toMatch(/from the npm registry only/);
    const refused = (await offline(() => environmentFor({ "left-pad": "1.3.0" })).catch((e: unknown) => e)) as PackageInstallError;
    expect(refused).toBeInstanceOf(PackageInstallError);
    expect(refused.message).toMatch(/left-pad.*(ECONNREFUSED|127\.0\.0\.1:9)/);
  });

  it("gives a model without packages the constant empty env without touching the disk", async () => {
    const root = path.join(store.root, "never-made");
    process.env["BP_PACKAGE_STORE"] = root;
    try {
      expect(await environmentFor({})).toBe(EMPTY_ENV);
    } finally {
      process.env["BP_PACKAGE_STORE"] = store.root;
    }
    expect(EMPTY_ENV).toMatchObject({ dir: "", resolved: [] });
    expect(EMPTY_ENV.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(root)).toBe(false);
  });

  it("lets two processes install the same package at once: one store entry, both get the same env", async () => {
    const root = path.join(store.root, "shared");
    const script = `import { environmentFor } from ${JSON.stringify(path.join(ROOT, "dist/runtime/packages/index.js"))};
      const env = await environmentFor({ "is-odd": "3.0.1" }); console.log(env.hash);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, BP_PACKAGE_STORE: root }, stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(storeEntries(root)).toEqual(["is-number@6.0.0", "is-odd@3.0.1"]);
    expect(listing(path.join(root, "tmp"))).toEqual([]);
    expect(listing(path.join(root, "locks"))).toEqual([]);
  });
});
