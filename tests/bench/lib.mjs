// Shared pieces of the side-by-side benchmarks (`make bench`): realistic resources seeded into
// omni-sim, responses recorded once from it, a loopback server that replays the same bytes to
// every contender, child processes per contender (so memory figures do not mix), medians.
// Prints figures; never asserts a speed.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const SIM = process.env.OMNI_SIM_URL;
export const MS = "MachineStatuses.omni.sidero.dev";

/** A MachineStatus spec shaped like a real one (hardware, network, platform). */
export function machineStatus(i, version = "1.9.1") {
  const cores = [4, 8, 16, 32][i % 4];
  const mem = [8192, 16384, 32768, 65536][i % 4];
  const disk = [256, 512, 1024, 2048][i % 4] * 1_000_000_000;
  const hex = (n, w) => n.toString(16).padStart(w, "0");
  return {
    talos_version: `v${version}`,
    hardware: {
      processors: [{ core_count: cores, thread_count: cores * 2, frequency: 2900, description: "AMD EPYC 7543P", manufacturer: "Advanced Micro Devices, Inc." }],
      memory_modules: [{ size_mb: mem, description: "DDR4" }],
      blockdevices: [{ size: String(disk), model: "Samsung SSD 980", linux_name: "/dev/nvme0n1", name: "nvme0n1", serial: `S5GX${String(i).padStart(6, "0")}`, type: "NVME", system_disk: true, transport: "nvme", pretty_size: `${disk / 1e9} GB` }],
      arch: "amd64",
    },
    network: {
      hostname: `talos-${hex(i, 5)}`,
      addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/16`],
      default_gateways: ["10.0.0.1"],
      network_links: [{ linux_name: "eth0", hardware_address: `52:54:00:${hex((i >> 16) & 255, 2)}:${hex((i >> 8) & 255, 2)}:${hex(i & 255, 2)}`, speed_mbps: 10000, link_up: true }],
    },
    management_address: `fdae:41e4:649b:9303::${hex(100 + i, 1)}`,
    connected: i % 7 !== 0,
    maintenance: i % 5 === 0,
    cluster: i % 5 === 0 ? "" : `cluster-${i % 20}`,
    role: i % 5 === 0 ? 0 : 1 + (i % 2),
    platform_metadata: { platform: i % 3 === 0 ? "metal" : "aws", region: i % 2 === 0 ? "eu-central-1" : "us-east-1", zone: "a" },
    power_state: 2,
  };
}

export function machineLabels(i) {
  const l = {
    "omni.sidero.dev/arch": "amd64",
    "omni.sidero.dev/cores": String([4, 8, 16, 32][i % 4]),
    "omni.sidero.dev/platform": i % 3 === 0 ? "metal" : "aws",
    "omni.sidero.dev/region": i % 2 === 0 ? "eu-central-1" : "us-east-1",
  };
  if (i % 7 !== 0) l["omni.sidero.dev/connected"] = "";
  if (i % 5 !== 0) l["omni.sidero.dev/cluster"] = `cluster-${i % 20}`;
  return l;
}

export const machineId = (i) => `${i.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

async function simPost(path, body) {
  const r = await fetch(`${SIM}/_sim/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`/_sim/${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Create or change one MachineStatus as its controller would. */
export function putMachine(i, version) {
  return simPost("resource", {
    type: MS, id: machineId(i), create: true, owner: "MachineStatusController",
    set_labels: machineLabels(i), spec: machineStatus(i, version),
  });
}

/** Seed `n` MachineStatuses (a few in flight at once). */
export async function seed(n) {
  const inflight = 16;
  let next = 0;
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < n) await putMachine(next++);
  }));
}

export const serviceAccount = async (name) => (await simPost("service-account", { name, role: "Admin" })).key;

/** The resource type a request body names (JSON or protobuf), to tell recordings apart. */
export function typeIn(body) {
  const m = /[A-Z][A-Za-z]+\.[a-z][a-z.]*\.dev/.exec(Buffer.from(body).toString("latin1"));
  return m ? m[0] : "";
}

/**
 * The recording key of a request: path and the type it names; for gRPC-web ResourceService
 * pages also a hash of the body (which carries offset and limit).
 */
export const keyOf = (path, body) => path === "/omni.resources.ResourceService/List"
  ? `${path}#${typeIn(body)}#${createHash("sha1").update(Buffer.from(body)).digest("hex").slice(0, 12)}`
  : `${path}#${typeIn(body)}`;

/**
 * Record every response the code in `fn` fetches: key → { status, headers, body (base64) }.
 * Wraps the global `fetch` (the wasm imports it at call time). Unary and finite streams only.
 */
export async function recording(fn) {
  const out = {};
  const pending = [];
  const orig = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const req = new Request(input, init);
    const reqBody = Buffer.from(await req.clone().arrayBuffer());
    const res = await orig(req);
    const key = keyOf(new URL(req.url).pathname, reqBody);
    const headers = [...res.headers].filter(([k]) => !["content-length", "transfer-encoding", "date", "connection", "keep-alive"].includes(k));
    if (!res.body) {
      out[key] = { status: res.status, headers, body: "" };
      return res;
    }
    // tee the body: what has arrived is on record even when the caller aborts a stream
    const [mine, theirs] = res.body.tee();
    const chunks = [];
    pending.push((async () => {
      try {
        for await (const c of mine) {
          chunks.push(Buffer.from(c));
          out[key] = { status: res.status, headers, body: Buffer.concat(chunks).toString("base64") };
        }
      } catch { /* aborted: keep what arrived */ }
    })());
    out[key] = { status: res.status, headers, body: "" };
    return new Response(theirs, { status: res.status, headers: res.headers });
  };
  try {
    await fn();
    // every tee has its whole body, or what came before an abort (a gRPC-web client may leave
    // the end of a body unread once it has the trailers: give up waiting after a second)
    await Promise.race([Promise.all(pending), new Promise((ok) => setTimeout(ok, 1000))]);
  } finally {
    globalThis.fetch = orig;
  }
  return out;
}

export function saveRecordings(file, rec) {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, JSON.stringify(rec));
}

export const loadRecordings = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null);

