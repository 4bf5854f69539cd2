// A closed gateway watch must close its connection (issue #15): Node's fetch copies a Request
// object it is given, and the copy lost the abort once the original was garbage-collected, so
// a watch closed right after a GC stayed open on the server. The transport now passes the URL
// and the init (with the signal) to fetch itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { OmniClient, Signer } from "../../pkg/node.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const TYPE = "Clusters.omni.sidero.dev";
const event = (v) => `${JSON.stringify({ result: { event: { event_type: v === 0 ? 4 : 1, resource: v === 0 ? "" : JSON.stringify({ metadata: { id: `c${v}`, version: 1 }, spec: {} }) } } })}\n`;

test("closing a gateway watch after a garbage collection closes the connection", async () => {
  let open = 0;
  const closed = [];
  const s = createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    open += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.write(event(1));
    res.write(event(0));
    res.on("close", () => closed.push(Date.now())); // the client went away
    // ...and then nothing: the stream stays open until the client closes it
  });
  await new Promise((ok) => s.listen(0, "127.0.0.1", ok));
  try {
    const omni = await OmniClient.connect({ endpoint: `http://127.0.0.1:${s.address().port}`, signer: Signer.generateServiceAccount("abort-test") });
    for (let round = 0; round < 5; round++) {
      const watch = omni.watch(TYPE, { bootstrap: true });
      const it = watch[Symbol.asyncIterator]();
      assert.equal((await it.next()).value.type, "created");
      assert.equal((await it.next()).value.type, "bootstrapped");
      gc();
      gc();
      const before = closed.length;
      watch.close();
      await it.return();
      const deadline = Date.now() + 3000;
      while (closed.length === before && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
      assert.equal(closed.length, before + 1, `round ${round}: the server still holds the watch`);
    }
    assert.equal(open, 5);
  } finally {
    s.closeAllConnections();
    s.close();
  }
});

// One AbortSignal for a dashboard's whole life: every call hooks the call's own cancel token
// to it and unhooks when the call is over, so the signal never collects listeners.
test("a long-lived AbortSignal keeps no listener once its calls are over, and still aborts", async () => {
  const { getEventListeners } = await import("node:events");
  const s = createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    res.writeHead(200, { "content-type": "application/json" });
    if (req.url.endsWith("/Watch")) {
      res.write(event(1));
      res.write(event(0));
      return; // held open until the client leaves
    }
    res.end(JSON.stringify({ items: [] }));
  });
  await new Promise((ok) => s.listen(0, "127.0.0.1", ok));
  try {
    const omni = await OmniClient.connect({ endpoint: `http://127.0.0.1:${s.address().port}`, signer: Signer.generateServiceAccount("abort-test") });
    const ctrl = new AbortController();
    const listeners = () => getEventListeners(ctrl.signal, "abort").length;
    for (let i = 0; i < 20; i++) await omni.list(TYPE, { signal: ctrl.signal }).catch(() => {});
    await new Promise((ok) => setTimeout(ok, 0));
    gc();
    assert.equal(listeners(), 0, "listeners left behind by finished calls");
    // a watch holds one while it runs; the signal ends it
    const it = omni.watch(TYPE, { bootstrap: true, signal: ctrl.signal })[Symbol.asyncIterator]();
    assert.equal((await it.next()).value.type, "created");
    assert.equal(listeners(), 1);
    ctrl.abort();
    const end = await Promise.race([it.next().then(() => "ended", () => "ended"), new Promise((ok) => setTimeout(() => ok("hung"), 2000))]);
    assert.equal(end, "ended");
  } finally {
    s.closeAllConnections();
    s.close();
  }
});
