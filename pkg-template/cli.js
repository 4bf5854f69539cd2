#!/usr/bin/env node
// omni-wasm command line: omnictl's commands, decided in Rust (src/cli) on the Node host in
// cli-host.js; this file only hands over argv and exits with the code Rust returns.
import { run } from "./cli-host.js";

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`Error: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
