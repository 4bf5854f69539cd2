// The demo console: uses only the public npm package (served at /pkg/).
import { OmniClient, OmniError, Signer, keyStore, version, resourcesToYaml, ready } from "/pkg/browser.js";
import { validateTemplate, renderTemplate, ready as templatesReady } from "/pkg/templates/browser.js";

// the browser entries instantiate their .wasm without top-level await: wait for both
await Promise.all([ready, templatesReady]);

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const { dataset, ...rest } = props;
  const e = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(e.dataset, dataset);
  e.append(...children);
  return e;
};

let omni = null;           // the connected client
let session = null;        // { publicKeyId } when signed in as a person (a key of this browser)
let watches = [];          // open watches, closed on reconnect
const clusters = new Map(); // id -> { spec, status }

$("#version").textContent = `v${version()}`;

// ---------- status line ----------
function setStatus(text, kind = "") {
  const s = $("#status");
  s.textContent = text;
  s.className = `status ${kind}`;
}

function describe(err) {
  if (err instanceof OmniError) {
    switch (err.code) {
      case "UNAUTHENTICATED": return "Authentication failed: the key is wrong, expired or unknown to this Omni.";
      case "PERMISSION_DENIED": return `Permission denied: ${err.message}`;
      case "UNAVAILABLE": return `Omni is unreachable (network down?): ${err.message}`;
      default: return `${err.code}: ${err.message}`;
    }
  }
  return String(err?.message ?? err);
}

// ---------- connect ----------
$("#endpoint").value = location.origin;

$("#key-file").addEventListener("change", async (ev) => {
  const f = ev.target.files?.[0];
  if (f) $("#key").value = (await f.text()).trim();
});

const endpoint = () => $("#endpoint").value.trim() || location.origin;

/** Stop everything live on the current client: its watches, the open cluster page. */
function stopLive() {
  for (const w of watches) w.close();
  watches = [];
  closeCluster();
}

/** Show why connecting or signing in failed. */
function connectFailed(e) {
  setStatus("not connected", "err");
  $("#connect-error").textContent = describe(e);
  $("#connect-error").hidden = false;
}

/** Switch to the app with a working client (`label` goes into the status line). */
async function enter(client, label) {
  await client.list("clusters"); // proves the key works before we switch views
  stopLive();
  omni = client;
  setStatus(label, "ok");
  $("#connect").hidden = true;
  $("#sign-in-wait").hidden = true;
  $("#tabs").hidden = false;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  showTab("overview");
  startOverview();
  startMachines("");
}

async function connect(key) {
  $("#connect-error").hidden = true;
  setStatus("connecting…");
  try {
    const client = await OmniClient.connect({ endpoint: endpoint(), serviceAccountKey: key, transport: $("#transport").value });
    await enter(client, `connected (${$("#transport").value})`);
    // the key stays only inside the client (wasm memory): wipe it from the DOM
    $("#key").value = "";
    $("#key-file").value = "";
  } catch (e) {
    connectFailed(e);
  }
}

// ---------- sign in as a person (Omni's UI flow) ----------
async function signIn(email) {
  $("#connect-error").hidden = true;
  setStatus("signing in…");
  try {
    // a non-extractable WebCrypto key: it signs, it can't be read out
    const signer = await Signer.generateEcdsa(email);
    const client = await OmniClient.connect({ endpoint: endpoint(), signer, transport: $("#transport").value });
    const { loginUrl, publicKeyId } = await client.registerPublicKey(signer, email);
    $("#login-link").href = loginUrl;
    $("#sign-in-wait").hidden = false;
    await client.awaitConfirmation(publicKeyId);
    await keyStore.save(signer, publicKeyId);
    session = { publicKeyId };
    await enter(client, `signed in as ${email}`);
  } catch (e) {
    $("#sign-in-wait").hidden = true;
    connectFailed(e);
  }
}

$("#sign-in-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const email = $("#email").value.trim();
  if (email) signIn(email);
});

