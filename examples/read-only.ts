// A read-only client for dashboards and reports: `readOnly: true` refuses every write locally with
// PERMISSION_DENIED before anything is sent — even when the key itself could write — while
// reads, watches and config downloads work. `onCall` reports every call that did go out, which
// proves the refused ones never left the process.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… CLUSTER=prod npx tsx examples/read-only.ts
// (CLUSTER: the cluster it tries to change; the first one by default)
import { OmniClient, OmniError, type CallReport } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const sent: CallReport[] = [];
const omni = await OmniClient.connect({
  endpoint: env("OMNI_ENDPOINT"),
  serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY"),
  readOnly: true,
  onCall: (r) => sent.push(r),
});

// reads work
const clusters = await omni.list("clusters");
check(clusters.length > 0, "clusters listed");
const name = process.env.CLUSTER ?? clusters[0].metadata.id;
const target = await omni.get("clusters", name);
check(target, `cluster ${name}`);
const status = await omni.clusterStatus(name);
const kubeconfig = await omni.kubeconfig(name);
check(kubeconfig.startsWith("apiVersion"), "a kubeconfig (a read)");
for await (const ev of omni.watch("clusters", { id: name, signal: AbortSignal.timeout(5000) })) {
  check(ev.resource?.metadata.id === name, "a watch (a read)");
  break;
}
console.log(`read ${clusters.length} clusters, ${name} is ${status?.healthy ? "healthy" : "not healthy"}; ${sent.length} calls sent`);

// every write is refused here, before it is sent
const template = await omni.templateExport(name); // export is a read
const before = sent.length;
const writes: Array<[string, () => Promise<unknown>]> = [
  ["apply", () => omni.apply({ metadata: { ...target.metadata }, spec: { ...target.spec, kubernetes_version: "9.9.9" } })],
  ["delete", () => omni.delete("clusters", name)],
  ["createUser", () => omni.createUser("intruder@example.org", "Admin")],
  ["createServiceAccount", () => omni.createServiceAccount("backdoor", { role: "Admin" })],
  ["a break-glass kubeconfig", () => omni.kubeconfig(name, { breakGlass: true })],
  ["templateSync", () => omni.templateSync(template.replace(/(kubernetes:\n\s+version: )\S+/, "$1v9.9.9"))],
];
for (const [what, write] of writes) {
  try {
    await write();
    throw new Error(`${what} went through a read-only client`);
  } catch (e) {
    check(e instanceof OmniError && e.code === "PERMISSION_DENIED", `${what}: ${e}`);
    console.log(`${what}: ${e.message}`);
  }
}
const leaked = sent.slice(before).filter((r) => !/\/(Get|List|Watch)$/.test(r.method));
check(leaked.length === 0, `no write was sent: ${leaked.map((r) => r.method).join(", ")}`);
check((await omni.get("clusters", name))?.spec.kubernetes_version === target.spec.kubernetes_version, "nothing changed");
console.log("ok");
