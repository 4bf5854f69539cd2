#!/usr/bin/env node
// omni-wasm command line: omnictl-style commands on top of the package's Node entry.
import { main } from "./cli-main.js";

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
