/**
 * Registers loader-hooks.js (bauplan-ts / apache-arrow resolution, TypeScript transpiling) in a TS
 * model's child process, handing it the model file (child-main.js's argument) to transpile while
 * the child waits for its job. Imported by child-main.ts: it is evaluated after child-main's whole
 * static module graph (apache-arrow, bp's modules) was loaded, so those ~170 modules load without
 * a round trip to the hooks thread each (half the child's start-up CPU); only the model and what
 * it imports go through the hooks. Also usable as `node --import <this file> child-main.js`
 * (everything then goes through the hooks; the registration still happens once).
 * module.register exists from Node 20.6 and is still supported on Node 24.
 */
import { register } from "node:module";
import path from "node:path";
import type { HooksData } from "./loader-hooks.js";

const modelFile = process.argv[2];
const data: HooksData = modelFile ? { preload: path.resolve(modelFile) } : {};
register("./loader-hooks.js", { parentURL: import.meta.url, data });
