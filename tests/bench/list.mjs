// Benchmark: list 10 000 MachineStatuses into JS objects, side by side in one run.
//
//   gateway:  omni-wasm list()  vs  fetch + JSON.parse of ResourceService/List (Omni's own UI)
//   grpc-web: omni-wasm list()  vs  connect-web + protobuf-es (State/List, specs decoded with
//             their message schema from descriptors generated from proto/)
//
// The responses are recorded once from omni-sim and replayed from a loopback server, so every
// contender reads the same bytes. Each contender runs in its own process (memory figures do not
// mix): medians of RUNS runs, then the memory retained by the last result after a GC, and the
// growth of wasm linear memory. Prints; never asserts.
//
//   scripts/with-sim.sh node tests/bench/list.mjs        (what `make bench` runs)
import { join } from "node:path";
import {
  ROOT, SIM, MS, child, connectWeb, omniWasm, loadRecordings, mb, median, recording, replayServer, retained,
  saveRecordings, seed, serviceAccount,
} from "./lib.mjs";

const N = Number(process.env.BENCH_LIST_N ?? 10000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REC = join(ROOT, `target/bench/list-${N}.json`);
const SCRIPT = new URL(import.meta.url).pathname;

async function timeRuns(fn) {
  await fn(); // warm-up
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** One contender, in a child process: `{ ms, retainedMb, linearMb, count }`. */
async function contender(side, url, key) {
  let list;
  let linear = () => 0;
  if (side.startsWith("wasm-")) {
    let omni;
    ({ omni, linear } = await omniWasm(url, key, side === "wasm-gateway" ? "gateway" : "grpc-web"));
    list = () => omni.list(MS);
  } else if (side === "js-gateway") {
    list = async () => {
      const r = await fetch(`${url}/api/omni.resources.ResourceService/List`, {
        method: "POST",
        headers: { "content-type": "application/json", "grpc-metadata-runtime": "Omni" },
        body: JSON.stringify({ namespace: "default", type: MS }),
      });
      if (r.status !== 200) throw new Error(`ResourceService/List: HTTP ${r.status}`);
      const body = await r.json();
      return body.items.map((s) => JSON.parse(s));
    };
  } else if (side === "js-grpc-web") {
    const { client, spec, fromBinary } = await connectWeb(url);
    list = async () => {
      const out = [];
      for await (const m of client.list({ namespace: "default", type: MS, options: {} })) {
        const r = m.resource;
        out.push({ metadata: r.metadata, spec: fromBinary(spec, r.spec.protoSpec) });
      }
      return out;
    };
  } else {
    throw new Error(`unknown side ${side}`);
  }
  const lin0 = linear();
  const first = await list();
  const ms = await timeRuns(list);
  let kept = null;
  const base = retained();
  kept = await list();
  const after = retained();
  const count = kept.length;
  if (count !== first.length) throw new Error("lists differ between runs");
  return { ms, retainedMb: Number(mb(after - base)), linearMb: Number(mb(linear() - lin0)), linearTotalMb: Number(mb(linear())), count };
}

if (process.argv[2] === "child") {
  const [, , , side, url] = process.argv;
  console.log(JSON.stringify(await contender(side, url, process.env.BENCH_KEY)));
  process.exit(0);
}

// ---- parent: record (once per N), replay, compare ----
let rec = loadRecordings(REC);
const key = SIM ? await serviceAccount(`bench-${process.pid}`) : null;
if (!rec) {
  if (!SIM) throw new Error("no recording yet and OMNI_SIM_URL unset: run through scripts/with-sim.sh");
  console.error(`bench: seeding ${N} MachineStatuses into omni-sim and recording the responses`);
  await seed(N);
  const { OmniClient, Signer } = await import(join(ROOT, "pkg/node.js"));
  rec = await recording(async () => {
    for (const transport of ["gateway", "grpc-web"]) {
      const omni = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport });
      await omni.list(MS);
    }
    // State/List over gRPC-web, which connect-web reads (omni-wasm reads it only for an id
    // regexp; the recording key is path and type, so this answer serves connect-web's request)
    const web = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport: "grpc-web" });
    await web.list(MS, { idMatchRegexp: "^" });
    // what Omni's UI sends (signed the same way)
    const signer = Signer.fromServiceAccountKey(key);
    const md = { runtime: "Omni" };
    const method = "/omni.resources.ResourceService/List";
    const headers = { "content-type": "application/json" };
    for (const [k, v] of Object.entries({ ...md, ...(await signer.signGrpc(method, md)) })) headers[`grpc-metadata-${k}`] = v;
    const r = await fetch(`${SIM}/api${method}`, { method: "POST", headers, body: JSON.stringify({ namespace: "default", type: MS }) });
    if (r.status !== 200) throw new Error(`${method}: HTTP ${r.status}`);
    await r.arrayBuffer();
  });
  saveRecordings(REC, rec);
}
const server = await replayServer(rec);
const keyArg = key ?? "";
const row = async (side) => child(SCRIPT, ["child", side, server.url], keyArg);
const results = {};
// BENCH_SIDES=wasm-grpc-web,js-grpc-web runs only those contenders (for profiling)
const sides = process.env.BENCH_SIDES?.split(",") ?? ["js-gateway", "wasm-gateway", "js-grpc-web", "wasm-grpc-web"];
for (const side of sides) {
  results[side] = await row(side);
}
server.close();

const r = (a, b) => (results[a].ms / results[b].ms).toFixed(2);
const m = (a, b) => (results[a].retainedMb / Math.max(results[b].retainedMb, 0.1)).toFixed(2);
console.log(`list ${N} MachineStatuses → JS objects (median of ${RUNS}; memory retained by one result after GC)`);
for (const [wasm, js, label] of [["wasm-gateway", "js-gateway", "gateway  fetch+JSON.parse"], ["wasm-grpc-web", "js-grpc-web", "grpc-web connect-web+protobuf-es"]]) {
  const w = results[wasm];
  const j = results[js];
  if (!w || !j) continue;
  console.log(`  ${label.padEnd(33)} omni-wasm ${w.ms.toFixed(0)} ms vs ${j.ms.toFixed(0)} ms: ${r(wasm, js)}x (goal <= 1.0x); ` +
    `retained ${w.retainedMb} MB vs ${j.retainedMb} MB: ${m(wasm, js)}x (goal <= 1.5x); ` +
    `linear memory +${w.linearMb} MB over ${RUNS + 3} lists (goal <= 16 MB)`);
}
