// Runs every example in examples/ against omni-sim (`make test-examples`, under
// scripts/with-sim.sh, which exports OMNI_SIM_URL):
//
// - each examples/*.ts is compiled by esbuild into target/examples/ (`omni-wasm`,
//   `omni-wasm/lite` and `omni-wasm/templates` resolved to the built package in pkg/) and run
//   with Node, in workerd (the scheduled Worker) or in headless Chromium (the live dashboard),
//   with OMNI_ENDPOINT and a fresh OMNI_SERVICE_ACCOUNT_KEY in its environment;
// - each examples/*.rs that is an example (not a build tool) runs with `cargo run --example`.
//
// An example passes when it exits 0 (they assert what they show and exit non-zero otherwise);
// some get extra checks here (an expected refusal, what a page shows, what a Worker posted).
// Before the examples, the simulator gets what any Omni has (free machines, versions, a few
// clusters) and tests/examples/standin.mjs plays Omni's controllers, which omni-sim lacks.
// Two examples run at a time (EXAMPLES_CONCURRENCY), except those marked `exclusive`.
//
//   node tests/examples/run.mjs [name…]     # only these examples (file names without extension)
//   VERBOSE=1 …                             # print every example's output
import esbuild from "../js/node_modules/esbuild/lib/main.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { OmniClient } from "../../pkg/node.js";
import { seed, startControllers, serviceAccount, simPost } from "./standin.mjs";
import { runInWorkerd } from "./workerd.mjs";
import { runInChromium } from "./chromium.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const examples = path.join(root, "examples");
const out = path.join(root, "target/examples");
const SIM = process.env.OMNI_SIM_URL;
if (!SIM) throw new Error("OMNI_SIM_URL is not set: run through scripts/with-sim.sh (make test-examples)");
const only = process.argv.slice(2);
const started = Date.now();

// ---------------------------------------------------------------------------------------------
// The examples and how each runs. `kind`: node (default), workerd, chromium, cargo. `env`: extra
// environment (`before()` may add more); `expectFail`: the example must exit non-zero with this
// in its output; `after(admin)` / `verify(stdout)`: extra checks; `exclusive`: runs alone
// because it changes what other examples read.

const fixtures = { upgradeCluster: "staging" };

/** @type {Array<{ name: string, label?: string, kind?: string, env?: object, args?: string[], expectFail?: RegExp, before?: Function, after?: Function, verify?: Function, timeoutMs?: number, exclusive?: boolean, confirmLogin?: boolean }>} */
const PLAN = [
  { name: "quickstart" },
  { name: "get-list-watch", env: { CLUSTER: "prod-eu" } },
  { name: "apply-yaml" },
  { name: "delete-with-finalizers" },
  { name: "bulk" },
  { name: "templates" },
  { name: "multi-cluster-rollout", timeoutMs: 60_000, exclusive: true },
  {
    name: "upgrade", label: "upgrade (refused by the pre-checks)", exclusive: true,
    env: { CLUSTER: fixtures.upgradeCluster, TALOS_VERSION: "1.9.2", KUBERNETES_VERSION: "1.33.1" },
    expectFail: /1\.33\.1 is not compatible with Talos 1\.9\.2/,
    after: async (admin) => {
      const c = await admin.get("clusters", fixtures.upgradeCluster);
      assert.deepEqual([c.spec.talos_version, c.spec.kubernetes_version], ["1.9.1", "1.31.4"], "a refused upgrade changed the cluster");
    },
  },
  {
    name: "upgrade", timeoutMs: 60_000, exclusive: true,
    env: { CLUSTER: fixtures.upgradeCluster, TALOS_VERSION: "1.9.2", KUBERNETES_VERSION: "1.32.0" },
    after: async (admin) => {
      const c = await admin.get("clusters", fixtures.upgradeCluster);
      assert.deepEqual([c.spec.talos_version, c.spec.kubernetes_version], ["1.9.2", "1.32.0"]);
    },
  },
  { name: "backup-restore", timeoutMs: 60_000, before: secondSim, env: { BACKUP_SELECTOR: "env=production", BACKUP_DIR: path.join(out, "backup") } },
  { name: "dashboard" },
  { name: "live-dashboard", kind: "chromium", timeoutMs: 60_000 },
  { name: "browser-sign-in", kind: "chromium", timeoutMs: 60_000 },
  { name: "health-report-worker", kind: "workerd", timeoutMs: 60_000 },
  { name: "users" },
  { name: "service-accounts" },
  { name: "join-tokens" },
  { name: "configs", env: { CLUSTER: "prod-eu", CONFIG_DIR: path.join(out, "configs") } },
  { name: "operations", env: { CLUSTER: "prod-us" } },
  { name: "call-any-rpc", env: { CLUSTER: "prod-eu" } },
  { name: "read-only", env: { CLUSTER: "prod-us" } },
  { name: "custom-fetch" },
  { name: "sign-only" },
  { name: "errors" },
  { name: "interactive-login", confirmLogin: true },
  { name: "template_check", kind: "cargo" },
  { name: "template_check", label: "template_check (a broken template)", kind: "cargo", args: ["tests/examples/broken-template.yaml"], expectFail: /broken-template\.yaml:8:9: error validating cluster "broken"/ },
  { name: "sign_request", kind: "cargo", verify: verifySignedRequest },
];
/** Build tools in examples/ that are not examples (scripts/pkg.sh and `make bench` run them). */
const TOOLS = new Set(["gen_ts", "template_bench"]);