/**
 * A loopback server that answers each recorded request with its recorded bytes (in 64 KiB
 * writes, as a streaming server would); `bodies[key]` may override a body with a Buffer or a function
 * returning an async iterable of Buffers (long watch streams made on the fly).
 */
export async function replayServer(rec, bodies = {}) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const path = new URL(req.url, "http://x").pathname;
    const key = keyOf(path, Buffer.concat(chunks));
    const r = rec[key] ?? rec[`${path}#`];
    if (!r) {
      res.writeHead(404).end(`not recorded: ${key}`);
      return;
    }
    res.writeHead(r.status, Object.fromEntries(r.headers));
    const body = bodies[key] ?? Buffer.from(r.body, "base64");
    if (typeof body === "function") {
      for await (const chunk of body()) {
        if (!res.write(chunk)) await new Promise((ok) => res.once("drain", ok));
      }
    } else {
      for (let i = 0; i < body.length; i += 65536) {
        if (!res.write(body.subarray(i, i + 65536))) await new Promise((ok) => res.once("drain", ok));
      }
    }
    res.end();
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Run this script again as a child (`--expose-gc`) with `args`; resolves to its JSON line. */
export function child(script, args, key) {
  return new Promise((resolve, reject) => {
    // the key travels in the environment, never on a command line
    const env = { ...process.env, BENCH_KEY: key ?? "" };
    // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=target/prof") profiles the contenders
    const extra = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const p = spawn(process.execPath, ["--expose-gc", ...extra, script, ...args], { stdio: ["ignore", "pipe", "inherit"], env });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${script} ${args.join(" ")} exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()));
      } catch (e) {
        reject(new Error(`bad child output: ${out}`));
      }
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** JS heap + external memory (ArrayBuffers, wasm linear memory), bytes, after a full GC. */
export function retained() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export const mb = (b) => (b / 1e6).toFixed(1);

/**
 * What a JS developer uses for gRPC-web: connect-web + protobuf-es with descriptors generated
 * from proto/ (`make descriptor`): a `cosi.resource.State` client and the MachineStatus schema.
 */
export async function connectWeb(url) {
  const nm = join(ROOT, "tests/js/node_modules");
  const { createFileRegistry, fromBinary } = await import(join(nm, "@bufbuild/protobuf/dist/esm/index.js"));
  const { FileDescriptorSetSchema } = await import(join(nm, "@bufbuild/protobuf/dist/esm/wkt/index.js"));
  const { createClient } = await import(join(nm, "@connectrpc/connect/dist/esm/index.js"));
  const { createGrpcWebTransport } = await import(join(nm, "@connectrpc/connect-web/dist/esm/index.js"));
  const reg = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(join(ROOT, "target/proto.desc"))));
  const client = createClient(reg.getService("cosi.resource.State"), createGrpcWebTransport({ baseUrl: url }));
  return { client, spec: reg.getMessage("specs.MachineStatusSpec"), fromBinary };
}

/** omni-wasm (full build) connected to `url`, and the size of its linear memory. */
export async function omniWasm(url, key, transport) {
  const pkg = await import(join(ROOT, "pkg/node.js"));
  const raw = await import(join(ROOT, "pkg/omni_wasm.js"));
  // initSync on an instantiated module returns its exports (the memory among them)
  const exports = raw.initSync({ module: readFileSync(join(ROOT, "pkg/omni_wasm_bg.wasm")) });
  const omni = await pkg.OmniClient.connect({ endpoint: url, serviceAccountKey: key, transport });
  return { omni, linear: () => exports.memory.buffer.byteLength };
}
