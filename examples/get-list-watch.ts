// Reads: get one resource, list with label selectors (omnictl's `-l` grammar: `=`, `!=`,
// `!key`, `in (…)`, numeric `>=`; terms joined by commas must all hold), an id regexp, one
// sorted page, and a watch that follows a selector while the script creates, changes and
// deletes a throwaway cluster (no machines) that only it uses.
//
// Run against your Omni (an Operator key: the throwaway cluster is created and deleted):
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… CLUSTER=prod npx tsx examples/get-list-watch.ts
// (CLUSTER: a cluster to read; the first one by default)
import { OmniClient, OmniError, type WatchEvent } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
/** Omni's controllers change resources too (finalizers, at once after a create): a write from
 * an older read fails with FAILED_PRECONDITION; read again and retry. */
async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof OmniError && e.code === "FAILED_PRECONDITION") || attempt === 5) throw e;
    }
  }
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });

// get: null when it does not exist (no exception to catch)
const clusters = await omni.list("clusters");
check(clusters.length > 0, "the instance has clusters");
const first = process.env.CLUSTER ?? clusters[0].metadata.id;
const cluster = await omni.get("clusters", first);
check(cluster?.metadata.id === first, "get returns the listed cluster");
console.log(`cluster ${first}: Kubernetes ${cluster.spec.kubernetes_version}, Talos ${cluster.spec.talos_version}`);
check((await omni.get("clusters", "no-such-cluster")) === null, "get of a missing resource is null");

// list with selectors: the machines of that cluster, free machines, big free machines
const inCluster = await omni.list("machinestatuses", { selector: `omni.sidero.dev/cluster=${first}` });
const free = await omni.list("machinestatuses", { selector: "omni.sidero.dev/available" });
const bigFree = await omni.list("machinestatuses", { selector: "omni.sidero.dev/available,omni.sidero.dev/cores>=16" });
const notFree = await omni.list("machinestatuses", { selector: "!omni.sidero.dev/available" });
const eu = await omni.list("machinestatuses", { selector: "omni.sidero.dev/region=eu-central-1" });
const notEu = await omni.list("machinestatuses", { selector: "omni.sidero.dev/region!=eu-central-1" });
const euOrUs = await omni.list("machinestatuses", { selector: "omni.sidero.dev/region in (eu-central-1, us-east-1)" });
const us = await omni.list("machinestatuses", { selector: "omni.sidero.dev/region=us-east-1" });
// several selectors are ORed: the same machines as `in (…)`
const euOrUsToo = await omni.list("machinestatuses", { selector: ["omni.sidero.dev/region=eu-central-1", "omni.sidero.dev/region=us-east-1"] });
console.log(`machines: ${inCluster.length} in ${first}, ${free.length} free (${bigFree.length} with ≥16 cores), ${notFree.length} allocated`);
check(inCluster.every((m) => m.metadata.labels?.["omni.sidero.dev/cluster"] === first), "selector by cluster");
check(bigFree.every((m) => Number(m.metadata.labels?.["omni.sidero.dev/cores"]) >= 16), "numeric selector");
check(bigFree.length <= free.length, "a narrower selector finds fewer");
check(eu.length + notEu.length === (await omni.list("machinestatuses")).length, "`=` and `!=` split the machines");
check(euOrUs.length === eu.length + us.length, "`in (a, b)` is a or b");
check(euOrUsToo.length === euOrUs.length, "several selectors are ORed");

// an id regexp (RE2), and one page of a sorted list (what Omni's UI uses for long tables)
const byRegexp = await omni.list("clusters", { idMatchRegexp: `^${first}$` });
check(byRegexp.length === 1, "idMatchRegexp");
const page = await omni.listPage("machinestatuses", { sortByField: "id", sortDescending: true, limit: 5 });
check(page.items.length <= 5 && page.total >= page.items.length, "a page and the total");
const ids = page.items.map((m) => m.metadata.id);
check(ids.join() === [...ids].sort().reverse().join(), "sorted descending by id");
console.log(`page: ${ids.length} of ${page.total} machines, last id first`);

// watch a selector: only our throwaway cluster matches; events arrive as they happen
const id = `example-watch-${Date.now().toString(36)}`;
const label = { "example.omni-wasm/watch": id };
const events: WatchEvent[] = [];
const stop = new AbortController();
const giveUp = setTimeout(() => stop.abort(), 15_000);
const done = (async () => {
  for await (const ev of omni.watch("clusters", { selector: `example.omni-wasm/watch=${id}`, signal: stop.signal, bootstrap: false })) {
    events.push(ev);
    console.log(`watch: ${ev.type} ${ev.resource?.metadata.id ?? ""} ${ev.resource?.spec.kubernetes_version ?? ""}`);
    if (ev.type === "destroyed") stop.abort();
  }
})();
await new Promise((r) => setTimeout(r, 300)); // the watch is open before the changes start

await omni.create({ metadata: { namespace: "default", type: "Clusters.omni.sidero.dev", id, labels: label }, spec: { kubernetes_version: "1.31.4", talos_version: "1.9.1" } });
await retryOnConflict(async () => {
  const current = (await omni.get("clusters", id))!;
  return omni.update({ ...current, spec: { ...current.spec, kubernetes_version: "1.32.0" } });
});
const [deleted] = await omni.delete("clusters", id, { timeoutMs: 30_000 });
check(deleted.destroyed, "deleted");
await done; // ends at "destroyed", or after 15 s
clearTimeout(giveUp);

// Omni's controllers change the cluster too (finalizers, the teardown phase): more updates may come
const types = events.map((e) => e.type);
check(types[0] === "created" && types.at(-1) === "destroyed", `created first, destroyed last: ${types}`);
const upgrade = events.find((e) => e.type === "updated" && e.old?.spec.kubernetes_version !== e.resource?.spec.kubernetes_version);
check(upgrade?.old?.spec.kubernetes_version === "1.31.4" && upgrade.resource?.spec.kubernetes_version === "1.32.0", "an update carries the old resource");
console.log("ok");
