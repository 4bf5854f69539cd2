// The built npm package: entries, types, CLI, flavours.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const pkg = path.join(root, "pkg");
const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));

/** A consumer project whose node_modules/omni-wasm is the built package. */
function consumer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-wasm-consumer-"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(pkg, path.join(dir, "node_modules", "omni-wasm"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module", dependencies: { "omni-wasm": "file:../pkg" } }));
  return dir;
}

test("import('omni-wasm') works in Node with no init call", () => {
  const dir = consumer();
  const out = execFileSync(process.execPath, ["-e", 'import("omni-wasm").then(m => console.log(m.version(), m.buildFlavor()))'], { cwd: dir, encoding: "utf8" });
  assert.equal(out.trim(), `${manifest.version} full`);
});

test("the lite and templates subpaths load their own builds", () => {
  const dir = consumer();
  const out = execFileSync(process.execPath, ["-e", 'Promise.all([import("omni-wasm/lite"), import("omni-wasm/templates")]).then(([l, t]) => console.log(l.buildFlavor(), t.buildFlavor()))'], { cwd: dir, encoding: "utf8" });
  assert.equal(out.trim(), "browser templates");
});

test("type declarations exist for every entry", () => {
  for (const [sub, mod] of [["", "omni_wasm"], ["lite/", "omni_wasm_lite"], ["templates/", "omni_wasm_templates"]]) {
    for (const f of ["index.d.ts", "node.d.ts", "browser.d.ts", "workerd.d.ts", `${mod}.d.ts`]) {
      assert.ok(fs.existsSync(path.join(pkg, sub, f)), `${sub}${f}`);
    }
  }
});

test("the omni-wasm bin prints its version", () => {
  assert.equal(manifest.bin["omni-wasm"], "./cli.js");
  const out = execFileSync(process.execPath, [path.join(pkg, "cli.js"), "--version"], { encoding: "utf8" });
  assert.match(out, new RegExp(`^omni-wasm ${manifest.version.replace(/\./g, "\\.")}\n`));
});

test("the package declares node, browser and workerd conditions", () => {
  const e = manifest.exports["."];
  assert.equal(e.node, "./node.js");
  assert.equal(e.browser, "./browser.js");
  assert.equal(e.workerd, "./workerd.js");
  assert.equal(e.types, "./index.d.ts");
});

test("a browser app bundles with a bundler's default target (es2020: no top-level await) and an esbuild Worker bundle builds", () => {
  const dir = consumer();
  const esbuild = path.join(root, "tests/js/node_modules/.bin/esbuild");
  fs.writeFileSync(path.join(dir, "app.js"), `
import { OmniClient, ready } from "omni-wasm";
import { validateTemplate, ready as templatesReady } from "omni-wasm/templates";
await Promise.all([ready, templatesReady]);
console.log(typeof OmniClient.connect, validateTemplate("kind: Cluster\\nname: c\\n", {}).length);
`);
  fs.writeFileSync(path.join(dir, "lib.js"), `
import { OmniClient, ready } from "omni-wasm/lite";
export async function connect(endpoint) { await ready; return OmniClient.connect({ endpoint }); }
`);
  const build = (entry, args) => execFileSync(esbuild, [entry, "--bundle", "--format=esm", ...args], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  // a library module imported by an app: es2020 like Vite's default target, browser conditions
  build("lib.js", ["--platform=browser", "--target=es2020", "--outfile=out/lib.js"]);
  // the whole app (its own top-level await is the app's choice), templates included
  build("app.js", ["--platform=browser", "--target=es2022", "--outfile=out/app.js", "--loader:.wasm=file"]);
  // a Worker bundle as wrangler makes it (workerd conditions; .wasm as a module)
  fs.writeFileSync(path.join(dir, "worker.js"), `import { OmniClient } from "omni-wasm"; export default { fetch: async () => new Response(typeof OmniClient) };`);
  build("worker.js", ["--platform=neutral", "--conditions=workerd,worker,browser", "--target=es2022", "--external:*.wasm", "--outfile=out/worker.js"]);
  for (const f of ["lib.js", "app.js", "worker.js"]) assert.ok(fs.statSync(path.join(dir, "out", f)).size > 10_000, f);
});

test("npm pack ships exactly the entries, glue, types and .wasm of the three builds", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: pkg, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  // each build's wasm-bindgen module has its own name (one bundle may take in two builds)
  const mod = (m) => [`${m}.d.ts`, `${m}.js`, `${m}_bg.wasm`, `${m}_bg.wasm.d.ts`];
  const entries = ["browser.d.ts", "browser.js", "index.d.ts", "index.js", "node.d.ts", "node.js", "workerd.d.ts", "workerd.js"];
  const client = [...entries, "node-tls.js", "specs.d.ts"];
  const templates = [...entries, ...mod("omni_wasm_templates")];
  // the Rust command line: its module and .wasm only (cli-host.js loads it; no public types)
  const cli = ["cli-host.js", "cli/omni_wasm.js", "cli/omni_wasm_bg.wasm"];
  const want = ["LICENSE", "README.md", "cli.js", "package.json", ...cli, ...client, ...mod("omni_wasm"),
    ...[...client, ...mod("omni_wasm_lite")].map((f) => `lite/${f}`), ...templates.map((f) => `templates/${f}`)].sort();
  assert.deepEqual(files, want);
});

test("types resolve for every subpath under node16 and bundler module resolution", () => {
  const dir = consumer();
  fs.writeFileSync(path.join(dir, "use.ts"), `
import { OmniClient, ready, type Resource, type ApplyResult } from "omni-wasm";
import { OmniClient as LiteClient } from "omni-wasm/lite";
import { validateTemplate, type TemplateIssue } from "omni-wasm/templates";
export async function f(endpoint: string): Promise<[Resource[], ApplyResult[], TemplateIssue[], unknown]> {
  await ready;
  const c = await OmniClient.connect({ endpoint, readOnly: true });
  const l = await LiteClient.connect({ endpoint });
  return [await c.list("clusters"), await c.apply("kind: x"), validateTemplate("", {}), l];
}
`);
  const tsc = path.join(root, "tests/js/node_modules/.bin/tsc");
  for (const [module, resolution] of [["node16", "node16"], ["esnext", "bundler"]]) {
    execFileSync(tsc, ["--noEmit", "--strict", "--skipLibCheck", "false", "--lib", "es2022,dom", "--target", "es2022",
      "--module", module, "--moduleResolution", resolution, "use.ts"], { cwd: dir, encoding: "utf8" });
  }
});
