/**
 * Preloaded in a TS model's child process with `node --import <this file>`: registers
 * loader-hooks.js (bauplan-ts / apache-arrow resolution, TypeScript transpiling).
 * module.register exists from Node 20.6 and is still supported on Node 24.
 */
import { register } from "node:module";

register("./loader-hooks.js", import.meta.url);
