// Automated Talos and Kubernetes upgrade of one cluster, with pre-checks: the cluster must be
// healthy and not locked, the target Talos version must be known to Omni and support the target
// Kubernetes version, and Omni's own Kubernetes upgrade pre-checks must pass
// (`omnictl cluster kubernetes upgrade-pre-checks`). Only then: Talos first, wait for the Talos
// upgrade and a healthy cluster, then Kubernetes, wait again. Any failed check stops it before
// anything is changed; a failed upgrade stops it with the reason Omni gives.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… \
//   CLUSTER=staging TALOS_VERSION=1.9.2 KUBERNETES_VERSION=1.32.0 npx tsx examples/upgrade.ts
import { OmniClient, OmniError, type Resource, type ResourceOf } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
const version = (name: string) => env(name).replace(/^v/, ""); // "v1.9.2" or "1.9.2"
function refuse(why: string): never {
  throw new Error(`upgrade refused: ${why}`);
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const name = env("CLUSTER");
const target = { talos: version("TALOS_VERSION"), kubernetes: version("KUBERNETES_VERSION") };

/** "1.9.2" → [1, 9, 2], to compare versions. */
const parse = (v: string) => v.split(".").map(Number);
const older = (a: string, b: string) => {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
};

// --- pre-checks: nothing is written until all of them pass -------------------------------------
const cluster = (await omni.get("clusters", name)) as ResourceOf<"Clusters.omni.sidero.dev"> | null;
if (!cluster) refuse(`no cluster ${name}`);
const current = { talos: cluster.spec.talos_version ?? "", kubernetes: cluster.spec.kubernetes_version ?? "" };
console.log(`${name}: Talos ${current.talos} → ${target.talos}, Kubernetes ${current.kubernetes} → ${target.kubernetes}`);
if (older(target.talos, current.talos) || older(target.kubernetes, current.kubernetes)) refuse("that would be a downgrade");
if (cluster.metadata.annotations?.["omni.sidero.dev/cluster-locked"] !== undefined) refuse(`${name} is locked`);

const status = await omni.clusterStatus(name);
if (!status?.healthy) refuse(`${name} is not healthy now:\n${status?.tree ?? "no status"}`);

const talosVersion = (await omni.get("talosversions", target.talos)) as ResourceOf<"TalosVersions.omni.sidero.dev"> | null;
if (!talosVersion) refuse(`Omni does not offer Talos ${target.talos}`);
if (talosVersion.spec.deprecated) refuse(`Talos ${target.talos} is deprecated`);
if (!talosVersion.spec.compatible_kubernetes_versions?.includes(target.kubernetes)) {
  refuse(`Kubernetes ${target.kubernetes} is not compatible with Talos ${target.talos} (compatible: ${talosVersion.spec.compatible_kubernetes_versions?.join(", ")})`);
}
if (target.kubernetes !== current.kubernetes) {
  try {
    await omni.kubernetesUpgradePreChecks(name, target.kubernetes);
  } catch (e) {
    if (e instanceof OmniError && e.code === "FAILED_PRECONDITION") refuse(`Omni's pre-checks: ${e.message}`);
    throw e;
  }
}
console.log("pre-checks passed");

// --- the upgrades ------------------------------------------------------------------------------

/** Change one field of the cluster's spec (retrying when someone else changed it meanwhile). */
async function setVersion(field: "talos_version" | "kubernetes_version", version: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const c = (await omni.get("clusters", name))!;
    try {
      await omni.update({ ...c, spec: { ...c.spec, [field]: version } });
      return;
    } catch (e) {
      // FAILED_PRECONDITION on update = a version conflict: read again and retry
      if (!(e instanceof OmniError && e.code === "FAILED_PRECONDITION") || attempt >= 3) throw e;
    }
  }
}

/** Follow an upgrade status resource until it reports Done for `version`; Failed stops the run. */
async function waitForUpgrade(kind: "kubernetesupgradestatuses" | "talosupgradestatuses", version: string): Promise<void> {
  let step = "";
  for await (const ev of omni.watch(kind, { id: name, signal: AbortSignal.timeout(60 * 60_000) })) {
    const s = (ev.resource as Resource<{ phase?: number; step?: string; error?: string; last_upgrade_version?: string }> | undefined)?.spec;
    if (!s) continue;
    if (s.step && s.step !== step) console.log(`  ${(step = s.step)}`);
    if (s.phase === 3 /* Failed */) throw new Error(`${kind} ${name}: upgrade failed: ${s.error}`);
    if (s.phase === 2 /* Done */ && s.last_upgrade_version === version) return;
  }
}

async function waitHealthy(): Promise<void> {
  for await (const s of omni.clusterStatusUpdates(name, { intervalMs: 1000, timeoutMs: 60 * 60_000 })) {
    if (s && !s.healthy) console.log(`  waiting: ${s.tree.split("\n")[0]}`);
  }
}

if (target.talos !== current.talos) {
  console.log(`upgrading Talos to ${target.talos}`);
  await setVersion("talos_version", target.talos);
  await waitForUpgrade("talosupgradestatuses", target.talos);
  await waitHealthy();
  console.log(`Talos ${target.talos}: done, cluster healthy`);
}
if (target.kubernetes !== current.kubernetes) {
  console.log(`upgrading Kubernetes to ${target.kubernetes}`);
  await setVersion("kubernetes_version", target.kubernetes);
  await waitForUpgrade("kubernetesupgradestatuses", target.kubernetes);
  await waitHealthy();
  console.log(`Kubernetes ${target.kubernetes}: done, cluster healthy`);
}

const after = (await omni.get("clusters", name))!;
if (after.spec.talos_version !== target.talos || after.spec.kubernetes_version !== target.kubernetes) {
  throw new Error(`${name} is at Talos ${after.spec.talos_version}, Kubernetes ${after.spec.kubernetes_version}`);
}
console.log((await omni.clusterStatus(name))?.tree);
console.log("ok");
