// `omnictl apply -f` from code: resources kept as YAML (omnictl's format, several documents),
// a dry run that shows the diff and writes nothing, the real apply, a second apply that changes
// nothing, and an edit that updates one resource. Then the resources as `omnictl get -o yaml`
// prints them, and clean-up.
//
// What it writes: a cluster without machines, a config patch for it and a machine class, all
// named `example-apply-…`, deleted at the end.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/apply-yaml.ts
import { OmniClient, OmniError, resourcesFromYaml, resourcesToYaml } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
/** apply() reads each resource's version before it writes; when one of Omni's controllers
 * changed it in between (they add finalizers right after a create), apply again. */
async function applyRetrying(yaml: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await omni.apply(yaml);
    } catch (e) {
      if (!(e instanceof OmniError && e.code === "FAILED_PRECONDITION") || attempt === 5) throw e;
    }
  }
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const name = `example-apply-${Date.now().toString(36)}`;

// what you would keep in git (spec field names as `omnictl get -o yaml` prints them)
const manifest = (kubernetes: string) => `metadata:
    namespace: default
    type: Clusters.omni.sidero.dev
    id: ${name}
    labels:
        team: platform
spec:
    kubernetesversion: ${kubernetes}
    talosversion: 1.9.1
---
metadata:
    namespace: default
    type: ConfigPatches.omni.sidero.dev
    id: 400-${name}-sysctls
    labels:
        omni.sidero.dev/cluster: ${name}
    annotations:
        name: sysctls
spec:
    data: |
        machine:
          sysctls:
            net.core.somaxconn: "65535"
---
metadata:
    namespace: default
    type: MachineClasses.omni.sidero.dev
    id: ${name}-large
spec:
    matchlabels:
        - omni.sidero.dev/cores>=16
`;

// the text parses locally first: a typo is reported with document and line before anything is sent
check(resourcesFromYaml(manifest("1.31.4")).length === 3, "three documents");
try {
  resourcesFromYaml("metadata:\n    type: Clusters.omni.sidero.dev\n  id: [oops\n");
  throw new Error("bad YAML was accepted");
} catch (e) {
  console.log(`bad YAML is refused locally: ${(e as Error).message.split("\n")[0]}`);
}

// dry run: the plan, nothing written
const plan = await omni.apply(manifest("1.31.4"), { dryRun: true });
console.log(plan.map((r) => `${r.action} ${r.resource.metadata.type}(${r.resource.metadata.id})`).join("\n"));
check(plan.every((r) => r.action === "create" && r.diff.includes("+++")), "the dry run plans three creations");
check((await omni.get("clusters", name)) === null, "a dry run writes nothing");

// apply, then apply again: the second one changes nothing
const applied = await omni.apply(manifest("1.31.4"));
check(applied.every((r) => r.action === "create"), "created");
const again = await applyRetrying(manifest("1.31.4"));
check(again.every((r) => r.action === "unchanged" && r.diff === ""), "re-applying the same YAML changes nothing");

// an edit: only the cluster changes, and the diff says how
const edited = await applyRetrying(manifest("1.32.0"));
const changed = edited.filter((r) => r.action !== "unchanged");
check(changed.length === 1 && changed[0].action === "update", "one update");
console.log(changed[0].diff);
check(/^-.*: 1\.31\.4$/m.test(changed[0].diff) && /^\+.*: 1\.32\.0$/m.test(changed[0].diff), "the diff shows the version change");

// what is stored now, as omnictl prints it
const stored = [await omni.get("clusters", name), await omni.get("configpatches", `400-${name}-sysctls`)];
const yaml = resourcesToYaml(stored.filter((r) => r !== null));
console.log(yaml);
check(yaml.includes("kubernetesversion: 1.32.0") && yaml.includes("net.core.somaxconn"), "stored as applied");

// clean up (the cluster waits for Omni's controllers to release it)
await omni.delete("configpatches", `400-${name}-sysctls`);
await omni.delete("machineclasses", `${name}-large`);
await omni.delete("clusters", name, { timeoutMs: 30_000 });
check((await omni.get("clusters", name)) === null, "cleaned up");
console.log("ok");
