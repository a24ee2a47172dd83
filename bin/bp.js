#!/usr/bin/env node
// The bp command: runs the built CLI (npm run build writes dist/).
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bp: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