// every example in the directory is in the plan, and the plan names no missing file
const onDisk = fs.readdirSync(examples)
  .filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.endsWith(".rs"))
  .map((f) => f.replace(/\.(ts|rs)$/, ""))
  .filter((n) => !TOOLS.has(n));
const planned = new Set(PLAN.map((p) => p.name));
const unplanned = onDisk.filter((n) => !planned.has(n));
const missing = [...planned].filter((n) => !onDisk.includes(n));
if (unplanned.length || missing.length) {
  console.error(`examples not in tests/examples/run.mjs: ${unplanned.join(", ") || "-"}; planned but missing: ${missing.join(", ") || "-"}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Compile: examples/*.ts → target/examples/<name>.mjs (Node), the Worker for workerd, the page's
// script for Chromium. `omni-wasm*` stay imports of the built package.

const PKG = path.join(root, "pkg");
const entries = {
  node: { "omni-wasm": `${PKG}/node.js`, "omni-wasm/lite": `${PKG}/lite/node.js`, "omni-wasm/templates": `${PKG}/templates/node.js` },
  // the page's import map and the workerd modules name the package files themselves
  browser: { "omni-wasm": "omni-wasm", "omni-wasm/lite": "omni-wasm/lite", "omni-wasm/templates": "omni-wasm/templates" },
  workerd: { "omni-wasm": "./pkg/workerd.js", "omni-wasm/lite": "./pkg/lite/workerd.js", "omni-wasm/templates": "./pkg/templates/workerd.js" },
};
const omniWasm = (target) => ({
  name: "omni-wasm",
  setup(b) {
    b.onResolve({ filter: /^omni-wasm(\/lite|\/templates)?$/ }, (a) => ({ path: entries[target][a.path], external: true }));
  },
});

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const selected = PLAN.filter((p) => !only.length || only.includes(p.name));
const compiled = [...new Map(selected.filter((p) => p.kind !== "cargo").map((p) => [p.name, p])).values()];
await Promise.all(compiled.map((p) => {
  const target = p.kind === "chromium" ? "browser" : p.kind === "workerd" ? "workerd" : "node";
  return esbuild.build({
    entryPoints: [path.join(examples, `${p.name}.ts`)],
    outfile: path.join(out, target === "node" ? `${p.name}.mjs` : `${target}/${p.name}.js`),
    bundle: true,
    format: "esm",
    platform: target === "node" ? "node" : target === "workerd" ? "neutral" : "browser",
    target: "es2022",
    logLevel: "warning",
    plugins: [omniWasm(target)],
  });
}));
console.log(`compiled ${compiled.length} TypeScript examples in ${Date.now() - started} ms`);

// the Rust examples build meanwhile (nothing to do after `make test`'s native stage built them)
const rust = [...new Set(selected.filter((p) => p.kind === "cargo").map((p) => p.name))];
const rustBuilt = rust.length
  ? run("cargo", ["build", "-q", ...rust.flatMap((n) => ["--example", n])], { timeoutMs: 600_000 })
  : Promise.resolve({ code: 0, output: "" });

// ---------------------------------------------------------------------------------------------
// The installation the examples find: machines, versions, three clusters; the stand-in
// controllers. The clusters come from one template shape, synced as a user would.

await seed(SIM);
const controllers = [await startControllers(SIM)];
const admin = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(SIM, "examples-runner") });

async function fixtureClusters(omni) {
  const free = (await omni.list("machinestatuses", { selector: "omni.sidero.dev/available" })).map((m) => m.metadata.id).sort();
  const clusters = [
    { name: "prod-eu", env: "production", k8s: "1.32.0", talos: "1.9.1", cps: 1, workers: 2 },
    { name: "prod-us", env: "production", k8s: "1.32.0", talos: "1.9.1", cps: 1, workers: 1 },
    { name: "staging", env: "staging", k8s: "1.31.4", talos: "1.9.1", cps: 1, workers: 1 },
  ];
  const texts = clusters.map((c) => `kind: Cluster
name: ${c.name}
labels:
  env: ${c.env}
kubernetes:
  version: v${c.k8s}
talos:
  version: v${c.talos}
patches:
  - name: ntp
    inline:
      machine:
        time:
          servers: [time.cloudflare.com]
---
kind: ControlPlane
machines:
${free.splice(0, c.cps).map((m) => `  - ${m}`).join("\n")}
---
kind: Workers
machines:
${free.splice(0, c.workers).map((m) => `  - ${m}`).join("\n")}
`);
  await Promise.all(texts.map(async (t) => {
    await omni.templateSync(t, {});
    for await (const _ of omni.templateStatusUpdates(t, { intervalMs: 100, timeoutMs: 20_000 }));
  }));
}
await fixtureClusters(admin);
console.log(`omni-sim seeded (machines, versions, clusters prod-eu, prod-us, staging) in ${Date.now() - started} ms`);

// ---------------------------------------------------------------------------------------------

const extraSims = [];
process.on("exit", () => { for (const p of extraSims) p.kill(); });

/** backup-restore: a second, empty Omni to restore into (with its own stand-in controllers). */
async function secondSim() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(path.join(root, "target/debug/omni-sim"), ["--port", String(port), "--accept-eula", "--test-endpoints"], { stdio: ["ignore", "ignore", "inherit"] });
  extraSims.push(proc);
  for (let i = 0; ; i++) {
    try { await fetch(url); break; } catch { if (i > 100) throw new Error("the second omni-sim did not start"); await sleep(100); }
  }
  // the same machines re-register with the new instance (they keep their UUIDs)
  await seed(url);
  controllers.push(await startControllers(url));
  return { OMNI_TARGET_ENDPOINT: url, OMNI_TARGET_SERVICE_ACCOUNT_KEY: await serviceAccount(url, "restore") };
}

/** sign_request prints headers as JSON: they must authenticate a plain request to omni-sim. */
async function verifySignedRequest(stdout) {
  const { method, headers } = JSON.parse(stdout.slice(stdout.indexOf("{")));
  const res = await fetch(`${SIM}/api${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [`Grpc-Metadata-${k}`, v])) },
    body: JSON.stringify({ namespace: "default", type: "Clusters.omni.sidero.dev" }),
  });
  const body = await res.text();
  assert.equal(res.status, 200, `omni-sim refused the natively signed request: ${body}`);
  assert.match(body, /prod-eu/);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Run a process; resolves to { code, output } (stdout and stderr interleaved) and stdout. */
