// The fault campaign (`make faults`, issue #15; not part of `make test`): the built npm package
// in Node against omni-sim, with a chaos proxy of its own between the client and the server
// (loopback only), on both transports. Prints its figures; exits non-zero when an invariant
// breaks (an event lost or repeated, a write retried blindly, a call left pending).
//
//   1. Watch cuts: the proxy cuts watch responses — mid-frame (after a random number of body
//      bytes), between events (right after a complete NDJSON line or gRPC-web frame) and as a
//      server restart (every connection dropped, new ones refused for a moment) — while a
//      writer creates and updates resources behind the proxy's back. Every resource must be
//      seen created exactly once, and the watch must end on each one's final version.
//   2. UNAVAILABLE bursts on every verb (omni-sim's fault knob): reads recover by retrying;
//      writes fail at once, are never sent twice, and change nothing.
//   3. Latency and timeouts: a call slower than its `timeoutMs` ends with DEADLINE_EXCEEDED when
//      the timeout says, not when the server answers.
//   4. Aborts at random points of list, get and watch calls: every promise settles and no
//      response is left open at the proxy.
//
//   scripts/with-sim.sh node tests/faults/run.mjs     (what `make faults` runs)
//   FAULT_CUTS=30 …                                     cuts per transport and mode (default 35)
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { OmniClient } from "../../pkg/node.js";

const SIM = process.env.OMNI_SIM_URL;
if (!SIM) throw new Error("OMNI_SIM_URL is not set: run through scripts/with-sim.sh (make faults)");
const CUTS = Number(process.env.FAULT_CUTS ?? 35);
const CLUSTER = "Clusters.omni.sidero.dev";
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

