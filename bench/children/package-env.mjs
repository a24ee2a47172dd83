// One package environment made (or found) by bp's runtime/packages, as a TS node's run does it:
//   node package-env.mjs '{"simple-statistics":"^7"}'   (store: $BP_PACKAGE_STORE)
// Prints {ms, hash, resolved}: ms from before loading bp's packages module to the env being ready.
const started = performance.now();
const { environmentFor } = await import("../../dist/runtime/packages/index.js");
const env = await environmentFor(JSON.parse(process.argv[2]));
console.log(JSON.stringify({ ms: performance.now() - started, hash: env.hash, resolved: env.resolved }));