function run(cmd, args, { env, timeoutMs, onStdout }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    child.stdout.on("data", (d) => { output += d; stdout += d; onStdout?.(stdout); });
    child.stderr.on("data", (d) => { output += d; });
    const timer = setTimeout(() => { output += `\n[runner] killed after ${timeoutMs} ms`; child.kill("SIGKILL"); }, timeoutMs);
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : 1), output, stdout }); });
  });
}

async function runOne(p) {
  const timeoutMs = p.timeoutMs ?? 30_000;
  const key = await serviceAccount(SIM, `example-${p.name}-${Math.random().toString(36).slice(2, 8)}`);
  const env = { OMNI_ENDPOINT: SIM, OMNI_SERVICE_ACCOUNT_KEY: key, ...(p.before ? await p.before() : {}), ...p.env };
  if (p.kind === "workerd") return runInWorkerd({ root, out, name: p.name, env, admin, timeoutMs });
  if (p.kind === "chromium") return runInChromium({ root, out, name: p.name, sim: SIM, admin, timeoutMs, readerKey: await serviceAccount(SIM, `dashboard-viewer-${Date.now()}`, "Reader") });
  if (p.kind === "cargo") {
    const built = await rustBuilt;
    if (built.code !== 0) return { ...built, output: `cargo build of the Rust examples failed:\n${built.output}` };
    // `cargo run` rebuilds first when the sources changed since: allow for that
    return run("cargo", ["run", "-q", "--example", p.name, "--", ...(p.args ?? [])], { env, timeoutMs: Math.max(timeoutMs, 300_000) });
  }
  let confirmed = false;
  const onStdout = p.confirmLogin && ((stdout) => {
    // the person at the browser: open the login URL the example printed and confirm
    const m = /public-key-id=([^&\s]+)/.exec(stdout);
    if (m && !confirmed) {
      confirmed = true;
      void simPost(SIM, `confirm?public_key_id=${encodeURIComponent(decodeURIComponent(m[1]))}`, {});
    }
  });
  if (p.confirmLogin) {
    env.OMNI_USER_EMAIL = `jane-${Date.now()}@example.net`;
    await admin.createUser(env.OMNI_USER_EMAIL, "Operator");
    delete env.OMNI_SERVICE_ACCOUNT_KEY;
  }
  return run(process.execPath, [path.join(out, `${p.name}.mjs`)], { env, timeoutMs, onStdout });
}