async function sim(path, body) {
  const r = await fetch(`${SIM}/_sim/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  if (r.status !== 200) throw new Error(`/_sim/${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// ---------------------------------------------------------------------------------------------
// The chaos proxy: forwards every request to omni-sim; cuts watch responses as `mode` says.

function chaosProxy() {
  const upstream = new URL(SIM);
  const st = { mode: "none", cuts: 0, down: false, inflight: new Set(), lastCut: 0, minGapMs: 150 };
  const cutDue = () => st.mode !== "none" && Date.now() - st.lastCut >= st.minGapMs;
  const cut = (res, ur) => {
    st.cuts += 1;
    st.lastCut = Date.now();
    ur.destroy();
    res.destroy(); // the client sees the body end without its status: a broken stream
  };
  const server = http.createServer((req, res) => {
    if (st.down) { req.socket.destroy(); return; }
    st.inflight.add(res);
    res.on("close", () => st.inflight.delete(res));
    const up = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: upstream.host },
    }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const watch = /\/Watch$/.test(new URL(req.url, "http://x").pathname);
      if (!watch) { ur.pipe(res); return; }
      const grpcWeb = String(ur.headers["content-type"] ?? "").startsWith("application/grpc-web");
      let budget = 100 + Math.floor(Math.random() * 3000); // mid-frame: bytes before the cut
      let boundaries = 1 + Math.floor(Math.random() * 4); // between: events before the cut
      let pending = Buffer.alloc(0); // gRPC-web: bytes of a frame not complete yet
      ur.on("data", (chunk) => {
        if (res.destroyed) return;
        if (st.mode === "midframe" && cutDue()) {
          if (chunk.length > budget) { res.write(chunk.subarray(0, budget)); cut(res, ur); return; }
          budget -= chunk.length;
        } else if (st.mode === "between" && cutDue()) {
          // forward up to the end of the `boundaries`-th complete event, then cut
          let end = -1;
          if (grpcWeb) {
            const all = Buffer.concat([pending, chunk]);
            let at = 0;
            while (at + 5 <= all.length) {
              const len = all.readUInt32BE(at + 1);
              if (at + 5 + len > all.length) break;
              at += 5 + len;
              if (--boundaries === 0) { end = at - pending.length; break; }
            }
            pending = end >= 0 ? Buffer.alloc(0) : all.subarray(at);
          } else {
            for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
              if (--boundaries === 0) { end = i + 1; break; }
            }
          }
          if (end >= 0) { res.write(chunk.subarray(0, end)); cut(res, ur); return; }
        }
        res.write(chunk);
      });
      ur.on("end", () => res.end());
      ur.on("error", () => res.destroy());
    });
    up.on("error", () => res.destroy());
    res.on("close", () => up.destroy());
    req.pipe(up);
  });
  const restart = async () => {
    st.cuts += 1;
    st.lastCut = Date.now();
    st.down = true;
    for (const r of st.inflight) r.destroy();
    server.closeIdleConnections?.();
    await sleep(200 + Math.random() * 300);
    st.down = false;
  };
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}`, st, restart, close: () => { server.closeAllConnections?.(); server.close(); },
  })));
}

// ---------------------------------------------------------------------------------------------
// 1. Watch cuts

async function watchCampaign(proxy, key, transport, bookmarks, mode) {
  const tag = `f${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const writer = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport: "gateway" });
  const watcher = await OmniClient.connect({ endpoint: proxy.url, serviceAccountKey: key, transport, retries: 1000 });
  const created = new Map(); // id -> times seen created
  const version = new Map(); // id -> last version seen
  let outOfOrder = 0;
  const ac = new AbortController();
  let watchError = null;
  const reader = (async () => {
    for await (const ev of watcher.watch("clusters", { selector: `fault=${tag}`, bootstrap: false, bookmarks, signal: ac.signal })) {
      const r = ev.resource;
      if (!r) continue;
      const id = r.metadata.id;
      const v = Number(r.metadata.version);
      if (ev.type === "created") created.set(id, (created.get(id) ?? 0) + 1);
      if (ev.type === "created" || ev.type === "updated") {
        if (version.has(id) && v <= version.get(id)) outOfOrder += 1;
        version.set(id, v);
      }
    }
  })().catch((e) => { if (!ac.signal.aborted) watchError = e; });
  await sleep(300);
  proxy.st.cuts = 0;
  proxy.st.mode = mode === "restart" ? "none" : mode;
  const finalVersion = new Map();
  const t0 = Date.now();
  let i = 0;
  while (proxy.st.cuts < CUTS && Date.now() - t0 < 120_000) {
    const id = `${tag}-${String(i).padStart(4, "0")}`;
    await writer.create({ metadata: { namespace: "default", type: CLUSTER, id, labels: { fault: tag } }, spec: { kubernetes_version: "1.31.0", talos_version: "1.9.1" } });
    finalVersion.set(id, 1);
    if (i % 3 === 0) { // and an update, so that versions move too
      const c = await writer.get(CLUSTER, id);
      const u = await writer.update({ ...c, spec: { ...c.spec, kubernetes_version: "1.32.0" } });
      finalVersion.set(id, Number(u.metadata.version));
    }
    if (mode === "restart" && Date.now() - proxy.st.lastCut > 250) await proxy.restart();
    i += 1;
    await sleep(10);
  }
  proxy.st.mode = "none";
  const cuts = proxy.st.cuts;
  // let the watch catch up with every write
  const caughtUp = () => [...finalVersion].every(([id, v]) => (version.get(id) ?? 0) >= v);
  const deadline = Date.now() + 30_000;
  while (!caughtUp() && Date.now() < deadline && !watchError) await sleep(50);
  ac.abort();
  await reader;
  const lost = [...finalVersion.keys()].filter((id) => !created.has(id)).length;
  const duplicated = [...created.values()].reduce((n, c) => n + c - 1, 0);
  const stale = [...finalVersion].filter(([id, v]) => (version.get(id) ?? 0) !== v).length;
  const row = { transport, watch: bookmarks ? "State (bookmarks)" : "ResourceService", mode, cuts, written: finalVersion.size, lost, duplicated, outOfOrder, stale, error: watchError ? String(watchError.message ?? watchError) : "" };
  check(lost === 0 && duplicated === 0 && outOfOrder === 0 && stale === 0 && !watchError, `watch ${transport} ${row.watch} ${mode}: ${JSON.stringify(row)}`);
  check(cuts >= Math.min(CUTS, 5), `watch ${transport} ${row.watch} ${mode}: only ${cuts} cuts happened`);
  watcher.free?.();
  writer.free?.();
  return row;
}

