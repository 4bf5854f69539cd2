// Deleting what controllers still hold: Omni's controllers put finalizers on a cluster; a delete
// first tears it down (phase `tearingDown`), the controllers clean up and remove their
// finalizers, and only then is it destroyed. `teardown` does the first step alone and reports
// whether anything still holds the resource; `delete` does all of it and waits. Also: deleting
// what is gone (not an error) and deleting by label selector.
//
// What it writes: a cluster without machines and three config patches, named `example-delete-…`.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/delete-with-finalizers.ts
import { OmniClient, type Resource } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const id = `example-delete-${Date.now().toString(36)}`;

/** Follow one resource until `done` holds for it (or it is gone: null). */
async function waitFor(kind: string, name: string, done: (r: Resource | null) => boolean, timeoutMs = 30_000): Promise<Resource | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const ev of omni.watch(kind, { id: name, signal })) {
    const r = ev.type === "destroyed" ? null : ev.resource ?? null;
    if (done(r)) return r;
  }
  throw new Error(`${kind} ${name}: gave up after ${timeoutMs} ms`);
}

await omni.create({ metadata: { namespace: "default", type: "Clusters.omni.sidero.dev", id }, spec: { kubernetes_version: "1.32.0", talos_version: "1.9.1" } });

// Omni's controllers pick the new cluster up and hold it with finalizers
const held = await waitFor("clusters", id, (r) => (r?.metadata.finalizers?.length ?? 0) > 0);
console.log(`${id} is held by: ${held?.metadata.finalizers?.join(", ")}`);

// step 1 alone: tear down; `false` = finalizers remain, so it cannot be destroyed yet
const free = await omni.teardown("clusters", id);
check(free === false, "teardown reports the finalizers that remain");
check((await omni.get("clusters", id))?.metadata.phase === "tearingDown", "the cluster is tearing down");
console.log(`${id} is tearing down; waiting for the controllers to let go`);

// the controllers clean up and remove their finalizers
await waitFor("clusters", id, (r) => r === null || (r.metadata.finalizers ?? []).length === 0);

// delete = teardown, wait for the finalizers, destroy (here there is nothing left to wait for)
const [result] = await omni.delete("clusters", id, { timeoutMs: 30_000 });
check(result.destroyed, "destroyed");
check((await omni.get("clusters", id)) === null, "gone");
console.log(`${id} destroyed`);

// deleting what does not exist is not an error: `destroyed: false`
const [again] = await omni.delete("clusters", id);
check(again.destroyed === false, "deleting a missing resource reports destroyed: false");

// delete by selector (omnictl delete configpatches -l …)
for (const n of [1, 2, 3]) {
  await omni.create({
    metadata: { namespace: "default", type: "ConfigPatches.omni.sidero.dev", id: `${id}-${n}`, labels: { "example.omni-wasm/delete": id } },
    spec: { data: `machine:\n  env:\n    EXAMPLE: "${n}"\n` },
  });
}
const bySelector = await omni.delete("configpatches", { selector: `example.omni-wasm/delete=${id}` });
console.log(bySelector.map((r) => `deleted ${r.type}(${r.id})`).join("\n"));
check(bySelector.length === 3 && bySelector.every((r) => r.destroyed), "three patches deleted by selector");
check((await omni.list("configpatches", { selector: `example.omni-wasm/delete=${id}` })).length === 0, "none left");
console.log("ok");
