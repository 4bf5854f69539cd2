// Memory over a long watch: a gateway watch of tens of thousands of events must not grow the JS
// heap or the wasm linear memory (issue #12: the gateway used to leave a promise, a listener and
// two closures per body chunk behind, ~+25 MB per 100 000 events). A local server streams the
// same COSI event again and again, one body chunk per event; no timing is asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { OmniClient, Signer, initSync } from "../../pkg/node.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

function retained() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`example.org/label-${i}`, `value-${i}`.repeat(4)]));
const resource = (version) => ({
  metadata: {
    namespace: "default", type: "Clusters.omni.sidero.dev", id: "big", version: String(version),
    owner: "", phase: "running", labels, created: "2026-01-01T00:00:00Z", updated: "2026-01-01T00:00:00Z",
  },
  spec: { proto_spec: "", yaml_spec: "" },
});
// COSI State/Watch (with bookmarks) and Omni's ResourceService/Watch (resources as JSON strings)
const stateLine = (v) => `${JSON.stringify({ result: { event: [{ event_type: 1, resource: resource(v + 1), old: resource(v), bookmark: Buffer.from(`b${v}`).toString("base64") }] } })}\n`;
const rsResource = (v) => { const r = resource(v); r.metadata.version = v; r.spec = { kubernetes_version: "1.32.0" }; return JSON.stringify(r); };
const rsLine = (v) => `${JSON.stringify({ result: { event: { event_type: 2, resource: rsResource(v + 1), old: rsResource(v) } } })}\n`;
const MODES = {
  "State/Watch": { path: "/cosi.resource.State/Watch", head: "{\"result\":{}}\n", line: stateLine, options: { bookmarks: true } },
  "ResourceService/Watch": { path: "/omni.resources.ResourceService/Watch", head: "{\"result\":{\"event\":{\"event_type\":4}}}\n", line: rsLine, options: {} },
};

async function server(events, mode) {
  const s = createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    if (!req.url.endsWith(mode.path)) {
      res.writeHead(404).end(`unexpected ${req.url}`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.write(mode.head);
    const one = mode.line(1);
    for (let i = 0; i < events && !res.destroyed; i++) {
      if (!res.write(one)) await new Promise((ok) => res.once("drain", ok));
    }
    res.end();
  });
  await new Promise((ok) => s.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${s.address().port}`, close: () => s.close() };
}

for (const [name, mode] of Object.entries(MODES)) test(`a long gateway watch (${name}) keeps the JS heap and linear memory flat`, async () => {
  const exports = initSync({ module: readFileSync(new URL("../../pkg/omni_wasm_bg.wasm", import.meta.url)) });
  const FIRST = 5000;
  const LAST = 40000;
  const srv = await server(LAST + 10, mode);
  try {
    const omni = await OmniClient.connect({ endpoint: srv.url, signer: Signer.generateServiceAccount("memory-test") });
    const ac = new AbortController();
    let n = 0;
    let atFirst = 0;
    let linearAtFirst = 0;
    for await (const ev of omni.watch("Clusters.omni.sidero.dev", { ...mode.options, bootstrap: false, signal: ac.signal })) {
      assert.equal(ev.type, "updated");
      assert.equal(ev.resource.metadata.id, "big");
      assert.equal(ev.resource.metadata.version, "2");
      n += 1;
      if (n === FIRST) {
        atFirst = retained();
        linearAtFirst = exports.memory.buffer.byteLength;
      }
      if (n === LAST) break;
    }
    ac.abort();
    const growth = retained() - atFirst;
    const linear = exports.memory.buffer.byteLength - linearAtFirst;
    assert.ok(growth < 1.5e6, `memory grew by ${(growth / 1e6).toFixed(2)} MB over ${LAST - FIRST} events`);
    assert.ok(linear <= 1 << 20, `linear memory grew by ${linear} bytes`);
  } finally {
    srv.close();
  }
});
