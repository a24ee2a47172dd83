/**
 * Registers loader-hooks.js (bauplan-ts / apache-arrow resolution, the package environment,
 * TypeScript transpiling) in a TS model's child process, handing it the model file (child-main.js's
 * argument) to transpile while the child waits for its job, and a MessagePort over which the job's
 * package environment reaches the hooks thread (`usePackageEnv`, before the model is imported).
 * Imported by child-main.ts: it is evaluated after child-main's whole static module graph
 * (apache-arrow, bp's modules) was loaded, so those ~170 modules load without a round trip to the
 * hooks thread each (half the child's start-up CPU); only the model and what it imports go through
 * the hooks. Also usable as `node --import <this file> child-main.js` (everything then goes through
 * the hooks; the registration still happens once).
 * module.register exists from Node 20.6 and is still supported on Node 24.
 */
import { register } from "node:module";
import path from "node:path";
import { MessageChannel } from "node:worker_threads";
import type { HooksData } from "./loader-hooks.js";
import type { ChildEnv } from "./protocol.js";

const modelFile = process.argv[2];
const { port1, port2 } = new MessageChannel();
const data: HooksData = { ...(modelFile ? { preload: path.resolve(modelFile) } : {}), port: port2 };
register("./loader-hooks.js", { parentURL: import.meta.url, data, transferList: [port2] });
port1.unref();

/** Hands the job's package environment to the hooks thread; resolves once it holds it. */
export function usePackageEnv(env: ChildEnv): Promise<void> {
  return new Promise((resolve) => {
    port1.ref(); // the process waits for the answer, whatever else is (not) pending
    port1.once("message", () => {
      port1.unref();
      resolve();
    });
    port1.postMessage(env);
  });
}
