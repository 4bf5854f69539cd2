// Operations from an edge script or a dashboard: connect the way omnictl does (omniconfig or
// environment), follow machine logs, pull a support bundle, tail the audit log, manage users and
// join tokens, merge a kubeconfig into an existing file's text, sync Kubernetes manifests (dry
// run first) and create an image-factory schematic. Each function stands on its own; the end of
// the file runs them all against one cluster.
//
// What it writes: a user ops@example.net (deleted again), a one-hour join token (deleted again),
// a manifest sync of the cluster when the dry run finds changes, a schematic.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… CLUSTER=prod npx tsx examples/operations.ts
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

// ---- run it -----------------------------------------------------------------------------------
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// no omniconfig text = omnictl's default; OMNI_ENDPOINT and OMNI_SERVICE_ACCOUNT_KEY override it
const environment = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
const omni = await connectFromOmniconfig("", environment);
const cluster = process.env.CLUSTER ?? (await omni.list("clusters"))[0]?.metadata.id;
check(cluster, "a cluster (set CLUSTER)");
const [machine] = await omni.list("machinestatuses", { selector: `omni.sidero.dev/cluster=${cluster}` });
check(machine, `a machine in ${cluster}`);

// audit events of what this script does, collected in the background
const audit: unknown[] = [];
const auditDone = auditTail(omni, AbortSignal.timeout(4000), (r) => audit.push(r)).catch((e) => {
  if (!(e instanceof OmniError && e.code === "PERMISSION_DENIED")) throw e; // needs the Auditor or Admin role
});

const lines = await followLogs(omni, machine.metadata.id, 5, 1500);
console.log(`logs of ${machine.metadata.id}:\n  ${lines.slice(-3).join("\n  ")}`);
check(lines.length >= 5, "the last lines, then live ones");

const bundle = await supportBundle(omni, cluster, (done, total) => { if (done === total) console.log(`support bundle: ${total} sources collected`); });
check(bundle[0] === 0x50 && bundle[1] === 0x4b, "a zip file");
console.log(`support bundle: ${bundle.length} bytes`);

await ensureUser(omni, "ops@example.net", "Operator");
await ensureUser(omni, "ops@example.net", "Reader"); // exists now: only the role changes
check((await omni.listUsers()).find((u) => u.email === "ops@example.net")?.role === "Reader", "user role set");
await omni.deleteUser("ops@example.net");

const args = await joinArgs(omni, "ops-batch", 3600);
console.log(`kernel args for new machines: ${args}`);
check(args.includes("jointoken="), "join kernel args");
await omni.deleteJoinToken(await omni.resolveJoinToken({ tokenName: "ops-batch" }));

const kubeconfig = await kubeconfigMerged(omni, cluster, "");
check(kubeconfig.includes(`omni-${cluster}`), "merged kubeconfig");

const changes = await syncManifests(omni, cluster);
console.log(`manifest sync: ${changes} manifests out of date${changes ? ", synced" : ""}`);

const id = await schematic(omni);
console.log(`schematic ${id}`);
check(/^[0-9a-f]{64}$/.test(id), "a schematic id");

await auditDone;
console.log(`audit log: ${audit.length} events while this ran`);
console.log("ok");
