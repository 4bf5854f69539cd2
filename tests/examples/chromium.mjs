// Runs a browser example (examples/<name>.html + its compiled script) in headless Chromium:
// serves the page, the package at /omni-wasm/ (the page's import map) and proxies /api/ to
// omni-sim on the same origin (Omni sends no CORS headers), connects with a Reader key as a
// person would, then changes clusters on the server and waits for the page to show each change.
import { chromium } from "../js/node_modules/playwright-core/index.mjs";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

function serve(root, out, name, sim) {
  const upstream = new URL(sim);
  const files = (p) => {
    if (p === "/" || p === `/${name}.html`) return path.join(root, "examples", `${name}.html`);
    if (p === `/${name}.js`) return path.join(out, "browser", `${name}.js`);
    if (p.startsWith("/omni-wasm/")) {
      const f = path.resolve(root, "pkg", p.slice("/omni-wasm/".length));
      return f.startsWith(path.join(root, "pkg") + path.sep) ? f : null;
    }
    return null;
  };
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (p.startsWith("/api/")) {
      const headers = { ...req.headers, host: upstream.host };
      delete headers.origin;
      const up = http.request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      res.on("close", () => up.destroy());
      req.pipe(up);
      return;
    }
    if (p === "/favicon.ico") return res.writeHead(204).end();
    const f = files(p);
    if (!f || !fs.existsSync(f) || !fs.statSync(f).isFile()) return res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(f)] ?? "application/octet-stream" });
    fs.createReadStream(f).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

export async function runInChromium({ root, out, name, sim, admin, readerKey, timeoutMs }) {
  const log = [];
  const server = await serve(root, out, name, sim);
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chrome-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1100, height: 700 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(Math.min(timeoutMs, 20_000));
    page.on("console", (m) => { log.push(`[page] ${m.text()}`); if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    const drive = DRIVERS[name];
    if (!drive) throw new Error(`no Chromium driver for example ${name}`);
    await drive({ page, base, sim, admin, readerKey, log, errors, shot: (f) => page.screenshot({ path: path.join(out, f) }), name });
    if (errors.length) throw new Error(`errors in the page: ${errors.join("; ")}`);
    return { code: 0, output: log.join("\n"), stdout: "" };
  } catch (e) {
    return { code: 1, output: `${log.join("\n")}\n${e?.stack ?? e}`, stdout: "" };
  } finally {
    await ctx.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// What each browser example is asked to do, and what it must show.
const DRIVERS = {
  /** live-dashboard: connect with a Reader key, then change clusters behind the page's back. */
  async "live-dashboard"({ page, base, admin, readerKey, log, errors, shot, name }) {
    page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
    const id = `example-dashboard-${Date.now().toString(36)}`;
    const row = (c) => `#clusters tr[data-cluster="${c}"]`;
    const cell = async (c, i) => (await page.textContent(`${row(c)} td:nth-child(${i})`)).trim();

    await page.goto(`${base}/`);
    await page.fill("#key", readerKey);
    await page.click("#connect button");
    await page.waitForSelector("body[data-state=live]");
    for (const c of ["prod-eu", "prod-us", "staging"]) await page.waitForSelector(row(c));
    if ((await page.inputValue("#key")) !== "") throw new Error("the key was left in the page");
    log.push(`connected; rows: ${(await page.$$eval("#clusters tbody tr", (trs) => trs.map((t) => t.dataset.cluster))).join(", ")}`);
    if ((await cell("prod-eu", 4)) !== "RUNNING" || (await cell("prod-eu", 5)) !== "ready") throw new Error("prod-eu is not shown RUNNING/ready");

    // behind the page's back: a new cluster appears, is upgraded, then deleted
    await admin.create({ metadata: { namespace: "default", type: "Clusters.omni.sidero.dev", id }, spec: { kubernetes_version: "1.31.4", talos_version: "1.9.1" } });
    await page.waitForSelector(row(id));
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes("SCALING_UP"), `${row(id)} td:nth-child(4)`);
    log.push(`${id} appeared with its status`);
    for (let attempt = 1; ; attempt++) { // the stand-in controllers add a finalizer meanwhile
      const c = await admin.get("clusters", id);
      try { await admin.update({ ...c, spec: { ...c.spec, kubernetes_version: "1.32.0" } }); break; } catch (e) { if (e.code !== "FAILED_PRECONDITION" || attempt > 5) throw e; }
    }
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "1.32.0", `${row(id)} td:nth-child(2)`);
    log.push(`${id}: Kubernetes 1.32.0 shown`);
    await shot(`${name}.png`);
    await admin.delete("clusters", id, { timeoutMs: 20_000 });
    await page.waitForSelector(row(id), { state: "detached" });
    log.push(`${id} removed from the table`);
    if (await page.evaluate(() => localStorage.length)) throw new Error("the page stored something in localStorage");
  },

  /**
   * browser-sign-in: sign in with a new key confirmed by an ID token, reload (the stored key is
   * resumed: nothing registered again), sign out (revoked, forgotten), reload (signed out).
   */
  async "browser-sign-in"({ page, base, sim, admin, log, shot, name }) {
    const email = `example-person-${Date.now().toString(36)}@example.org`;
    await admin.createUser(email, "Reader");
    const registered = [];
    page.on("request", (r) => { if (r.url().includes("/auth.AuthService/RegisterPublicKey")) registered.push(r.url()); });
    const token = async () => {
      const r = await fetch(`${sim}/_sim/id-token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
      return (await r.json()).credential;
    };
    const state = (s) => page.waitForSelector(`body[data-state=${s}]`);

    await page.goto(`${base}/`);
    await state("signed-out");
    await page.fill("#email", email);
    await page.fill("#id-token", await token());
    await page.click("#sign-in button");
    await state("signed-in");
    if ((await page.getAttribute("body", "data-resumed")) !== "false") throw new Error("a fresh sign-in claims to be resumed");
    if ((await page.inputValue("#id-token")) !== "") throw new Error("the ID token was left in the page");
    log.push(`signed in as ${email}: ${await page.textContent("#clusters")}`);
    await shot(`${name}.png`);
    const stored = await page.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open("omni-wasm");
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction("keys").objectStore("keys").get("default");
        get.onsuccess = () => resolve({ extractable: get.result.pair.privateKey.extractable, type: get.result.pair.privateKey.type, identity: get.result.identity });
      };
    }));
    if (stored.extractable !== false || stored.type !== "private" || stored.identity !== email) throw new Error(`stored key: ${JSON.stringify(stored)}`);
    log.push("the key pair is in IndexedDB, non-extractable");

    await page.reload();
    await state("signed-in");
    if ((await page.getAttribute("body", "data-resumed")) !== "true") throw new Error("the stored key was not resumed");
    if (registered.length !== 1) throw new Error(`${registered.length} registrations: the reload registered again`);
    log.push(`reloaded: resumed with the stored key (${await page.textContent("#clusters")})`);

    await page.click("#sign-out");
    await state("signed-out");
    await page.reload();
    await state("signed-out");
    log.push("signed out: the key is revoked and forgotten");
    if (await page.evaluate(() => localStorage.length)) throw new Error("the page stored something in localStorage");
  },
};