$("#sign-out").addEventListener("click", async () => {
  const client = omni;
  stopLive();
  omni = null;
  if (session && client) {
    // a person's key is revoked (it signs nothing any more) and forgotten
    try { await client.revokePublicKey(session.publicKeyId); } catch (e) { setStatus(describe(e), "err"); }
    await keyStore.remove();
  }
  session = null;
  $("#app").hidden = true;
  $("#tabs").hidden = true;
  $("#sign-out").hidden = true;
  $("#cluster-tab").hidden = true;
  $("#connect").hidden = false;
  setStatus("not connected");
});

$("#connect-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const key = $("#key").value.trim();
  if (!key) {
    $("#connect-error").textContent = "Paste a service-account key or pick a key file.";
    $("#connect-error").hidden = false;
    return;
  }
  connect(key);
});

async function demoKey() {
  const r = await fetch("/demo/service-account.key");
  if (!r.ok) throw new Error(`the demo key is not available (HTTP ${r.status}); is omni-sim running with --demo?`);
  return (await r.text()).trim();
}

$("#demo-btn").addEventListener("click", async () => {
  try {
    await connect(await demoKey());
  } catch (e) {
    connectFailed(e);
  }
});

// ---------- tabs ----------
for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab));
}

// ---------- live watch helper ----------
function live(kind, options, onEvent, onError) {
  const w = omni.watch(kind, options);
  watches.push(w);
  (async () => {
    try {
      for await (const ev of w) onEvent(ev);
    } catch (e) {
      onError(e);
    }
  })();
  return w;
}

// ---------- overview ----------
const PHASES = ["unknown", "scaling up", "scaling down", "running", "destroying"];

function renderClusters() {
  const body = $("#clusters tbody");
  body.replaceChildren();
  const ids = [...clusters.keys()].sort();
  $("#clusters-empty").hidden = ids.length > 0;
  for (const id of ids) {
    const { spec = {}, status = {} } = clusters.get(id);
    const m = status.machines ?? {};
    const phase = status.phase ?? 0;
    const kube = el("button", { textContent: "kubeconfig", onclick: () => download(id, "kubeconfig") });
    const open = el("button", { className: "cluster-link", textContent: id, onclick: () => openCluster(id) });
    const talos = el("button", { textContent: "talosconfig", onclick: () => download(id, "talosconfig") });
    body.append(el("tr", { dataset: { cluster: id } },
      el("td", {}, open),
      el("td", { textContent: PHASES[phase] ?? phase, className: `phase-${phase}` }),
      el("td", { textContent: status.ready ? "yes" : "no" }),
      el("td", { textContent: `${m.healthy ?? 0}/${m.total ?? 0}` }),
      el("td", { textContent: spec.talos_version ?? "" }),
      el("td", { textContent: spec.kubernetes_version ?? "" }),
      el("td", {}, kube, " ", talos)));
  }
}

function startOverview() {
  clusters.clear();
  renderClusters();
  const apply = (field) => (ev) => {
    const id = ev.resource?.metadata.id;
    if (!id) return;
    if (ev.type === "destroyed") {
      if (field === "spec") clusters.delete(id);
    } else {
      const c = clusters.get(id) ?? {};
      c[field] = ev.resource.spec;
      clusters.set(id, c);
    }
    renderClusters();
  };
  const fail = (e) => setStatus(describe(e), "err");
  live("clusters", {}, apply("spec"), fail);
  live("clusterstatuses", {}, apply("status"), fail);
}

