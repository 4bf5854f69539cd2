// Runs a Worker example in workerd (the package's `workerd` build, modules listed by hand as in
// tests/js/workerd.test.mjs): a small harness Worker in front of it fires its `scheduled()`
// handler the way workerd's cron triggers do (`Fetcher.scheduled`, an experimental handler of
// service bindings) and forwards other requests; a local HTTP server stands in for the webhook.
// Checks: the on-demand report, a scheduled run that posts the report, and a scheduled run that
// fails when the webhook does.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

const HARNESS = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/__scheduled") {
      const result = await env.WORKER.scheduled({ scheduledTime: new Date(), cron: url.searchParams.get("cron") ?? "*/15 * * * *" });
      return Response.json(result);
    }
    return env.WORKER.fetch(request);
  },
};
`;

export async function runInWorkerd({ root, out, name, env, admin, timeoutMs }) {
  const log = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-example-workerd-"));
  fs.cpSync(path.join(out, "workerd", `${name}.js`), path.join(dir, "worker.js"));
  fs.writeFileSync(path.join(dir, "harness.js"), HARNESS);
  fs.mkdirSync(path.join(dir, "pkg"));
  for (const f of ["workerd.js", "index.js", "omni_wasm.js", "omni_wasm_bg.wasm"]) fs.cpSync(path.join(root, "pkg", f), path.join(dir, "pkg", f));

  // the webhook: records what is posted; answers 500 while `failing`
  const posts = [];
  let failing = false;
  const hook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      try { posts.push(JSON.parse(body)); } catch { posts.push({ invalid: body }); }
      res.writeHead(failing ? 500 : 200).end(failing ? "webhook down" : "ok");
    });
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const text = (s) => JSON.stringify(s);
  fs.writeFileSync(path.join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "harness", worker = (
      modules = [ (name = "harness.js", esModule = embed "harness.js") ],
      compatibilityDate = "2025-09-01",
      compatibilityFlags = ["service_binding_extra_handlers"],
      bindings = [ (name = "WORKER", service = "worker") ],
    )),
    (name = "worker", worker = (
      modules = [
        (name = "worker.js", esModule = embed "worker.js"),
        (name = "pkg/workerd.js", esModule = embed "pkg/workerd.js"),
        (name = "pkg/index.js", esModule = embed "pkg/index.js"),
        (name = "pkg/omni_wasm.js", esModule = embed "pkg/omni_wasm.js"),
        (name = "pkg/omni_wasm_bg.wasm", wasm = embed "pkg/omni_wasm_bg.wasm"),
      ],
      compatibilityDate = "2025-09-01",
      bindings = [
        (name = "OMNI_ENDPOINT", text = ${text(env.OMNI_ENDPOINT)}),
        (name = "OMNI_SERVICE_ACCOUNT_KEY", text = ${text(env.OMNI_SERVICE_ACCOUNT_KEY)}),
        (name = "HEALTH_WEBHOOK_URL", text = ${text(`http://127.0.0.1:${hook.address().port}/hook`)}),
      ],
    )),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "harness") ],
);
`);
  const workerd = spawn(path.join(root, "tests/js/node_modules/.bin/workerd"), ["serve", "--experimental", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  workerd.stdout.on("data", (d) => log.push(`[workerd] ${String(d).trimEnd()}`));
  workerd.stderr.on("data", (d) => log.push(`[workerd] ${String(d).trimEnd()}`));
  const unhealthy = `example-worker-${Date.now().toString(36)}`;
  const deadline = setTimeout(() => workerd.kill("SIGKILL"), timeoutMs);
  try {
    for (let i = 0; ; i++) {
      try { await fetch(`${base}/`, { method: "HEAD" }); break; } catch { if (i > 150) throw new Error("workerd did not start"); await new Promise((r) => setTimeout(r, 100)); }
    }
    // a cluster that is not healthy (no machines yet): the report must name it
    await admin.create({ metadata: { namespace: "default", type: "Clusters.omni.sidero.dev", id: unhealthy }, spec: { kubernetes_version: "1.32.0", talos_version: "1.9.1" } });
    for (let i = 0; i < 100 && !(await admin.clusterStatus(unhealthy)); i++) await new Promise((r) => setTimeout(r, 50));

    const res = await fetch(`${base}/`);
    const onDemand = await res.json();
    log.push(`GET / → HTTP ${res.status}: ${onDemand.healthy} healthy, ${onDemand.unhealthy} unhealthy`);
    if (res.status !== 200) throw new Error(`GET /: ${JSON.stringify(onDemand)}`);

    const run = await (await fetch(`${base}/__scheduled`)).json();
    log.push(`scheduled run: ${JSON.stringify(run)}`);
    if (run.outcome !== "ok") throw new Error(`the scheduled run failed: ${JSON.stringify(run)}`);
    if (posts.length !== 1) throw new Error(`expected one post to the webhook, got ${posts.length}`);
    const { text: message, report } = posts[0];
    log.push(`webhook got:\n${message}`);
    const byName = Object.fromEntries(report.clusters.map((c) => [c.cluster, c]));
    for (const c of ["prod-eu", "prod-us", "staging"]) if (!byName[c]?.healthy) throw new Error(`${c} not reported healthy`);
    if (byName[unhealthy]?.healthy !== false) throw new Error(`${unhealthy} not reported unhealthy`);
    if (!message.includes(`✗ *${unhealthy}*`)) throw new Error("the text does not flag the unhealthy cluster");

    failing = true;
    const failed = await (await fetch(`${base}/__scheduled`)).json();
    log.push(`scheduled run with the webhook down: ${JSON.stringify(failed)}`);
    if (failed.outcome === "ok") throw new Error("a failed post did not fail the run");
    return { code: 0, output: log.join("\n"), stdout: "" };
  } catch (e) {
    return { code: 1, output: `${log.join("\n")}\n${e?.stack ?? e}`, stdout: "" };
  } finally {
    clearTimeout(deadline);
    workerd.kill();
    hook.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await admin.delete("clusters", unhealthy, { timeoutMs: 20_000 }).catch(() => {});
  }
}
