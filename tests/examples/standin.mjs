// What a real Omni does on its own and omni-sim does not: the controllers that turn a Cluster,
// its MachineSets and MachineSetNodes into status resources (ClusterStatus, MachineSetStatus,
// ClusterMachineStatus, Kubernetes/Talos upgrade statuses), allocate machines, hold and release
// finalizers, cascade a torn-down cluster, and derive join tokens' states. The examples run unchanged against a real Omni;
// against omni-sim this stand-in plays those controllers through the simulator's `/_sim/resource`
// endpoint (the way a controller writes: no owner or version checks).
//
// Also the installation every Omni has before anyone runs an example (`seed`): machines that
// joined and wait to be allocated, Talos and Kubernetes versions, the SideroLink API config and
// the image-factory extensions of a Talos version.
import { OmniClient } from "../../pkg/node.js";

export const C = "omni.sidero.dev/cluster";
const MS = "omni.sidero.dev/machine-set";
const CP = "omni.sidero.dev/role-controlplane";
const WK = "omni.sidero.dev/role-worker";
const AVAILABLE = "omni.sidero.dev/available";
const FINALIZER = "ClusterController";

/** How long the stand-in's "machines" take: install, upgrade, clean up (ms). */
const BOOT_MS = 300;
const UPGRADE_MS = 700;
const TEARDOWN_MS = 150;