async function download(cluster, what) {
  try {
    const text = what === "kubeconfig" ? await omni.kubeconfig(cluster) : await omni.talosconfig(cluster);
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/yaml" })), download: `${cluster}-${what}.yaml` });
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (e) {
    setStatus(describe(e), "err");
  }
}

// ---------- one cluster: live status tree, machine logs ----------
let clusterStop = null; // aborts the status updates and the log stream of the open cluster
let logStream = null;

function closeCluster() {
  clusterStop?.abort();
  clusterStop = null;
  logStream?.close();
  logStream = null;
}

function showTab(name) {
  for (const o of document.querySelectorAll("#tabs button")) o.classList.toggle("active", o.dataset.tab === name);
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== name;
}

async function openCluster(id) {
  closeCluster();
  const stop = new AbortController();
  clusterStop = stop;
  $("#cluster-title").textContent = `Cluster ${id}`;
  $("#cluster-tree").textContent = "loading…";
  $("#cluster-machines").replaceChildren();
  $("#machine-logs").textContent = "";
  $("#cluster-error").hidden = true;
  $("#cluster-tab").hidden = false;
  showTab("cluster");
  const fail = (e) => {
    if (stop.signal.aborted) return;
    $("#cluster-error").textContent = describe(e);
    $("#cluster-error").hidden = false;
  };
  // omnictl's status tree, re-rendered whenever it changes, until the page leaves the cluster
  (async () => {
    try {
      for await (const s of omni.clusterStatusUpdates(id, { until: () => false, signal: stop.signal })) {
        $("#cluster-tree").textContent = s ? s.tree : "(no status yet)";
      }
    } catch (e) { fail(e); }
  })();
  try {
    const ms = await omni.list("machinestatuses", { selector: `omni.sidero.dev/cluster=${id}` });
    for (const m of ms.sort((a, b) => a.metadata.id.localeCompare(b.metadata.id))) {
      const name = m.spec?.network?.hostname || m.metadata.id;
      $("#cluster-machines").append(el("li", {}, el("button", { textContent: `logs: ${name}`, dataset: { machine: m.metadata.id }, onclick: () => followLogs(m.metadata.id) })));
    }
  } catch (e) { fail(e); }
}

async function followLogs(machine) {
  logStream?.close();
  const out = $("#machine-logs");
  out.textContent = "";
  const stream = omni.machineLogs(machine, { follow: true, tailLines: 50, format: "omni" });
  logStream = stream;
  try {
    for await (const line of stream) {
      out.append(line.endsWith("\n") ? line : `${line}\n`);
      out.scrollTop = out.scrollHeight;
    }
  } catch (e) {
    if (logStream === stream) out.append(`\n${describe(e)}\n`);
  }
}

// ---------- machines ----------
let machineWatch = null;
const machines = new Map();

function renderMachines() {
  const body = $("#machine-table tbody");
  body.replaceChildren();
  const ids = [...machines.keys()].sort();
  $("#machines-empty").hidden = ids.length > 0;
  for (const id of ids) {
    const r = machines.get(id);
    const labels = r.metadata.labels ?? {};
    const s = r.spec ?? {};
    const role = "omni.sidero.dev/role-controlplane" in labels ? "control plane"
      : "omni.sidero.dev/role-worker" in labels ? "worker" : "";
    const status = s.connected ? (s.maintenance ? "maintenance" : "connected") : "disconnected";
    body.append(el("tr", { dataset: { machine: id } },
      el("td", { textContent: s.network?.hostname ? `${s.network.hostname} (${id.slice(0, 8)})` : id }),
      el("td", { textContent: labels["omni.sidero.dev/cluster"] ?? s.cluster ?? "" }),
      el("td", { textContent: role }),
      el("td", { textContent: status }),
      el("td", { textContent: (s.network?.addresses ?? [])[0] ?? "" }),
      el("td", {}, ...Object.entries(labels)
        .filter(([k]) => !k.startsWith("omni.sidero.dev/role"))
        .map(([k, v]) => el("span", { className: "label", textContent: v ? `${k}=${v}` : k })))));
  }
}

function startMachines(selector) {
  machineWatch?.close();
  machines.clear();
  renderMachines();
  $("#machines-error").hidden = true;
  machineWatch = live("machinestatuses", selector ? { selector } : {}, (ev) => {
    const id = ev.resource?.metadata.id;
    if (!id) return;
    if (ev.type === "destroyed") machines.delete(id); else machines.set(id, ev.resource);
    renderMachines();
  }, (e) => {
    $("#machines-error").textContent = describe(e);
    $("#machines-error").hidden = false;
  });
}

$("#machine-filter").addEventListener("submit", (ev) => {
  ev.preventDefault();
  startMachines($("#machine-selector").value.trim());
});

// ---------- resource browser ----------
$("#resource-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const list = $("#resource-list");
  const err = $("#resource-error");
  err.hidden = true;
  list.replaceChildren(el("li", { textContent: "loading…" }));
  $("#resource-yaml").textContent = "";
  try {
    const kind = $("#resource-type").value.trim();
    const items = await omni.list(kind);
    list.replaceChildren();
    if (!items.length) list.append(el("li", { className: "empty", textContent: "none" }));
    for (const r of items) {
      list.append(el("li", {}, el("button", {
        textContent: r.metadata.id,
        onclick: async () => {
          const fresh = await omni.get(kind, r.metadata.id, { namespace: r.metadata.namespace });
          $("#resource-yaml").textContent = fresh ? resourcesToYaml([fresh]) : "(gone)";
        },
      })));
    }
  } catch (e) {
    list.replaceChildren();
    err.textContent = describe(e);
    err.hidden = false;
  }
});

