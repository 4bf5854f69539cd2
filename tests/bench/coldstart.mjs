// Benchmark: workerd cold start to the first signed list, side by side in one run.
//
//   omni-wasm full (service-account key, OpenPGP)  vs  OpenPGP.js + fetch + JSON.parse
//   omni-wasm lite (WebCrypto ECDSA key)            vs  WebCrypto + fetch + JSON.parse
//
// Each run starts a fresh workerd process and sends one request at once (retried until the
// socket listens); the figure is the time from the spawn to that response: process start, module
// instantiation, key loading, signing, fetch and parsing a 20-machine list from a loopback server
// replaying a recorded ResourceService answer. Medians of RUNS runs. Prints; never asserts.
// Two reference workers show where the time goes: an empty one (workerd's own start) and one
// that only compiles the lite .wasm.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { ROOT, MS, loadRecordings, median, replayServer } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const workerd = path.join(ROOT, "tests/js/node_modules/.bin/workerd");
const openpgpFile = path.join(ROOT, "tests/js/node_modules/openpgp/dist/openpgp.min.mjs");
const rec = loadRecordings(path.join(ROOT, "target/bench/list-10000.json"));
if (!rec) throw new Error("run tests/bench/list.mjs first (it records the responses)");
const RS = `/api/omni.resources.ResourceService/List#${MS}`;
const full = JSON.parse(Buffer.from(rec[RS].body, "base64").toString());
const small = Buffer.from(JSON.stringify({ items: full.items.slice(0, 20), total: 20 }));
const server = await replayServer(rec, { [RS]: small });

const { Signer } = await import(path.join(ROOT, "pkg/node.js"));
const saKey = Signer.generateServiceAccount("coldstart").serviceAccountKey();
const armored = JSON.parse(Buffer.from(saKey, "base64").toString()).pgp_key;

