// Gateway streams are read by the JS engine (issue #12): the body is decoded as it arrives,
// split at newlines and each line parsed with JSON.parse. A local server sends a
// ResourceService/Watch body in 7-byte chunks, so that lines and multi-byte UTF-8 characters
// are cut across chunks, and ends it with an error line; events must arrive whole and in order,
// and the error with its code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { OmniClient, OmniError, Signer } from "../../pkg/node.js";

const TYPE = "Clusters.omni.sidero.dev";
const resource = (version) => JSON.stringify({
  metadata: { namespace: "default", type: TYPE, id: "straße-☃", version, phase: "running", labels: { note: "日本語 ✓" } },
  spec: { kubernetes_version: `1.32.${version}` },
});
const line = (obj) => `${JSON.stringify(obj)}\n`;

async function server(body) {
  const s = createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    if (!req.url.endsWith("/omni.resources.ResourceService/Watch")) {
      res.writeHead(404).end(`unexpected ${req.url}`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length && !res.destroyed; i += 7) {
      res.write(bytes.subarray(i, i + 7));
      await new Promise((ok) => setImmediate(ok)); // one chunk at a time
    }
    res.end();
  });
  await new Promise((ok) => s.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${s.address().port}`, close: () => s.close() };
}

test("a gateway watch reads lines and UTF-8 characters cut across body chunks, then the error line", async () => {
  const body = [
    line({ result: { event: { event_type: 1, resource: resource(1) } } }),
    line({ result: { event: { event_type: 4 } } }),
    "\n", // a blank line is skipped
    line({ result: { event: { event_type: 2, resource: resource(2), old: resource(1) } } }),
    line({ result: { event: { event_type: 2, resource: resource(3), old: resource(2) } } }),
    line({ error: { code: 7, message: "denied: täst" } }),
  ].join("");
  const srv = await server(body);
  try {
    const omni = await OmniClient.connect({ endpoint: srv.url, signer: Signer.generateServiceAccount("lines-test"), retries: 0 });
    const seen = [];
    const err = await (async () => {
      try {
        for await (const ev of omni.watch(TYPE, { bootstrap: true })) seen.push(ev);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.deepEqual(seen.map((e) => [e.type, e.resource?.metadata.version, e.old?.metadata.version]), [
      ["created", "1", undefined],
      ["bootstrapped", undefined, undefined],
      ["updated", "2", "1"],
      ["updated", "3", "2"],
    ]);
    assert.equal(seen[2].resource.metadata.id, "straße-☃");
    assert.equal(seen[2].resource.metadata.labels.note, "日本語 ✓");
    assert.equal(seen[3].resource.spec.kubernetes_version, "1.32.3");
    assert.ok(err instanceof OmniError, `expected an OmniError, got ${err}`);
    assert.equal(err.code, "PERMISSION_DENIED");
    assert.match(err.message, /denied: täst/);
  } finally {
    srv.close();
  }
});