let failed = 0;
async function execute(p) {
  const label = p.label ?? p.name;
  const t0 = Date.now();
  let result;
  let problem = "";
  try {
    result = await runOne(p);
    if (p.expectFail) {
      if (result.code === 0) problem = "exited 0, expected a refusal";
      else if (!p.expectFail.test(result.output)) problem = `exited ${result.code} without ${p.expectFail}`;
    } else if (result.code !== 0) {
      problem = `exited ${result.code}`;
    }
    if (!problem) {
      await p.verify?.(result.stdout);
      await p.after?.(admin);
    }
  } catch (e) {
    problem = String(e?.stack ?? e);
  }
  for (const c of controllers) if (c.errors.length) problem += `\nstand-in controllers failed: ${c.errors.map((e) => e?.stack ?? e).join("\n")}`;
  const ms = Date.now() - t0;
  if (problem) {
    failed++;
    console.log(`not ok - ${label} (${ms} ms): ${problem}\n${(result?.output ?? "").trimEnd().split("\n").map((l) => `    ${l}`).join("\n")}`);
  } else {
    console.log(`ok - ${label} (${ms} ms)${process.env.VERBOSE ? ` at ${((Date.now() - started) / 1000).toFixed(1)} s` : ""}`);
    if (process.env.VERBOSE) console.log(result.output.trimEnd().split("\n").map((l) => `    ${l}`).join("\n"));
  }
}

// Two at a time (most of an example's time is waiting on the server), in plan order; an
// `exclusive` example (it changes what others read: allocates machines, upgrades a fixture
// cluster) runs alone.
const CONCURRENCY = Number(process.env.EXAMPLES_CONCURRENCY ?? 2);
const queue = [...selected];
const running = new Set();
while (queue.length || running.size) {
  const next = queue[0];
  const busy = [...running];
  const fits = next && (busy.length === 0 || (!next.exclusive && !busy.some((r) => r.exclusive) && busy.length < CONCURRENCY));
  if (fits) {
    queue.shift();
    const entry = { exclusive: next.exclusive };
    entry.done = execute(next).finally(() => running.delete(entry));
    running.add(entry);
    continue;
  }
  await Promise.race(busy.map((r) => r.done));
}

for (const c of controllers) await c.stop();
console.log(`${selected.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
