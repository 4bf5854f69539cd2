// End-to-end test of the demo console in headless Chromium (playwright-core driving the Debian
// chromium): demo connect, the three demo clusters, a live server-side change, a resource's
// YAML, the template studio's error marker and render; then the same console behind the
// same-origin reverse proxy (www/serve.mjs) in front of omni-sim on another port.
// Screenshots go to target/e2e/.
import { chromium } from "../js/node_modules/playwright-core/index.mjs";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";

const root = path.resolve(import.meta.dirname, "../..");
const SIM = process.env.OMNI_SIM_URL;
const shots = path.join(root, "target/e2e");
fs.mkdirSync(shots, { recursive: true });
let passed = 0;
let failed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
  }
}

const sim = (p, body) => fetch(`${SIM}/_sim/${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());

const ctx = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), "chrome-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await ctx.newPage();
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.on("response", (r) => { if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${r.url()}`); });

try {
  await step("make demo opens already connected, showing the three demo clusters", async () => {
    await page.goto(`${SIM}/`);
    await page.waitForSelector('#clusters tbody tr[data-cluster="production"]', { timeout: 20000 });
    await page.waitForSelector('#clusters tbody tr[data-cluster="staging"]');
    await page.waitForSelector('#clusters tbody tr[data-cluster="dev"]');
    assert.equal(await page.locator("#clusters tbody tr").count(), 3);
    // the key is not left in the DOM
    assert.equal(await page.inputValue("#key"), "");
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await page.screenshot({ path: path.join(shots, "overview.png") });
  });

  await step("a server-side change appears live", async () => {
    await sim("resource", { type: "Clusters.omni.sidero.dev", id: "dev", spec: { kubernetes_version: "1.99.0", talos_version: "1.9.1" } });
    await page.waitForFunction(() => document.querySelector('#clusters tr[data-cluster="dev"]')?.textContent.includes("1.99.0"), null, { timeout: 15000 });
  });

  await step("machines table lists machines and filters by selector", async () => {
    await page.click('#tabs button[data-tab="machines"]');
    await page.waitForFunction(() => document.querySelectorAll("#machine-table tbody tr").length >= 10, null, { timeout: 15000 });
    await page.fill("#machine-selector", "omni.sidero.dev/cluster=production");
    await page.click("#machine-filter button");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#machine-table tbody tr")];
      return rows.length > 0 && rows.every((r) => r.children[1].textContent === "production");
    }, null, { timeout: 15000 });
    await page.screenshot({ path: path.join(shots, "machines.png") });
  });

  await step("resource browser opens a resource as omnictl YAML", async () => {
    await page.click('#tabs button[data-tab="resources"]');
    await page.fill("#resource-type", "cluster");
    await page.click("#resource-form button");
    await page.click('#resource-list button:text("production")');
    await page.waitForFunction(() => document.querySelector("#resource-yaml").textContent.includes("type: Clusters.omni.sidero.dev"), null, { timeout: 10000 });
    const yaml = await page.textContent("#resource-yaml");
    assert.match(yaml, /^metadata:\n {4}namespace: default\n {4}type: Clusters\.omni\.sidero\.dev\n {4}id: production\n/);
    assert.match(yaml, /\nspec:\n {4}kubernetesversion: /);
    await page.screenshot({ path: path.join(shots, "resource.png") });
  });

  await step("template studio marks an error at its line, then renders the fixed template", async () => {
    await page.click('#tabs button[data-tab="templates"]');
    const bad = "kind: Cluster\nname: studio\nkubernetes:\n  version: vN\ntalos:\n  version: v1.9.1\n---\nkind: ControlPlane\nmachines:\n  - 0c8f1a4e-1111-4a5b-9c3d-000000000001\n";
    await page.fill("#template-text", bad);
    await page.waitForSelector("#gutter .mark", { timeout: 5000 });
    assert.ok((await page.locator("#template-errors li").count()) > 0);
    await page.screenshot({ path: path.join(shots, "template-error.png") });
    await page.fill("#template-text", bad.replace("vN", "v1.32.0"));
    await page.waitForFunction(() => document.querySelector("#template-render").textContent.includes("type: Clusters.omni.sidero.dev"), null, { timeout: 5000 });
    assert.equal(await page.locator("#gutter .mark").count(), 0);
    // a config patch Omni would refuse (a misspelt Talos key) is marked at that key, offline
    const patched = bad.replace("vN", "v1.32.0").replace("---\n", "patches:\n  - name: net\n    inline:\n      machine:\n        network:\n          hostnam: a\n---\n");
    await page.fill("#template-text", patched);
    await page.waitForSelector("#gutter .mark", { timeout: 5000 });
    const marked = await page.locator("#gutter .mark").allTextContents();
    assert.deepEqual(marked, [String(patched.split("\n").indexOf("          hostnam: a") + 1)]);
    assert.match(await page.textContent("#template-errors"), /unknown keys found during decoding/);
    await page.screenshot({ path: path.join(shots, "template-talos-patch.png") });
    await page.fill("#template-text", bad.replace("vN", "v1.32.0"));
    await page.waitForFunction(() => document.querySelector("#template-render").textContent.includes("type: Clusters.omni.sidero.dev"), null, { timeout: 5000 });
    await page.click("#template-diff");
    await page.waitForFunction(() => document.querySelector("#template-diff-out").textContent.includes("+++"), null, { timeout: 10000 });
    await page.screenshot({ path: path.join(shots, "template-render.png") });
  });

  await step("a cluster page shows the live status tree and follows a machine's logs", async () => {
    await page.click('#tabs button[data-tab="overview"]');
    await page.click('#clusters tbody tr[data-cluster="production"] button.cluster-link');
    await page.waitForFunction(() => /production/.test(document.querySelector("#cluster-tree").textContent), null, { timeout: 15000 });
    const tree = await page.textContent("#cluster-tree");
    assert.match(tree, /^Cluster "production" .*\n[^]*Control Plane "production-control-planes"/, tree);
    await page.waitForSelector("#cluster-machines button", { timeout: 10000 });
    await page.click("#cluster-machines button");
    await page.waitForFunction(() => document.querySelector("#machine-logs").textContent.split("\n").filter(Boolean).length >= 3, null, { timeout: 15000 });
    await page.screenshot({ path: path.join(shots, "cluster.png") });
  });

  await step("sign in as a person with a browser key (Omni's UI flow), kept across reloads, then sign out", async () => {
    await page.click("#sign-out");
    await page.waitForSelector("#connect:not([hidden])");
    await page.fill("#email", "admin@example.com");
    await page.click("#sign-in-btn");
    await page.waitForSelector("#sign-in-wait:not([hidden])", { timeout: 10000 });
    const loginUrl = await page.getAttribute("#login-link", "href");
    assert.match(loginUrl, /\/authenticate\?flow=cli&public-key-id=/);
    // Omni's login page (the demo's stand-in) confirms the key in another tab
    const login = await ctx.newPage();
    await login.goto(loginUrl);
    assert.match(await login.textContent("body"), /admin@example\.com/);
    await login.click("#confirm");
    await login.waitForSelector("#confirmed");
    await login.close();
    await page.waitForSelector('#clusters tbody tr[data-cluster="production"]', { timeout: 15000 });
    assert.equal(await page.textContent("#status"), "signed in as admin@example.com");
    await page.screenshot({ path: path.join(shots, "signed-in.png") });
    // a reload resumes with the stored (non-extractable) key: no new sign-in
    await page.reload();
    await page.waitForSelector('#clusters tbody tr[data-cluster="production"]', { timeout: 15000 });
    assert.equal(await page.textContent("#status"), "signed in as admin@example.com");
    // signing out revokes and forgets the key: the next load is the demo's connection again
    await page.click("#sign-out");
    await page.waitForSelector("#connect:not([hidden])");
    await page.reload();
    await page.waitForSelector('#clusters tbody tr[data-cluster="production"]', { timeout: 15000 });
    assert.match(await page.textContent("#status"), /^connected/);
  });

  await step("no errors in the browser console during normal use", async () => {
    assert.deepEqual(consoleErrors, []);
  });

  await step("behind the same-origin proxy (make demo OMNI_URL=…) the console reaches Omni", async () => {
    const port = await new Promise((res) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
    const proxy = spawn(process.execPath, [path.join(root, "www/serve.mjs"), "--port", String(port), "--proxy", SIM], { stdio: "inherit" });
    try {
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 50; i++) { try { await fetch(base); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
      const { key } = await sim("service-account", { name: `proxy-${process.pid}`, role: "Reader" });
      const p2 = await ctx.newPage();
      await p2.goto(`${base}/`);
      await p2.fill("#key", key);
      await p2.click("#connect-btn");
      // the page loads the full .wasm through the proxy: slow on a loaded 2-core machine
      await p2.waitForSelector('#clusters tbody tr[data-cluster="production"]', { timeout: 60000 });
      await p2.screenshot({ path: path.join(shots, "proxied.png") });
      // a bad key is shown plainly
      const p3 = await ctx.newPage();
      await p3.goto(`${base}/`);
      await p3.fill("#key", "not-a-key");
      await p3.click("#connect-btn");
      await p3.waitForSelector("#connect-error:not([hidden])", { timeout: 10000 });
      assert.match(await p3.textContent("#connect-error"), /key|Authentication/i);
    } finally {
      proxy.kill();
    }
  });
} finally {
  await ctx.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
