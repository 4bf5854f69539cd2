// A fresh Vite app (default config: its es2020 target rejects top-level await) that imports the
// package's client and template engine builds, and runs in headless Chromium: the page
// instantiates both .wasm files and validates a template offline.
import { chromium } from "../js/node_modules/playwright-core/index.mjs";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-wasm-vite-"));
fs.mkdirSync(path.join(dir, "node_modules"));
fs.symlinkSync(path.join(root, "pkg"), path.join(dir, "node_modules", "omni-wasm"));
fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "vite-app", private: true, type: "module" }));
fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>`);
fs.writeFileSync(path.join(dir, "main.js"), `
import { OmniClient, version, ready } from "omni-wasm";
import { validateTemplate, ready as templatesReady } from "omni-wasm/templates";
Promise.all([ready, templatesReady]).then(() => {
  const issues = validateTemplate("kind: Cluster\\nname: c\\nkubernetes:\\n  version: vN\\n", {});
  document.body.dataset.version = version();
  document.body.dataset.connect = typeof OmniClient.connect;
  document.body.dataset.issues = String(issues.length);
  document.body.dataset.state = "ok";
}, (e) => { document.body.dataset.state = "error: " + e; });
`);
const vite = path.join(root, "tests/js/node_modules/.bin/vite");
execFileSync(vite, ["build", "--logLevel", "warn"], { cwd: dir, stdio: "inherit" });
const dist = path.join(dir, "dist");
const wasm = fs.readdirSync(path.join(dist, "assets")).filter((f) => f.endsWith(".wasm"));

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const server = http.createServer((req, res) => {
  const file = path.join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
  const f = fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(dist, "index.html");
  res.writeHead(200, { "content-type": types[path.extname(f)] ?? "application/octet-stream" });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const ctx = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), "chrome-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const errors = [];
let ok = false;
try {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 20000 });
  const data = await page.evaluate(() => ({ ...document.body.dataset }));
  assert.equal(data.state, "ok", JSON.stringify(data));
  assert.equal(data.connect, "function");
  assert.ok(Number(data.issues) >= 1, JSON.stringify(data));
  assert.deepEqual(errors, []);
  // the client's and the engine's .wasm, each once
  assert.equal(wasm.length, 2, wasm.join(", "));
  ok = true;
  console.log(`ok - a fresh Vite app (default config) builds and runs in Chromium (omni-wasm ${data.version}, ${wasm.length} .wasm assets)`);
} catch (e) {
  console.log(`not ok - a fresh Vite app (default config) builds and runs in Chromium\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
} finally {
  await ctx.close();
  server.close();
}
process.exit(ok ? 0 : 1);