export async function simPost(sim, path, body) {
  const r = await fetch(`${sim}/_sim/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`/_sim/${path} ${JSON.stringify(body).slice(0, 200)}: HTTP ${r.status} ${text}`);
  return JSON.parse(text);
}

/** A fresh service account on the simulator: its OMNI_SERVICE_ACCOUNT_KEY. */
export async function serviceAccount(sim, name, role = "Admin") {
  return (await simPost(sim, "service-account", { name, role })).key;
}

export function machineId(i) {
  return `5eed${i.toString(16).padStart(4, "0")}-0000-4000-8000-${(i * 7919).toString(16).padStart(12, "0")}`;
}

/** The installation before the examples: free machines, versions, join configuration. */
export async function seed(sim, { machines = 24 } = {}) {
  const put = (m) => simPost(sim, "resource", { create: true, ...m });
  for (const v of ["1.8.3", "1.9.1", "1.9.2", "1.10.0"]) {
    const compat = v.startsWith("1.10") ? ["1.31.4", "1.32.0", "1.33.1"] : ["1.30.8", "1.31.4", "1.32.0"];
    await put({ type: "TalosVersions.omni.sidero.dev", id: v, owner: "TalosVersionController", spec: { version: v, compatible_kubernetes_versions: compat, deprecated: v === "1.8.3" } });
  }
  for (const v of ["1.30.8", "1.31.4", "1.32.0", "1.33.1"]) {
    await put({ type: "KubernetesVersions.omni.sidero.dev", id: v, owner: "KubernetesVersionController", spec: { version: v } });
  }
  await put({ type: "SiderolinkAPIConfigs.omni.sidero.dev", id: "siderolink-config", spec: { machine_api_advertised_url: "https://omni.example.org:8090/", wireguard_advertised_endpoint: "omni.example.org:50180" } });
  await put({ type: "TalosExtensions.omni.sidero.dev", id: "1.9.1", spec: { items: [{ name: "siderolabs/iscsi-tools" }, { name: "siderolabs/util-linux-tools" }, { name: "siderolabs/qemu-guest-agent" }] } });
  for (let i = 0; i < machines; i++) {
    const id = machineId(i);
    const region = i % 2 === 0 ? "eu-central-1" : "us-east-1";
    const cores = [4, 8, 16, 32][i % 4];
    await put({ type: "Machines.omni.sidero.dev", id, owner: "SiderolinkController", spec: { connected: true, management_address: `fdae:41e4:649b:9303::${(100 + i).toString(16)}` } });
    await put({
      type: "MachineStatuses.omni.sidero.dev", id, owner: "MachineStatusController",
      set_labels: { "omni.sidero.dev/arch": "amd64", "omni.sidero.dev/cores": String(cores), "omni.sidero.dev/region": region, "omni.sidero.dev/connected": "", [AVAILABLE]: "" },
      spec: { talos_version: "v1.9.1", connected: true, maintenance: true, network: { hostname: `talos-${String(i).padStart(2, "0")}` }, platform_metadata: { platform: "metal", region } },
    });
  }
}

/**
 * Start the stand-in controllers against `sim`; resolves to `{ stop(), errors }` once its
 * watches run. `errors` collects what went wrong inside (the runner fails on any).
 */
export async function startControllers(sim) {
  const omni = await OmniClient.connect({ endpoint: sim, serviceAccountKey: await serviceAccount(sim, `standin-${process.pid}`) });
  const errors = [];
  const abort = new AbortController();
  const put = (m) => simPost(sim, "resource", m);
  const written = new Map(); // "type/id" -> JSON of what we last wrote
  const firstSeen = new Map(); // MachineSetNode id -> ms
  const upgrades = new Map(); // "k8s/cluster" | "talos/cluster" -> { version, since }
  const known = new Set(); // clusters seen running
  const allocated = new Map(); // machine id -> cluster
  const tearingDown = new Map(); // cluster -> ms first seen tearing down
  let timer = null;
  let running = false;
  let again = false;

  function kick(delay = 15) {
    if (abort.signal.aborted) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; void reconcile(); }, delay);
  }

  async function write(type, id, labels, spec, owner) {
    const key = `${type}/${id}`;
    const body = JSON.stringify({ labels, spec });
    if (written.get(key) === body) return;
    await put({ type, id, create: true, set_labels: labels, spec, owner });
    written.set(key, body);
  }

  async function destroy(type, id) {
    written.delete(`${type}/${id}`);
    await put({ type, id, destroy: true }).catch((e) => { if (!/404/.test(String(e))) throw e; });
  }

  async function reconcile() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        await reconcileOnce();
      } while (again && !abort.signal.aborted);
    } catch (e) {
      if (!abort.signal.aborted) errors.push(e);
    } finally {
      running = false;
    }
  }

  async function reconcileOnce() {
    const [clusters, sets, nodes] = await Promise.all(["clusters", "machinesets", "machinesetnodes"].map((k) => omni.list(k)));
    const now = Date.now();
    let next = Infinity;
    const live = new Set();
    for (const c of clusters) {
      const name = c.metadata.id;
      if (c.metadata.phase === "tearingDown") {
        // the cluster's controllers clean up, then let go of the cluster
        if (!tearingDown.has(name)) tearingDown.set(name, now);
        const since = tearingDown.get(name);
        if (now - since < TEARDOWN_MS) { next = Math.min(next, since + TEARDOWN_MS); continue; }
        await cascade(name, sets, nodes);
        if (c.metadata.finalizers?.includes(FINALIZER)) await put({ type: c.metadata.type, id: name, remove_finalizers: [FINALIZER] }).catch(() => {});
        continue;
      }
      live.add(name);
      known.add(name);
      if (!c.metadata.finalizers?.includes(FINALIZER)) await put({ type: c.metadata.type, id: name, add_finalizers: [FINALIZER] }).catch(() => {});
      const upgrade = (kind, version) => {
        const key = `${kind}/${name}`;
        let u = upgrades.get(key);
        if (!u) { u = { version, from: version, since: 0 }; upgrades.set(key, u); }
        if (u.version !== version) { u = { version, from: u.version, since: now }; upgrades.set(key, u); }
        const busy = now - u.since < UPGRADE_MS;
        if (busy) next = Math.min(next, u.since + UPGRADE_MS);
        return { ...u, busy };
      };
      const k8s = upgrade("k8s", c.spec.kubernetes_version ?? "");
      const talos = upgrade("talos", c.spec.talos_version ?? "");
      let healthy = 0;
      let total = 0;
      let setsReady = 0;
      const mine = sets.filter((s) => s.metadata.labels?.[C] === name && s.metadata.phase !== "tearingDown");
      for (const s of mine) {
        const role = s.metadata.labels?.[CP] !== undefined ? { [CP]: "" } : { [WK]: "" };
        const members = nodes.filter((n) => n.metadata.labels?.[MS] === s.metadata.id);
        let ok = 0;
        for (const n of members) {
          const id = n.metadata.id;
          if (!firstSeen.has(id)) firstSeen.set(id, now);
          const booted = now - firstSeen.get(id) >= BOOT_MS;
          if (!booted) next = Math.min(next, firstSeen.get(id) + BOOT_MS);
          const stage = !booted ? 2 : talos.busy ? 6 : 4;
          const ready = stage === 4;
          if (ready) ok++;
          await write("ClusterMachineStatuses.omni.sidero.dev", id, { [C]: name, [MS]: s.metadata.id, ...role, "omni.sidero.dev/connected": "" },
            { stage, ready, config_up_to_date: ready }, "ClusterMachineStatusController");
          if (allocated.get(id) !== name) {
            await put({ type: "MachineStatuses.omni.sidero.dev", id, set_labels: { [C]: name }, remove_labels: [AVAILABLE] }).catch(() => {});
            allocated.set(id, name);
          }
        }
        const phase = talos.busy ? 7 : members.length > 0 && ok === members.length ? 3 : 1;
        if (phase === 3) setsReady++;
        healthy += ok;
        total += members.length;
        await write("MachineSetStatuses.omni.sidero.dev", s.metadata.id, { [C]: name, ...role },
          { phase, ready: phase === 3, machines: { healthy: ok, total: members.length, connected: members.length, requested: members.length } }, "MachineSetStatusController");
      }
      const running = mine.length > 0 && setsReady === mine.length;
      await write("ClusterStatuses.omni.sidero.dev", name, {}, {
        available: true, phase: running ? 3 : 1, ready: running, kubernetesAPIReady: running, controlplaneReady: running,
        machines: { healthy, total, connected: total, requested: total },
        talos_version: talos.busy ? talos.from : talos.version, kubernetes_version: k8s.busy ? k8s.from : k8s.version,
      }, "ClusterStatusController");
      const upgradeSpec = (u, what) => u.busy
        ? { phase: 1, step: `upgrading ${what} to ${u.version}`, status: "in progress", last_upgrade_version: u.from, current_upgrade_version: u.version }
        : { phase: 2, last_upgrade_version: u.version };
      await write("KubernetesUpgradeStatuses.omni.sidero.dev", name, { [C]: name }, upgradeSpec(k8s, "Kubernetes"), "KubernetesUpgradeStatusController");
      await write("TalosUpgradeStatuses.omni.sidero.dev", name, { [C]: name }, upgradeSpec(talos, "Talos"), "TalosUpgradeStatusController");
    }
    // clusters that went away (destroyed before we saw them tear down): cascade what is left
    for (const name of [...known]) {
      if (clusters.some((c) => c.metadata.id === name)) continue;
      known.delete(name);
      tearingDown.delete(name);
      await cascade(name, sets, nodes);
    }
    // statuses of what no longer exists; machines no longer in a set are free again
    const liveSets = new Set(sets.filter((s) => live.has(s.metadata.labels?.[C])).map((s) => s.metadata.id));
    const liveNodes = new Set(nodes.filter((n) => liveSets.has(n.metadata.labels?.[MS])).map((n) => n.metadata.id));
    for (const key of [...written.keys()]) {
      const [type, id] = key.split("/");
      const gone = type === "ClusterMachineStatuses.omni.sidero.dev" ? !liveNodes.has(id)
        : type === "MachineSetStatuses.omni.sidero.dev" ? !liveSets.has(id)
          : !live.has(id);
      if (gone) await destroy(type, id);
    }
    for (const [id] of [...allocated]) {
      if (liveNodes.has(id)) continue;
      allocated.delete(id);
      firstSeen.delete(id);
      await put({ type: "MachineStatuses.omni.sidero.dev", id, set_labels: { [AVAILABLE]: "" }, remove_labels: [C] }).catch(() => {});
    }
    for (const key of [...upgrades.keys()]) if (!live.has(key.split("/")[1])) upgrades.delete(key);
    // JoinTokenStatus: state and expiry follow the token
    const [tokens, tokenStatuses] = await Promise.all(["JoinTokens.omni.sidero.dev", "JoinTokenStatuses.omni.sidero.dev"].map((k) => omni.list(k)));
    for (const t of tokens) {
      const st = tokenStatuses.find((x) => x.metadata.id === t.metadata.id);
      if (!st) continue;
      const expiry = t.spec.expiration_time;
      const state = t.spec.revoked ? 2 : expiry && Date.parse(expiry) < now ? 3 : 1;
      if ((st.spec.state ?? 0) !== state || st.spec.expiration_time !== expiry) {
        const spec = { ...st.spec, state };
        if (expiry) spec.expiration_time = expiry; else delete spec.expiration_time;
        await put({ type: st.metadata.type, id: st.metadata.id, spec });
      }
    }
    for (const st of tokenStatuses) if (!tokens.some((t) => t.metadata.id === st.metadata.id)) await destroy(st.metadata.type, st.metadata.id);
    if (next !== Infinity) kick(Math.max(5, next - Date.now() + 5));
  }

  /** What Omni's controllers destroy with a cluster: its machine sets, their nodes, its patches. */
  async function cascade(name, sets, nodes) {
    for (const n of nodes.filter((n) => n.metadata.labels?.[C] === name)) await destroy(n.metadata.type, n.metadata.id);
    for (const s of sets.filter((s) => s.metadata.labels?.[C] === name)) await destroy(s.metadata.type, s.metadata.id);
    for (const p of await omni.list("configpatches", { selector: `${C}=${name}` })) await destroy(p.metadata.type, p.metadata.id);
  }

  const watches = ["clusters", "machinesets", "machinesetnodes", "JoinTokens.omni.sidero.dev"].map(async (kind) => {
    try {
      for await (const ev of omni.watch(kind, { signal: abort.signal })) {
        if (ev.type !== "bootstrapped") kick();
      }
    } catch (e) {
      if (!abort.signal.aborted) errors.push(e);
    }
  });
  await reconcile();
  return {
    errors,
    /** Resolves once nothing is pending: every transition due has been written. */
    async settle() {
      for (let i = 0; i < 200 && (timer || running); i++) await new Promise((r) => setTimeout(r, 25));
    },
    async stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
      await Promise.allSettled(watches);
      for (let i = 0; i < 100 && running; i++) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
