// A dashboard data source: list machines of a cluster and keep clusters live.
// Type-checked by `make test-types`; run with any TS runner against a real Omni.
import { OmniClient, OmniError, type Resource, type WatchEvent } from "omni-wasm";

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

import type { ResourceOf, specs } from "omni-wasm";

/** Typed specs: every built-in type's spec interface is generated from the .proto files. */
export async function talosVersions(omni: OmniClient): Promise<string[]> {
  const statuses = (await omni.list("clusterstatuses")) as ResourceOf<"ClusterStatuses.omni.sidero.dev">[];
  return statuses.map((s) => `${s.metadata.id}: ${s.spec.talos_version ?? "?"} (${s.spec.phase ?? 0})`);
}

export function machineCount(ms: specs.MachineSetSpec): number {
  return ms.machine_allocation?.machine_count ?? 0;
}
