#!/usr/bin/env node
// omni-wasm command line: omnictl's commands, run by the Rust CLI (cli-host.js); the commands it
// does not run yet go to the JS implementation (cli-main.js).
import { run } from "./cli-host.js";

const argv = process.argv.slice(2);
run(argv)
  .then(async (code) => (code === "legacy" ? (await import("./cli-main.js")).main(argv) : code))
  .then(
    (code) => process.exit(code ?? 0),
    (err) => {
      process.stderr.write(`Error: ${err && err.message ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
