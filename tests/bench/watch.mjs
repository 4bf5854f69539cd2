// Benchmark: a watch of MachineStatuses, time per event and memory over a long watch, side by
// side in one run.
//
//   gateway:  omni-wasm watch()  vs  an NDJSON reader of ResourceService/Watch (Omni's own UI:
//             JSON.parse of each line and of its resource string)
//   grpc-web: omni-wasm watch()  vs  connect-web + protobuf-es (State/Watch, specs decoded)
//
// omni-wasm's watch() reads ResourceService/Watch by default and State/Watch with
// `bookmarks: true` (every event with a bookmark; specs decoded in the wasm): both are shown.
//
// Real UPDATED events are recorded once from omni-sim; the loopback server then streams the
// recorded head followed by the recorded event repeated as often as needed, so every contender
// reads the same kind of bytes at full speed. Each contender runs in its own process: median
// time per event over RUNS watches of N events, then one watch of LONG events with memory
// (after a GC) at N and at LONG events. Prints; never asserts.
import { join } from "node:path";
import {
  ROOT, SIM, MS, child, connectWeb, omniWasm, loadRecordings, mb, median, putMachine, recording, replayServer,
  retained, saveRecordings, seed, serviceAccount, keyOf,
} from "./lib.mjs";

const N = Number(process.env.BENCH_WATCH_N ?? 10000);
const LONG = Number(process.env.BENCH_WATCH_LONG ?? 100000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REC = join(ROOT, "target/bench/watch.json");
const SCRIPT = new URL(import.meta.url).pathname;
const GW_STATE = keyOf("/api/cosi.resource.State/Watch", Buffer.from(MS));
const GW_RS = keyOf("/api/omni.resources.ResourceService/Watch", Buffer.from(MS));
const WEB_STATE = keyOf("/cosi.resource.State/Watch", Buffer.from(MS));
const WEB_RS = keyOf("/omni.resources.ResourceService/Watch", Buffer.from(MS));

/** Split a recorded body into messages: NDJSON lines or gRPC-web data frames. */
function messages(buf, grpcWeb) {
  const out = [];
  if (grpcWeb) {
    for (let i = 0; i + 5 <= buf.length;) {
      const len = buf.readUInt32BE(i + 1);
      if (i + 5 + len > buf.length) break;
      if ((buf[i] & 0x80) === 0) out.push(buf.subarray(i, i + 5 + len));
      i += 5 + len;
    }
  } else {
    for (const line of buf.toString("utf8").split("\n")) if (line.trim()) out.push(Buffer.from(`${line}\n`));
  }
  return out;
}

/**
 * The stream a contender reads: the recorded head (State: the first message; ResourceService:
 * its snapshot up to BOOTSTRAPPED), then the last recorded event `count` times.
 */
function stream(rec, key, count) {
  const msgs = messages(Buffer.from(rec[key].body, "base64"), !key.startsWith("/api/"));
  if (msgs.length < 2) throw new Error(`recording of ${key} has no event`);
  // the BOOTSTRAPPED marker: JSON with event_type 4, or a gRPC-web frame without a resource
  const marker = (m) => (key.startsWith("/api/") ? /"event_type":(4|"BOOTSTRAPPED")/.test(m.toString()) : !m.includes(0x7b));
  const boot = key.includes("ResourceService") ? msgs.findIndex(marker) : 0;
  if (boot < 0) throw new Error(`recording of ${key} has no BOOTSTRAPPED`);
  const head = Buffer.concat(msgs.slice(0, boot + 1));
  const ev = msgs[msgs.length - 1];
  const batch = Buffer.concat(Array(64).fill(ev));
  return async function* body() {
    yield head;
    let left = count;
    while (left >= 64) {
      yield batch;
      left -= 64;
    }
    for (; left > 0; left--) yield ev;
  };
}

/** One contender in a child: per-event time over RUNS watches of N, memory over LONG. */
async function contender(side, url, key) {
  let open; // (signal) => AsyncIterable of events
  let linear = () => 0;
  if (side.startsWith("wasm-")) {
    let omni;
    ({ omni, linear } = await omniWasm(url, key, side.startsWith("wasm-gateway") ? "gateway" : "grpc-web"));
    const bookmarks = side.endsWith("-bookmarks");
    open = (signal) => omni.watch(MS, { bootstrap: false, bookmarks, signal });
  } else if (side === "js-gateway") {
    open = async function* (signal) {
      const r = await fetch(`${url}/api/omni.resources.ResourceService/Watch`, {
        method: "POST", signal,
        headers: { "content-type": "application/json", "grpc-metadata-runtime": "Omni" },
        body: JSON.stringify({ namespace: "default", type: MS }),
      });
      let buf = "";
      for await (const chunk of r.body.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line).result.event;
          if (!ev.resource) continue; // the BOOTSTRAPPED marker
          yield { type: ev.event_type, resource: ev.resource ? JSON.parse(ev.resource) : null, old: ev.old ? JSON.parse(ev.old) : null };
        }
      }
    };
  } else if (side === "js-grpc-web") {
    const { client, spec, fromBinary } = await connectWeb(url);
    const res = (r) => (r ? { metadata: r.metadata, spec: fromBinary(spec, r.spec.protoSpec) } : null);
    open = async function* (signal) {
      for await (const m of client.watch({ namespace: "default", type: MS, options: {}, apiVersion: 1 }, { signal })) {
        for (const ev of m.event) yield { type: ev.eventType, resource: res(ev.resource), old: res(ev.old), bookmark: ev.bookmark };
      }
    };
  } else {
    throw new Error(`unknown side ${side}`);
  }
  // consume `count` events; `at(n)` is called after event n
  const run = async (count, at = () => {}) => {
    const ac = new AbortController();
    let n = 0;
    let last = null;
    for await (const ev of open(ac.signal)) {
      if (!ev.resource?.spec) throw new Error(`event without a resource spec: ${JSON.stringify(ev).slice(0, 200)}`);
      last = ev;
      n += 1;
      at(n);
      if (n >= count) break;
    }
    ac.abort();
    if (n < count) throw new Error(`stream ended after ${n} events`);
    return last;
  };
  await run(Math.min(N, 2000)); // warm-up
  const per = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(N);
    per.push(((performance.now() - t0) * 1000) / N);
  }
  let memAtN = 0;
  let memAtLong = 0;
  let linAtN = 0;
  let linAtLong = 0;
  await run(LONG, (n) => {
    if (n === N) { memAtN = retained(); linAtN = linear(); }
    if (n === LONG) { memAtLong = retained(); linAtLong = linear(); }
  });
  return { usPerEvent: median(per), growthMb: Number(mb(memAtLong - memAtN)), linearGrowthMb: Number(mb(linAtLong - linAtN)) };
}

