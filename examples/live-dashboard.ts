// A live dashboard in the browser (the page is live-dashboard.html): a read-only client lists
// the clusters and their status, then two watches keep the table current — a cluster created,
// upgraded or deleted anywhere shows up within moments, without polling. The key stays in memory
// only: the input is cleared after connecting, nothing goes to localStorage.
//
// Build: `esbuild live-dashboard.ts --format=esm --outfile=live-dashboard.js` (or any bundler),
// then serve the page as its top comment says. `make test-examples` runs it in headless Chromium
// against omni-sim and changes clusters behind its back.
import { OmniClient, OmniError, type Resource, type ResourceOf } from "omni-wasm";

type Row = { cluster?: ResourceOf<"Clusters.omni.sidero.dev">; status?: ResourceOf<"ClusterStatuses.omni.sidero.dev"> };
const PHASES = ["UNKNOWN", "SCALING_UP", "SCALING_DOWN", "RUNNING", "DESTROYING"];

const rows = new Map<string, Row>();
const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
let stop: AbortController | undefined;

function render(id: string): void {
  const row = rows.get(id);
  let tr = document.querySelector<HTMLTableRowElement>(`#clusters tr[data-cluster="${CSS.escape(id)}"]`);
  if (!row?.cluster) {
    tr?.remove();
    return;
  }
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.cluster = id;
    const before = Array.from(document.querySelectorAll<HTMLTableRowElement>("#clusters tbody tr")).find((r) => (r.dataset.cluster ?? "") > id);
    $("#clusters tbody").insertBefore(tr, before ?? null);
  }
  const c = row.cluster.spec;
  const s = row.status?.spec;
  const cells = [id, c.kubernetes_version ?? "", c.talos_version ?? "", PHASES[s?.phase ?? 0] ?? "", s ? (s.ready ? "ready" : "not ready") : "", s ? `${s.machines?.healthy ?? 0}/${s.machines?.total ?? 0}` : ""];
  tr.replaceChildren(...cells.map((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 4 && s) td.className = s.ready ? "ok" : "bad";
    return td;
  }));
  tr.classList.add("flash");
  setTimeout(() => tr?.classList.remove("flash"), 800);
  $("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

/** Keep `field` of the rows current from a watch of `kind` (existing resources first). */
async function follow(omni: OmniClient, kind: string, field: keyof Row, signal: AbortSignal, ready: () => void): Promise<void> {
  for await (const ev of omni.watch(kind, { signal })) {
    if (ev.type === "bootstrapped") {
      ready();
      continue;
    }
    const r = ev.resource as Resource | undefined;
    if (!r) continue;
    const row = rows.get(r.metadata.id) ?? {};
    if (ev.type === "destroyed") delete row[field];
    else (row as Record<string, Resource>)[field] = r;
    rows.set(r.metadata.id, row);
    render(r.metadata.id);
  }
}

function fail(e: unknown): void {
  const err = $("#error");
  err.hidden = false;
  err.textContent = e instanceof OmniError ? `${e.code}: ${e.message}` : String(e);
  document.body.dataset.state = "error";
  $("#state").textContent = "(error)";
}

$<HTMLFormElement>("#connect").addEventListener("submit", async (event) => {
  event.preventDefault();
  stop?.abort();
  stop = new AbortController();
  rows.clear();
  $("#clusters tbody").replaceChildren();
  $("#error").hidden = true;
  const key = $<HTMLInputElement>("#key");
  const endpoint = $<HTMLInputElement>("#endpoint").value || location.origin;
  try {
    const omni = await OmniClient.connect({ endpoint, serviceAccountKey: key.value, readOnly: true });
    key.value = ""; // the key lives in the client only
    let pending = 2;
    const ready = () => {
      if (--pending === 0) {
        document.body.dataset.state = "live";
        $("#state").textContent = "(live)";
      }
    };
    const signal = stop.signal;
    await Promise.all([follow(omni, "clusters", "cluster", signal, ready), follow(omni, "clusterstatuses", "status", signal, ready)]);
  } catch (e) {
    if (!stop.signal.aborted) fail(e);
  }
});
