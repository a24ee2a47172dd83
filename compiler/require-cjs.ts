/**
 * CommonJS packages are loaded with require() rather than `import`: for an ES module importing a
 * CommonJS package, Node first scans its source, and that of every module it re-exports, for export
 * names. For @duckdb/node-api (120 modules) that scan cost more than loading it (~0.17 s of a small
 * compile); handlebars and yaml pay less but the same way. Types still come from `import type`.
 */
import { createRequire } from "node:module";

export const requireCjs = createRequire(import.meta.url);
