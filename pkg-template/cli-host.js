// The host of the Rust command line (src/cli): environment, files, the two output streams,
// stdin, an editor, downloads and a fetch without TLS verification. Every decision is made in
// Rust; nothing here chooses a path, a format or an exit code.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
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
  writeFileBytes(file, bytes, mode) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, bytes, { mode });
  },
  readStdin: () => fs.readFileSync(0, "utf8"),
  async download(url, headers, file, insecure) {
    const res = await (insecure ? insecureTlsFetch : fetch)(url, { headers });
    if (res.status >= 400) return [res.status, await res.text()];
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o755 });
    await pipeline(Readable.fromWeb(res.body), fs.createWriteStream(file));
    return null;
  },
  removeFile: (file) => fs.rmSync(file, { force: true }),
  isDir: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false,
  listFiles(dir) {
    const out = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(p);
      }
    };
    walk(dir);
    return out;
  },
  edit(editor, prefix, suffix, text) {
    const file = path.join(os.tmpdir(), `${prefix}${randomBytes(8).toString("hex")}${suffix}`);
    fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    const [bin, ...args] = editor.split(/\s+/).filter(Boolean);
    const r = spawnSync(bin, [...args, file], { stdio: "inherit" });
    if (r.error) throw new Error(`editor ${JSON.stringify(editor)}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`editor ${JSON.stringify(editor)} exited with ${r.status}`);
    return { text: fs.readFileSync(file, "utf8"), path: file };
  },
  cwd: () => process.cwd(),
  isTerminal: () => Boolean(process.stdout.isTTY),
  readLine() {
    return new Promise((resolve) => {
      let buf = "";
      const onData = (chunk) => {
        buf += chunk;
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          done();
          // what follows the line stays unread for the next call
          process.stdin.unshift(buf.slice(nl + 1));
          resolve(buf.slice(0, nl).replace(/\r$/, ""));
        }
      };
      const onEnd = () => { done(); resolve(buf === "" ? null : buf); };
      const done = () => { process.stdin.off("data", onData); process.stdin.off("end", onEnd); process.stdin.pause(); };
      process.stdin.setEncoding("utf8");
      process.stdin.on("data", onData);
      process.stdin.once("end", onEnd);
      process.stdin.resume();
    });
  },

  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  insecureFetch: insecureTlsFetch,
};

/** Runs the command line; resolves to the exit code. */
export function run(argv) {
  return runCli(argv, host);
}
