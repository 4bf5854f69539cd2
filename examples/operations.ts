// Operations from an edge script or a dashboard: follow machine logs, pull a support bundle,
// tail the audit log, manage users and join tokens, and merge a kubeconfig into an existing
// file's text. Type-checked by `make test-types`; run with any TS runner against a real Omni.
import {
  OmniClient,
  OmniError,
  mergeKubeconfig,
  resolveOmniconfig,
  type SupportBundleEvent,
  type management,
} from "omni-wasm";

export async function connectFromOmniconfig(omniconfigText: string, env: Record<string, string>): Promise<OmniClient> {
  // what omnictl would connect to: the current context, or a service-account key from env
  const target = resolveOmniconfig(omniconfigText, { env });
  if (!target.serviceAccountKey) throw new Error(`context ${target.context} needs an interactive login`);
  return OmniClient.connect({ endpoint: target.url, serviceAccountKey: target.serviceAccountKey });
}

/** The last `lines` log lines of a machine, then live ones for `ms` milliseconds. */
export async function followLogs(omni: OmniClient, machine: string, lines: number, ms: number): Promise<string[]> {
  const out: string[] = [];
  const signal = AbortSignal.timeout(ms);
  for await (const line of omni.machineLogs(machine, { follow: true, tailLines: lines, format: "dmesg", signal })) {
    out.push(line);
  }
  return out;
}

/** A support bundle as bytes, reporting progress. */
export async function supportBundle(omni: OmniClient, cluster: string, onProgress: (done: number, total: number) => void): Promise<Uint8Array> {
  for await (const ev of omni.supportBundle(cluster, { encrypt: false })) {
    const e: SupportBundleEvent = ev;
    if (e.type === "progress") onProgress(e.value, e.total);
    if (e.type === "bundle") return e.data;
  }
  throw new Error("the server sent no bundle");
}

/** Audit events as they happen, until `signal` aborts. */
export async function auditTail(omni: OmniClient, signal: AbortSignal, onEvent: (record: unknown) => void): Promise<void> {
  for await (const chunk of omni.auditLog({ follow: true, signal })) {
    for (const line of chunk.data.split("\n").filter(Boolean)) onEvent(JSON.parse(line));
  }
}

/** Give `email` a role, creating the user when needed. */
export async function ensureUser(omni: OmniClient, email: string, role: string): Promise<void> {
  const users = await omni.listUsers();
  if (users.some((u) => u.email === email)) await omni.setUserRole(email, role);
  else await omni.createUser(email, role);
}

/** A join token for `ttlSeconds` and the kernel arguments machines boot with. */
export async function joinArgs(omni: OmniClient, name: string, ttlSeconds: number): Promise<string> {
  const token = await omni.createJoinToken(name, { ttlSeconds });
  const cfg = await omni.getMachineJoinConfig({ joinToken: token });
  return cfg.kernel_args.join(" ");
}

/** Kubeconfig for `cluster`, merged into an existing kubeconfig's text (a browser has no ~/.kube). */
export async function kubeconfigMerged(omni: OmniClient, cluster: string, existing: string): Promise<string> {
  const incoming = await omni.kubeconfig(cluster);
  const merged = mergeKubeconfig(existing, incoming, { forceContextName: `omni-${cluster}` });
  for (const r of merged.renamed) console.warn(r.message);
  return merged.text;
}

/** Manifest sync with a dry run first. */
export async function syncManifests(omni: OmniClient, cluster: string): Promise<number> {
  let changes = 0;
  for await (const ev of omni.syncManifests(cluster, { dryRun: true })) if (ev.type === "manifest" && !ev.skipped) changes++;
  if (changes) for await (const ev of omni.syncManifests(cluster, { dryRun: false })) console.log(ev.type, ev.path);
  return changes;
}

export async function schematic(omni: OmniClient): Promise<string> {
  const req: management.CreateSchematicRequest = { extensions: ["siderolabs/iscsi-tools"], talos_version: "1.9.1" };
  try {
    return (await omni.createSchematic(req)).schematic_id ?? "";
  } catch (e) {
    if (e instanceof OmniError && e.code === "PERMISSION_DENIED") return "";
    throw e;
  }
}