// ---------- template studio ----------
const EXAMPLE = `kind: Cluster
name: demo-preview
kubernetes:
  version: v1.32.0
talos:
  version: v1.9.1
---
kind: ControlPlane
machines:
  - 0c8f1a4e-1111-4a5b-9c3d-000000000001
---
kind: Workers
machines:
  - 0c8f1a4e-1111-4a5b-9c3d-000000000002
`;
const text = $("#template-text");
text.value = EXAMPLE;

function gutter(marks) {
  const lines = text.value.split("\n").length;
  const g = $("#gutter");
  g.replaceChildren();
  for (let i = 1; i <= lines; i++) {
    const span = el("span", { textContent: String(i) });
    if (marks.has(i)) { span.className = "mark"; span.title = marks.get(i); }
    g.append(span, "\n");
  }
}

function check() {
  const issues = validateTemplate(text.value, {});
  const marks = new Map();
  const list = $("#template-errors");
  list.replaceChildren();
  for (const i of issues) {
    if (i.line) marks.set(i.line, i.message);
    list.append(el("li", { textContent: i.line ? `line ${i.line}:${i.column}: ${i.message}` : i.message }));
  }
  gutter(marks);
  if (!issues.length) {
    try {
      $("#template-render").textContent = renderTemplate(text.value, {});
    } catch (e) {
      list.append(el("li", { textContent: String(e.message) }));
    }
  } else {
    $("#template-render").textContent = "";
  }
  return issues.length === 0;
}

let timer = null;
text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 150); });
text.addEventListener("scroll", () => { $("#gutter").scrollTop = text.scrollTop; });
check();

$("#template-diff").addEventListener("click", async () => {
  if (!check()) return;
  try {
    const plan = await omni.templateSync(text.value, { dryRun: true });
    $("#template-diff-out").textContent = plan.diff || "(no changes)";
  } catch (e) {
    $("#template-diff-out").textContent = describe(e);
  }
});

$("#template-sync").addEventListener("click", async () => {
  if (!check()) return;
  try {
    const plan = await omni.templateSync(text.value, { dryRun: true });
    $("#confirm-diff").textContent = plan.diff || "(no changes)";
    const dlg = $("#confirm");
    dlg.showModal();
    dlg.addEventListener("close", async () => {
      if (dlg.returnValue !== "ok") return;
      const done = await omni.templateSync(text.value, {});
      $("#template-diff-out").textContent = `synced: ${done.diff || "(no changes)"}`;
    }, { once: true });
  } catch (e) {
    $("#template-diff-out").textContent = describe(e);
  }
});

// ---------- start: a person's stored key, else the demo's (`make demo` opens connected) ----------
(async () => {
  const saved = await keyStore.load().catch(() => null);
  if (saved) {
    try {
      const client = await OmniClient.connect({ endpoint: endpoint(), signer: saved.signer, transport: $("#transport").value });
      session = { publicKeyId: saved.publicKeyId };
      await enter(client, `signed in as ${saved.signer.identity}`);
      return;
    } catch {
      session = null; // revoked or unknown here: sign in again
    }
  }
  const key = await demoKey().catch(() => null);
  if (key) await connect(key);
})();
