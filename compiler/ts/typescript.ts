/**
 * The TypeScript compiler API, loaded by load-typescript.ts (require + V8 code cache) instead of
 * `import ts from "typescript"`. `ts` is the value (ts.createSourceFile, ts.isIdentifier...); its
 * types are written `TS.Node` with `import type * as TS from "typescript"` (erased at build time).
 */
import type * as TS from "typescript";
import { loadTypeScript } from "./load-typescript.js";

const ts = loadTypeScript<typeof TS>();
export default ts;
