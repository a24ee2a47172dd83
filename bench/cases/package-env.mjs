// package-env: per-model package environments (runtime/packages), against npm's configured registry.
//  - package-env/new-package: a model declares a package the store does not hold (an empty store per
//    run): the env is ready (resolved, fetched, unpacked, linked), in a spawned process. Baseline:
//    `npm install <same package>` into an empty folder. Both go through npm's HTTP cache
//    (~/.npm/_cacache), warmed by the warm-up runs: the figure is bp's work beside npm's, not the network.
//  - package-env/built: the env of a declared set built before (a later run): time inside the process
//    from loading bp's packages module to the env being ready. Baseline: `node -e 0` (a bare Node start).
//  - package-env/new-combination: a set never resolved before whose packages are all in the store,
//    with the registry unreachable (the env folder and resolution records removed before each run),
//    in a spawned process. Baseline: `npm install --offline` of the same packages into an empty folder.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { runNode, runNodeJson } from "../lib/proc.mjs";
import { measurePair, timed } from "../lib/timing.mjs";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "children", "package-env.mjs");
const NEW_PACKAGE = { "simple-statistics": "7.8.8" };
const COMBINATION = { "simple-statistics": "^7", "is-odd": "^3", underscore: "^1" };
const UNREACHABLE = "http://127.0.0.1:9/";

export const sizes = () => [1];

function npm(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`npm ${args.join(" ")} exited ${code}\n${err}`))));
  });
}

const specs = (set) => Object.entries(set).map(([n, r]) => `${n}@${r}`);

export async function run({ opts, tmp, log }) {
  let n = 0;
  const fresh = (what) => {
    const dir = path.join(tmp, `${what}-${++n}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const envIn = async (store, set, extraEnv = {}) => {
    const r = await runNodeJson([CHILD, JSON.stringify(set)], { env: { BP_PACKAGE_STORE: store, ...extraEnv } });
    return { ...r.json, seconds: r.seconds };
  };
  const npmInstall = async (args) => {
    const dir = fresh("npm");
    const t = await timed(() => npm(["install", "--no-audit", "--no-fund", "--no-package-lock", "--no-save", ...args], dir));
    rmSync(dir, { recursive: true, force: true });
    return t.seconds;
  };

  const added = await measurePair({
    label: "new-package",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => {
      const store = fresh("store");
      const r = await envIn(store, NEW_PACKAGE);
      rmSync(store, { recursive: true, force: true });
      return r.seconds;
    },
    baseline: () => npmInstall(specs(NEW_PACKAGE)),
    log,
  });

  // One store holding the combination's packages, each put there by its own set.
  const store = fresh("store");
  for (const [name, range] of Object.entries(COMBINATION)) await envIn(store, { [name]: range });
  await envIn(store, COMBINATION, { npm_config_registry: UNREACHABLE }); // built: what later runs find
  const built = await measurePair({
    label: "built",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => {
      const r = await envIn(store, COMBINATION, { npm_config_registry: UNREACHABLE });
      return r.ms / 1000;
    },
    baseline: async () => (await runNode(["-e", "0"])).seconds,
    log,
  });

  await npmInstall(specs(COMBINATION)); // npm's cache holds the combination for its offline installs
  const combination = await measurePair({
    label: "new-combination",
    repeat: opts.repeat,
    warmup: opts.warmup,
    bp: async () => {
      for (const dir of ["envs", "resolutions"]) rmSync(path.join(store, dir), { recursive: true, force: true });
      const entries = readdirSync(path.join(store, "store")).length;
      const r = await envIn(store, COMBINATION, { npm_config_registry: UNREACHABLE });
      if (readdirSync(path.join(store, "store")).length !== entries) throw new Error("the new combination fetched packages");
      return r.seconds;
    },
    baseline: () => npmInstall(["--offline", ...specs(COMBINATION)]),
    log,
  });

  const figure = (name, size, m, baselineName) => ({
    case: name,
    size,
    median: m.bpMedian,
    baselineName,
    baselineMedian: m.baselineMedian,
    unit: "s",
    samples: m.samples.bp,
    baselineSamples: m.samples.baseline,
  });
  return [
    figure("package-env/new-package", specs(NEW_PACKAGE).join(" "), added, `npm install ${specs(NEW_PACKAGE).join(" ")}`),
    figure("package-env/built", `${Object.keys(COMBINATION).length} packages`, built, `node -e "0"`),
    figure("package-env/new-combination", `${Object.keys(COMBINATION).length} packages, offline`, combination, "npm install --offline (same packages)"),
  ];
}

