// The host of the Rust command line (src/cli): argv, environment, files, the two output streams
// and a fetch without TLS verification. Every decision is made in Rust; commands it does not run
// yet come back as "legacy" and go to the JS implementation in cli-main.js.
import fs from "node:fs";
import path from "node:path";
import { initSync, runCli } from "./cli/omni_wasm.js";
import { insecureTlsFetch } from "./node-tls.js";

initSync({ module: fs.readFileSync(new URL("./cli/omni_wasm_bg.wasm", import.meta.url)) });

const host = {
  env: (name) => process.env[name],
  readFile(file) {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (e) {
      if (e.code === "ENOENT") return null;
      throw new Error(`${file}: ${e.message}`);
    }
  },
  writeFile(file, text, mode) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, text, { mode });
  },
  removeFile: (file) => fs.rmSync(file, { force: true }),
  isDir: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false,
  cwd: () => process.cwd(),
  isTerminal: () => Boolean(process.stdout.isTTY),
  async prompt(question) {
    const rl = (await import("node:readline/promises")).createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await new Promise((resolve, reject) => {
        rl.once("close", () => resolve(null)); // end of input
        rl.question(question).then(resolve, reject);
      });
    } finally {
      rl.close();
    }
  },
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  insecureFetch: insecureTlsFetch,
};

/** Runs the command line; resolves to the exit code, or "legacy". */
export function run(argv) {
  return runCli(argv, host);
}
