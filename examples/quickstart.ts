// Quick start: connect with a service-account key, list the clusters as `omnictl get clusters`
// prints them, and show each cluster's status tree (`omnictl cluster status`).
//
// Run against your Omni (Node 20+, `npm install omni-wasm tsx`):
//   OMNI_ENDPOINT=https://your-account.omni.siderolabs.io \
//   OMNI_SERVICE_ACCOUNT_KEY=$(cat sa.key) npx tsx examples/quickstart.ts
// The key comes from `omnictl serviceaccount create quickstart --role Reader`.
import { OmniClient, version } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}

const omni = await OmniClient.connect({
  endpoint: env("OMNI_ENDPOINT"),
  serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY"),
  readOnly: true, // this script only reads
});

console.log(`omni-wasm ${version()} → ${env("OMNI_ENDPOINT")}\n`);
const clusters = await omni.list("clusters");
console.log(omni.formatTable("clusters", clusters));

for (const c of clusters) {
  const status = await omni.clusterStatus(c.metadata.id);
  console.log(status ? status.tree : `Cluster "${c.metadata.id}" has no status yet\n`);
}

const machines = await omni.list("machinestatuses");
const free = machines.filter((m) => m.metadata.labels?.["omni.sidero.dev/available"] !== undefined);
console.log(`${clusters.length} clusters, ${machines.length} machines (${free.length} not in a cluster)`);
if (clusters.length === 0) throw new Error("no clusters: nothing to show");
