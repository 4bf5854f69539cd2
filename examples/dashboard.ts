// A dashboard's data source in Node: cluster versions, typed specs (`ResourceOf`, `specs.*`),
// per-call latency reports (`onCall`), following clusters live for a while, and what scaling a
// machine set would change (a dry run: nothing is written). The same functions work in a page
// (see live-dashboard.ts) or a Worker.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… FOLLOW_SECONDS=10 npx tsx examples/dashboard.ts
import { OmniClient, OmniError, type Resource, type WatchEvent } from "omni-wasm";
import type { ResourceOf, specs } from "omni-wasm";

type ClusterSpec = {
  kubernetes_version?: string;
  talos_version?: string;
};

export async function clusterVersions(endpoint: string, serviceAccountKey: string): Promise<Map<string, ClusterSpec>> {
  const omni = await OmniClient.connect({
    endpoint,
    serviceAccountKey,
    transport: "gateway",
    onCall: (r) => console.debug(`${r.method} ${r.outcome} ${r.durationMs} ms (${r.retries} retries)`),
  });
  const out = new Map<string, ClusterSpec>();
  for (const c of (await omni.list("clusters")) as Resource<ClusterSpec>[]) {
    out.set(c.metadata.id, c.spec);
  }
  return out;
}

export async function followClusters(omni: OmniClient, signal: AbortSignal, onChange: (ev: WatchEvent) => void): Promise<void> {
  try {
    for await (const ev of omni.watch("clusters", { signal })) {
      if (ev.type === "created" || ev.type === "updated" || ev.type === "destroyed") onChange(ev);
    }
  } catch (e) {
    if (e instanceof OmniError && e.code === "PERMISSION_DENIED") return;
    throw e;
  }
}

export async function scaleWorkers(omni: OmniClient, machineSet: string, count: number): Promise<string> {
  const ms = await omni.get("machinesets", machineSet);
  if (!ms) throw new Error(`no machine set ${machineSet}`);
  const spec = { ...ms.spec, machine_allocation: { ...(ms.spec.machine_allocation as object), machine_count: count } };
  const [result] = await omni.apply({ metadata: ms.metadata, spec }, { dryRun: true });
  return result.diff;
}

/** Typed specs: every built-in type's spec interface is generated from the .proto files. */
export async function talosVersions(omni: OmniClient): Promise<string[]> {
  const statuses = (await omni.list("clusterstatuses")) as ResourceOf<"ClusterStatuses.omni.sidero.dev">[];
  return statuses.map((s) => `${s.metadata.id}: ${s.spec.talos_version ?? "?"} (${s.spec.phase ?? 0})`);
}

export function machineCount(ms: specs.MachineSetSpec): number {
  return ms.machine_allocation?.machine_count ?? 0;
}

// ---- run it -----------------------------------------------------------------------------------
function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const endpoint = env("OMNI_ENDPOINT");
const key = env("OMNI_SERVICE_ACCOUNT_KEY");
const versions = await clusterVersions(endpoint, key);
for (const [id, spec] of versions) console.log(`${id.padEnd(20)} Kubernetes ${spec.kubernetes_version}  Talos ${spec.talos_version}`);
check(versions.size > 0, "clusters listed");

const omni = await OmniClient.connect({ endpoint, serviceAccountKey: key });
const statuses = await talosVersions(omni);
console.log(statuses.join("\n"));
check(statuses.length > 0, "cluster statuses read with their typed spec");

const sets = (await omni.list("machinesets")) as ResourceOf<"MachineSets.omni.sidero.dev">[];
const workers = sets.find((s) => s.metadata.labels?.["omni.sidero.dev/role-worker"] !== undefined);
if (workers) {
  const diff = await scaleWorkers(omni, workers.metadata.id, machineCount(workers.spec) + 2);
  console.log(`scaling ${workers.metadata.id} to ${machineCount(workers.spec) + 2} would change:\n${diff}`);
  check(diff.includes("machine_count") || diff.includes("machinecount"), "the dry run shows the new machine count");
  check((await omni.get("machinesets", workers.metadata.id))?.metadata.version === workers.metadata.version, "a dry run writes nothing");
}

// follow clusters for a while (a dashboard keeps this running): the current ones arrive first
// as `created`, then every change as it happens
const seconds = Number(env("FOLLOW_SECONDS", "2"));
let changes = 0;
await followClusters(omni, AbortSignal.timeout(seconds * 1000), (ev) => {
  changes++;
  console.log(`watch: ${ev.type} ${ev.resource?.metadata.id}`);
}).catch((e) => {
  if ((e as Error).name !== "AbortError" && !(e instanceof OmniError && e.code === "CANCELLED")) throw e;
});
console.log(`followed clusters for ${seconds} s: ${changes} events`);
check(changes > 0, "the watch delivered the current clusters");
console.log("ok");
