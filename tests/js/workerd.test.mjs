// The built package inside workerd (Cloudflare's runtime, from npm): a Worker lists clusters
// from omni-sim and applies a config patch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { SIM, serviceAccount, uid } from "./helpers.mjs";
import { OmniClient } from "../../pkg/node.js";

const root = path.resolve(import.meta.dirname, "../..");
const workerd = path.join(root, "tests/js/node_modules/.bin/workerd");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

let proc;
let base;
let bundled;
let clusterId;

// The same Worker as a bundler makes it: esbuild with workerd's conditions, every `.wasm` left as
// a module of its own (as wrangler uploads them). The template engine's build comes in through the
// client's lazy import: two wasm-bindgen modules in one bundle, which must not share a name.
async function bundle(dir) {
  const { default: esbuild } = await import("./node_modules/esbuild/lib/main.js");
  fs.mkdirSync(path.join(dir, "app", "node_modules"), { recursive: true });
  fs.symlinkSync(path.join(root, "pkg"), path.join(dir, "app", "node_modules", "omni-wasm"));
  const source = fs.readFileSync(path.join(root, "tests/workerd/worker.mjs"), "utf8").replace('"./pkg/workerd.js"', '"omni-wasm"');
  fs.writeFileSync(path.join(dir, "app", "worker.mjs"), source);
  await esbuild.build({
    entryPoints: [path.join(dir, "app", "worker.mjs")], bundle: true, format: "esm", platform: "neutral",
    conditions: ["workerd", "worker", "browser"], target: "es2022", external: ["*.wasm"],
    outfile: path.join(dir, "bundle", "worker.js"), logLevel: "silent",
  });
  const wasm = [...fs.readFileSync(path.join(dir, "bundle", "worker.js"), "utf8").matchAll(/from "\.\/([\w.-]+\.wasm)"/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(wasm)].sort(), ["omni_wasm_bg.wasm", "omni_wasm_templates_bg.wasm"], "one module per build, each its own name");
  for (const f of wasm) {
    const from = f.startsWith("omni_wasm_templates") ? path.join(root, "pkg/templates", f) : path.join(root, "pkg", f);
    fs.cpSync(from, path.join(dir, "bundle", f));
  }
  return wasm;
}

before(async () => {
  const key = await serviceAccount(uid("sa-worker"), "Admin");
  clusterId = uid("wk");
  const admin = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key });
  await admin.apply(`metadata:
    namespace: default
    type: Clusters.omni.sidero.dev
    id: ${clusterId}
spec:
    kubernetesversion: 1.32.0
    talosversion: 1.9.1
`);
  // a control plane, so that the cluster exports as a template
  await admin.apply({ metadata: { namespace: "default", type: "MachineSets.omni.sidero.dev", id: `${clusterId}-control-planes`, labels: { "omni.sidero.dev/cluster": clusterId, "omni.sidero.dev/role-controlplane": "" } }, spec: {} });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-workerd-"));
  fs.cpSync(path.join(root, "tests/workerd/worker.mjs"), path.join(dir, "worker.mjs"));
  fs.mkdirSync(path.join(dir, "pkg"));
  for (const f of ["workerd.js", "index.js", "omni_wasm.js", "omni_wasm_bg.wasm"]) {
    fs.cpSync(path.join(root, "pkg", f), path.join(dir, "pkg", f));
  }
  const wasm = await bundle(dir);
  const port = await freePort();
  const port2 = await freePort();
  base = `http://127.0.0.1:${port}`;
  bundled = `http://127.0.0.1:${port2}`;
  fs.writeFileSync(path.join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "bundled", worker = .bundledWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "omni", external = (address = "${new URL(SIM).host}", http = ())),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "main"),
    (name = "bundled", address = "127.0.0.1:${port2}", http = (), service = "bundled"),
  ],
);
const bundledWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "bundle/worker.js"),
${wasm.map((f) => `    (name = "${f}", wasm = embed "bundle/${f}"),`).join("\n")}
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "OMNI_ENDPOINT", text = "${SIM}"),
    (name = "OMNI_SERVICE_ACCOUNT_KEY", text = "${key}"),
    (name = "OMNI", service = "omni"),
  ],
);
const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "pkg/workerd.js", esModule = embed "pkg/workerd.js"),
    (name = "pkg/index.js", esModule = embed "pkg/index.js"),
    (name = "pkg/omni_wasm.js", esModule = embed "pkg/omni_wasm.js"),
    (name = "pkg/omni_wasm_bg.wasm", wasm = embed "pkg/omni_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "OMNI_ENDPOINT", text = "${SIM}"),
    (name = "OMNI_SERVICE_ACCOUNT_KEY", text = "${key}"),
    (name = "OMNI", service = "omni"),
  ],
);
`);
  proc = spawn(workerd, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  for (let i = 0; i < 100; i++) {
    try { await fetch(`${base}/version`); return; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error("workerd did not start");
});

after(() => proc?.kill());

for (const transport of ["gateway", "grpc-web"]) {
  test(`a Worker lists clusters from omni-sim (${transport})`, async () => {
    const r = await fetch(`${base}/clusters?transport=${transport}`);
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.ok(body.includes(clusterId), JSON.stringify(body));
  });
}

for (const transport of ["gateway", "grpc-web"]) {
  test(`a Worker reaches Omni through a service binding (fetch option, ${transport})`, async () => {
    const r = await fetch(`${base}/binding?transport=${transport}`);
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.ok(body.clusters.includes(clusterId), JSON.stringify(body));
    // every request went through the binding, to a host the Worker could not reach itself
    assert.ok(body.calls > 0 && body.urls.every((u) => u.startsWith("https://omni.binding.invalid/")), JSON.stringify(body));
  });
}

test("a Worker applies a config patch", async () => {
  const r = await fetch(`${base}/patch?cluster=${clusterId}`);
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.equal(body.action, "create");
  assert.match(body.data, /hostname: from-worker/);
  const again = await (await fetch(`${base}/patch?cluster=${clusterId}`)).json();
  assert.equal(again.action, "unchanged");
});

test("an esbuild bundle of the Worker runs in workerd, template engine included", async () => {
  const r = await fetch(`${bundled}/clusters?transport=grpc-web`);
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.ok(body.includes(clusterId), JSON.stringify(body));
  // the lazily imported template engine is the templates build, not the client's module again
  const x = await fetch(`${bundled}/export?cluster=${clusterId}`);
  const text = await x.text();
  assert.equal(x.status, 200, text);
  assert.match(text, new RegExp(`^kind: Cluster\nname: ${clusterId}\n[^]*\nkind: ControlPlane\n`));
});