// ---------------------------------------------------------------------------------------------
// 2. UNAVAILABLE bursts on every verb

async function burstCampaign(key, transport) {
  const reports = [];
  const c = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport, onCall: (r) => reports.push(r) });
  const tag = `b${Date.now().toString(36)}`;
  const existing = `${tag}-x`;
  await c.create({ metadata: { namespace: "default", type: CLUSTER, id: existing }, spec: { kubernetes_version: "1.31.0", talos_version: "1.9.1" } });
  await c.list("clusters"); // types resolved before the burst
  const rows = [];
  const verbs = [
    ["get", "read", () => c.get(CLUSTER, existing)],
    ["list", "read", () => c.list("clusters")],
    ["create", "write", () => c.create({ metadata: { namespace: "default", type: CLUSTER, id: `${tag}-new` }, spec: { kubernetes_version: "1.31.0", talos_version: "1.9.1" } })],
    ["update", "write", async () => { const r = await c.get(CLUSTER, existing); await sim("faults", { unavailable_first: 2 }); return c.update({ ...r, spec: { ...r.spec, kubernetes_version: "1.32.0" } }); }],
    ["delete", "write", () => c.delete(CLUSTER, existing)],
  ];
  for (const [verb, kind, run] of verbs) {
    await sim("faults", { unavailable_first: 2 });
    const before = reports.length;
    let outcome = "OK";
    try { await run(); } catch (e) { outcome = e.code ?? String(e); }
    await sim("faults", {});
    const mine = reports.slice(before).filter((r) => !r.method.endsWith("/Get") || verb === "get" || verb === "update");
    // a list may take several calls (pages): the burst hits the first; a write is one call
    const retries = kind === "read" ? Math.max(0, ...mine.map((r) => r.retries)) : mine.filter((r) => !r.method.endsWith("/Get")).reduce((n, r) => n + r.retries, 0);
    let unchanged = "";
    if (kind === "write") {
      if (verb === "create") unchanged = String((await c.get(CLUSTER, `${tag}-new`)) === null);
      if (verb === "update") unchanged = String((await c.get(CLUSTER, existing)).spec.kubernetes_version === "1.31.0");
      if (verb === "delete") unchanged = String((await c.get(CLUSTER, existing)) !== null);
    }
    rows.push({ transport, verb, kind, outcome, retries, unchanged });
    if (kind === "read") check(outcome === "OK" && retries === 2, `burst ${transport} ${verb}: ${outcome}, ${retries} retries`);
    else check(outcome === "UNAVAILABLE" && retries === 0 && unchanged === "true", `burst ${transport} ${verb}: ${outcome}, ${retries} retries, unchanged ${unchanged}`);
  }
  c.free?.();
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 3. Latency and timeouts; 4. aborts at random points

async function timeoutCampaign(key, transport) {
  const c = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport, retries: 0 });
  await c.list("clusters");
  await sim("faults", { latency_ms: 600 });
  const t0 = performance.now();
  let code = "OK";
  try { await c.list("clusters", { timeoutMs: 150 }); } catch (e) { code = e.code; }
  const ms = performance.now() - t0;
  await sim("faults", {});
  check(code === "DEADLINE_EXCEEDED" && ms < 500, `timeout ${transport}: ${code} after ${ms.toFixed(0)} ms`);
  c.free?.();
  return { transport, latencyMs: 600, timeoutMs: 150, outcome: code, endedAfterMs: Math.round(ms) };
}

