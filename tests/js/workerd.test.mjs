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
let clusterId;

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-workerd-"));
  fs.cpSync(path.join(root, "tests/workerd/worker.mjs"), path.join(dir, "worker.mjs"));
  fs.mkdirSync(path.join(dir, "pkg"));
  for (const f of ["workerd.js", "index.js", "omni_wasm.js", "omni_wasm_bg.wasm"]) {
    fs.cpSync(path.join(root, "pkg", f), path.join(dir, "pkg", f));
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "omni", external = (address = "${new URL(SIM).host}", http = ())),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
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