if (process.argv[2] === "child") {
  const [, , , side, url] = process.argv;
  console.log(JSON.stringify(await contender(side, url, process.env.BENCH_KEY)));
  process.exit(0);
}

// ---- parent: record once, replay, compare ----
let rec = loadRecordings(REC);
const key = SIM ? await serviceAccount(`bench-watch-${process.pid}`) : "";
if (!rec) {
  if (!SIM) throw new Error("no recording yet and OMNI_SIM_URL unset: run through scripts/with-sim.sh");
  console.error("bench: recording watch events from omni-sim");
  await seed(8);
  const { OmniClient, Signer } = await import(join(ROOT, "pkg/node.js"));
  const changes = async () => {
    await new Promise((ok) => setTimeout(ok, 300));
    for (let v = 0; v < 3; v++) await putMachine(v, `1.9.${v + 2}`);
  };
  rec = await recording(async () => {
    // ResourceService/Watch (the default) and State/Watch (bookmarks) over both transports
    for (const transport of ["gateway", "grpc-web"]) for (const bookmarks of [false, true]) {
      const omni = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport });
      const ac = new AbortController();
      const c = changes();
      let n = 0;
      for await (const ev of omni.watch(MS, { bootstrap: false, bookmarks, signal: ac.signal })) {
        if (ev.type === "updated" && ++n >= 3) break;
      }
      ac.abort();
      await c;
    }
    // Omni's UI: ResourceService/Watch over the gateway, signed the same way
    const signer = Signer.fromServiceAccountKey(key);
    const md = { runtime: "Omni" };
    const method = "/omni.resources.ResourceService/Watch";
    const headers = { "content-type": "application/json" };
    for (const [k, v] of Object.entries({ ...md, ...(await signer.signGrpc(method, md)) })) headers[`grpc-metadata-${k}`] = v;
    const ac = new AbortController();
    const r = await fetch(`${SIM}/api${method}`, { method: "POST", headers, signal: ac.signal, body: JSON.stringify({ namespace: "default", type: MS }) });
    const c = changes();
    let text = "";
    for await (const chunk of r.body.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if ((text.match(/UPDATED|"event_type":2/g) ?? []).length >= 3) break;
    }
    ac.abort();
    await c;
  });
  saveRecordings(REC, rec);
}
const server = await replayServer(rec, {
  [GW_STATE]: stream(rec, GW_STATE, LONG + 100),
  [GW_RS]: stream(rec, GW_RS, LONG + 100),
  [WEB_STATE]: stream(rec, WEB_STATE, LONG + 100),
  [WEB_RS]: stream(rec, WEB_RS, LONG + 100),
});
const results = {};
// BENCH_SIDES=wasm-gateway,js-gateway runs only those contenders (for profiling)
const sides = process.env.BENCH_SIDES?.split(",") ??
  ["js-gateway", "wasm-gateway", "wasm-gateway-bookmarks", "js-grpc-web", "wasm-grpc-web", "wasm-grpc-web-bookmarks"];
for (const side of sides) {
  results[side] = await child(SCRIPT, ["child", side, server.url], key);
}
server.close();
console.log(`watch MachineStatuses: time per event (median of ${RUNS} watches of ${N}); memory growth from ${N} to ${LONG} events (after GC)`);
for (const [wasm, js, label] of [
  ["wasm-gateway", "js-gateway", "gateway  NDJSON reader"],
  ["wasm-gateway-bookmarks", "js-gateway", "  (bookmarks: State/Watch)"],
  ["wasm-grpc-web", "js-grpc-web", "grpc-web connect-web+protobuf-es"],
  ["wasm-grpc-web-bookmarks", "js-grpc-web", "  (bookmarks: State/Watch)"],
]) {
  const w = results[wasm];
  const j = results[js];
  if (!w || !j) continue;
  console.log(`  ${label.padEnd(33)} omni-wasm ${w.usPerEvent.toFixed(1)} µs vs ${j.usPerEvent.toFixed(1)} µs: ${(w.usPerEvent / j.usPerEvent).toFixed(2)}x (goal <= 1.2x); ` +
    `memory ${w.growthMb >= 0 ? "+" : ""}${w.growthMb} MB vs ${j.growthMb >= 0 ? "+" : ""}${j.growthMb} MB (goal flat ±1 MB), linear memory +${w.linearGrowthMb} MB`);
}