async function abortCampaign(proxy, key, transport, n = 60) {
  const c = await OmniClient.connect({ endpoint: proxy.url, serviceAccountKey: key, transport });
  await c.list("clusters");
  let settled = 0;
  const calls = [];
  for (let i = 0; i < n; i++) {
    const ac = new AbortController();
    const kind = ["list", "get", "watch"][i % 3];
    const p = kind === "list" ? c.list("clusters", { signal: ac.signal })
      : kind === "get" ? c.get(CLUSTER, "none", { signal: ac.signal })
      : (async () => { for await (const _ of c.watch("clusters", { signal: ac.signal })) { /* until aborted */ } })();
    calls.push(p.then(() => {}, () => {}).finally(() => { settled += 1; }));
    setTimeout(() => ac.abort(), Math.random() * 40);
  }
  const t0 = Date.now();
  await Promise.race([Promise.all(calls), sleep(5_000)]);
  const pending = n - settled;
  await sleep(500); // the connections of aborted calls close
  const open = proxy.st.inflight.size;
  check(pending === 0, `aborts ${transport}: ${pending} calls still pending`);
  check(open === 0, `aborts ${transport}: ${open} responses still open at the proxy`);
  c.free?.();
  return { transport, calls: n, settledWithinMs: Date.now() - t0 - 500, pending, openAtProxy: open };
}

// ---------------------------------------------------------------------------------------------

const { key } = await sim("service-account", { name: `faults-${Date.now()}`, role: "Admin" });
const proxy = await chaosProxy();
const t0 = Date.now();
const watchRows = [];
for (const transport of ["gateway", "grpc-web"]) {
  for (const bookmarks of [false, true]) {
    for (const mode of ["midframe", "between", "restart"]) {
      watchRows.push(await watchCampaign(proxy, key, transport, bookmarks, mode));
      console.error(`faults: watch ${transport} ${bookmarks ? "bookmarks" : "default"} ${mode} done (${Math.round((Date.now() - t0) / 1000)} s)`);
    }
  }
}
const burstRows = [];
const timeoutRows = [];
const abortRows = [];
for (const transport of ["gateway", "grpc-web"]) {
  burstRows.push(...await burstCampaign(key, transport));
  timeoutRows.push(await timeoutCampaign(key, transport));
  abortRows.push(await abortCampaign(proxy, key, transport));
}
proxy.close();

const table = (rows) => {
  const cols = Object.keys(rows[0]);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals) => vals.map((v, i) => String(v).padEnd(w[i])).join("  ").trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c])))].join("\n");
};
console.log("\n1. watch cuts (written: resources created during the cuts; every one must be seen created once, at its final version)");
console.log(table(watchRows));
const totalCuts = watchRows.reduce((n, r) => n + r.cuts, 0);
const lost = watchRows.reduce((n, r) => n + r.lost, 0);
const dup = watchRows.reduce((n, r) => n + r.duplicated, 0);
console.log(`total: ${totalCuts} cuts, ${watchRows.reduce((n, r) => n + r.written, 0)} resources, ${lost} lost, ${dup} duplicated`);
console.log("\n2. UNAVAILABLE bursts (2 per method): reads retried, writes surfaced at once and never resent");
console.log(table(burstRows));
console.log(`blind write retries: ${burstRows.filter((r) => r.kind === "write").reduce((n, r) => n + r.retries, 0)}`);
console.log("\n3. latency above the call's timeout");
console.log(table(timeoutRows));
console.log("\n4. aborts at random points (list, get, watch)");
console.log(table(abortRows));
console.log(`\nfaults: ${failures.length ? `${failures.length} FAILED:\n  ${failures.join("\n  ")}` : "every invariant held"} (${Math.round((Date.now() - t0) / 1000)} s)`);
process.exit(failures.length ? 1 : 0);