// what a JS developer writes instead: sign siderov1-style, fetch ResourceService/List, parse
const jsCommon = `
const method = "/omni.resources.ResourceService/List";
async function list(env, sign) {
  const ts = String(Math.floor(Date.now() / 1000));
  const payload = JSON.stringify({ headers: { runtime: ["Omni"], "x-sidero-timestamp": [ts] }, method });
  const signature = await sign(new TextEncoder().encode(payload));
  const r = await fetch(env.URL + "/api" + method, {
    method: "POST",
    headers: { "content-type": "application/json", "grpc-metadata-runtime": "Omni",
      "grpc-metadata-x-sidero-timestamp": ts, "grpc-metadata-x-sidero-payload": payload,
      "grpc-metadata-x-sidero-signature": "siderov1 bench " + signature },
    body: JSON.stringify({ namespace: "default", type: "${MS}" }),
  });
  return (await r.json()).items.map((s) => JSON.parse(s));
}
const b64 = (u8) => btoa(String.fromCharCode(...new Uint8Array(u8)));
`;
const workers = {
  "omni-wasm full": {
    modules: { "pkg/workerd.js": "pkg/workerd.js", "pkg/index.js": "pkg/index.js", "pkg/omni_wasm.js": "pkg/omni_wasm.js" },
    wasm: { "pkg/omni_wasm_bg.wasm": "pkg/omni_wasm_bg.wasm" },
    code: `import { OmniClient } from "./pkg/workerd.js";
export default { async fetch(req, env) {
  const omni = await OmniClient.connect({ endpoint: env.URL, serviceAccountKey: env.KEY });
  return Response.json((await omni.list("${MS}")).length);
} };`,
  },
  "OpenPGP.js + fetch": {
    modules: { "openpgp.mjs": openpgpFile },
    code: `import * as openpgp from "./openpgp.mjs";${jsCommon}
export default { async fetch(req, env) {
  const key = await openpgp.readPrivateKey({ armoredKey: env.ARMORED });
  const items = await list(env, async (data) => b64(await openpgp.sign({
    message: await openpgp.createMessage({ binary: data }), signingKeys: key, detached: true, format: "binary" })));
  return Response.json(items.length);
} };`,
  },
  "omni-wasm lite": {
    modules: { "pkg/workerd.js": "pkg/lite/workerd.js", "pkg/index.js": "pkg/lite/index.js", "pkg/omni_wasm_lite.js": "pkg/lite/omni_wasm_lite.js" },
    wasm: { "pkg/omni_wasm_lite_bg.wasm": "pkg/lite/omni_wasm_lite_bg.wasm" },
    code: `import { OmniClient, Signer } from "./pkg/workerd.js";
export default { async fetch(req, env) {
  const signer = await Signer.generateEcdsa("bench@example.org");
  const omni = await OmniClient.connect({ endpoint: env.URL, signer });
  return Response.json((await omni.list("${MS}")).length);
} };`,
  },
  // where the time goes: workerd's own start, and compiling the lite .wasm without using it
  "empty worker": { modules: {}, code: `export default { async fetch() { return new Response("20"); } };` },
  "lite .wasm compiled, unused": {
    modules: {}, wasm: { "m.wasm": "pkg/lite/omni_wasm_lite_bg.wasm" },
    code: `import m from "./m.wasm"; export default { async fetch() { return new Response(m ? "20" : "x"); } };`,
  },
  "WebCrypto + fetch": {
    modules: {},
    code: `${jsCommon}
export default { async fetch(req, env) {
  const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const items = await list(env, async (data) => b64(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, data)));
  return Response.json(items.length);
} };`,
  },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

async function prepare(name, w) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-coldstart-"));
  fs.writeFileSync(path.join(dir, "worker.mjs"), w.code);
  const mods = [`(name = "worker.mjs", esModule = embed "worker.mjs")`];
  for (const [as, from] of Object.entries(w.modules)) {
    fs.mkdirSync(path.dirname(path.join(dir, as)), { recursive: true });
    fs.cpSync(path.isAbsolute(from) ? from : path.join(ROOT, from), path.join(dir, as));
    mods.push(`(name = "${as}", esModule = embed "${as}")`);
  }
  for (const [as, from] of Object.entries(w.wasm ?? {})) {
    fs.cpSync(path.join(ROOT, from), path.join(dir, as));
    mods.push(`(name = "${as}", wasm = embed "${as}")`);
  }
  const port = await freePort();
  fs.writeFileSync(path.join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [ ${mods.join(", ")} ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "URL", text = "${server.url}"),
    (name = "KEY", text = "${saKey}"),
    (name = "ARMORED", text = ${JSON.stringify(armored)}),
  ],
);
`);
  return { dir, port, name };
}

async function coldStart({ dir, port, name }) {
  const t0 = performance.now();
  const proc = spawn(workerd, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  try {
    for (let i = 0; i < 2000; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        const body = await r.text();
        if (r.status !== 200 || body !== "20") throw new Error(`${name}: ${r.status} ${body.slice(0, 300)}`);
        return performance.now() - t0;
      } catch (e) {
        if (e.message.startsWith(name)) throw e;
        await new Promise((ok) => setTimeout(ok, 2));
      }
    }
    throw new Error(`${name}: workerd did not answer`);
  } finally {
    proc.kill();
    await new Promise((ok) => proc.once("exit", ok));
  }
}

const prepared = {};
for (const [name, w] of Object.entries(workers)) prepared[name] = await prepare(name, w);
const results = {};
for (let i = 0; i < RUNS + 1; i++) {
  for (const [name, p] of Object.entries(prepared)) {
    const ms = await coldStart(p);
    if (i > 0) (results[name] ??= []).push(ms); // the first round warms the disk cache
  }
}
server.close();
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
console.log(`workerd cold start → first signed list of 20 MachineStatuses (median of ${RUNS}, spawn to response)`);
console.log(`  full: omni-wasm ${m["omni-wasm full"].toFixed(1)} ms vs OpenPGP.js + fetch ${m["OpenPGP.js + fetch"].toFixed(1)} ms: ${(m["omni-wasm full"] / m["OpenPGP.js + fetch"]).toFixed(2)}x (budget: full <= 60 ms)`);
console.log(`  lite: omni-wasm ${m["omni-wasm lite"].toFixed(1)} ms vs WebCrypto + fetch ${m["WebCrypto + fetch"].toFixed(1)} ms: ${(m["omni-wasm lite"] / m["WebCrypto + fetch"]).toFixed(2)}x (budget: lite <= 35 ms)`);
console.log(`  (an empty worker starts in ${m["empty worker"].toFixed(1)} ms; one that only compiles the lite .wasm in ${m["lite .wasm compiled, unused"].toFixed(1)} ms)`);
