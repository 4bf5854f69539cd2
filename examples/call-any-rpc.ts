// Any RPC by name, for what the typed API does not wrap: `client.call(service, method, request)`
// and `client.callStream(…)` take and return protojson (proto or JSON field names in, proto names
// out, 64-bit integers and bytes as strings). The request is checked against the method's input
// type before anything is sent, so a misspelt field fails locally with INVALID_ARGUMENT.
// Per-cluster management methods take the cluster as metadata.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… CLUSTER=prod npx tsx examples/call-any-rpc.ts
// (CLUSTER: any cluster to read; the first one by default)
import { OmniClient, OmniError } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
const fromBase64 = (s: unknown) => new TextDecoder().decode(Uint8Array.from(atob(String(s)), (c) => c.charCodeAt(0)));

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });

// the controllers running in this Omni (ResourceService/Controllers: no typed wrapper; Admin only)
const { controllers } = await omni.call("omni.resources.ResourceService", "Controllers", {}) as { controllers?: string[] };
console.log(`${controllers?.length ?? 0} controllers: ${controllers?.slice(0, 5).join(", ")}…`);
check(controllers?.includes("ClusterController"), "the cluster controller runs");

// a method the typed API also has, reached by name: ResourceService/Get answers the resource as JSON text
const first = process.env.CLUSTER ? await omni.get("clusters", process.env.CLUSTER) : (await omni.list("clusters"))[0];
check(first, "a cluster");
const got = await omni.call("omni.resources.ResourceService", "Get", { namespace: "default", type: "Clusters.omni.sidero.dev", id: first.metadata.id });
const cluster = JSON.parse(String(got.body));
console.log(`Get ${cluster.metadata.id}: Kubernetes ${cluster.spec.kubernetesversion ?? cluster.spec.kubernetes_version}`);
check(cluster.metadata.id === first.metadata.id, "the same cluster");

// a per-cluster management method: the cluster goes in metadata; bytes come back as base64
const kc = await omni.call("management.ManagementService", "Kubeconfig", { serviceAccount: false }, { metadata: { cluster: first.metadata.id } });
check(fromBase64(kc.kubeconfig).startsWith("apiVersion: v1"), "a kubeconfig");
console.log(`Kubeconfig for ${first.metadata.id}: ${fromBase64(kc.kubeconfig).length} bytes`);

// a server stream: the last 3 log lines of a machine (field names in either spelling)
const [machine] = await omni.list("machinestatuses", { selector: `omni.sidero.dev/cluster=${first.metadata.id}` });
if (machine) {
  const lines: string[] = [];
  for await (const msg of omni.callStream("management.ManagementService", "MachineLogs", { machine_id: machine.metadata.id, tailLines: 3 })) {
    lines.push(fromBase64(msg.bytes));
  }
  console.log(`MachineLogs (stream): ${lines.length} lines`);
  check(lines.length === 3, "three lines");
}

// checked locally before sending: an unknown method, a misspelt field
for (const [method, request] of [["NoSuchMethod", {}], ["Kubeconfig", { serviceAcount: true }]] as const) {
  try {
    await omni.call("management.ManagementService", method, request, { metadata: { cluster: first.metadata.id } });
    throw new Error(`${method} was sent`);
  } catch (e) {
    check(e instanceof OmniError && e.code === "INVALID_ARGUMENT", `refused locally: ${e}`);
    console.log(`refused before sending: ${e.message}`);
  }
}
console.log("ok");
