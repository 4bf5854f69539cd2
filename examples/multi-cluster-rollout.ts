// Multi-cluster rollout from one cluster template: allocate free machines per region, render and
// validate every cluster's template offline (nothing is written if one is wrong), show the plan
// (dry-run sync), roll out a canary and wait until it is healthy, then the rest in parallel, and
// check that every cluster matches its template. At the end the clusters are deleted again
// (set KEEP_CLUSTERS=1 to keep them).
//
// Needs 6 free machines: 2 (one control plane, one worker) for each of the three clusters, in the
// regions named below (MachineStatus label omni.sidero.dev/region).
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/multi-cluster-rollout.ts
import { OmniClient } from "omni-wasm";
import { validateTemplate, renderTemplateResources } from "omni-wasm/templates";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const prefix = env("ROLLOUT_PREFIX", "edge");
const fleet = [
  { name: `${prefix}-eu-1`, region: "eu-central-1", workers: 1 },
  { name: `${prefix}-eu-2`, region: "eu-central-1", workers: 1 },
  { name: `${prefix}-us-1`, region: "us-east-1", workers: 1 },
];
const versions = { kubernetes: "1.32.0", talos: "1.9.1" };
// shared by every cluster, referenced by path from the template
const files = {
  "patches/hardening.yaml": "machine:\n  sysctls:\n    kernel.kptr_restrict: \"2\"\n    net.ipv4.conf.all.rp_filter: \"1\"\n",
};

function template(c: (typeof fleet)[number], controlPlane: string, workers: string[]): string {
  return `kind: Cluster
name: ${c.name}
labels:
  rollout: ${prefix}
  region: ${c.region}
kubernetes:
  version: v${versions.kubernetes}
talos:
  version: v${versions.talos}
patches:
  - file: patches/hardening.yaml
  - name: region
    inline:
      machine:
        nodeLabels:
          topology.kubernetes.io/region: ${c.region}
---
kind: ControlPlane
machines:
  - ${controlPlane}
---
kind: Workers
machines:
${workers.map((w) => `  - ${w}`).join("\n")}
`;
}

// 1. machines: free ones (not in a cluster), by region, each used once
const taken = new Set<string>();
const templates = new Map<string, string>();
for (const c of fleet) {
  const free = (await omni.list("machinestatuses", { selector: `omni.sidero.dev/available,omni.sidero.dev/region=${c.region}` }))
    .map((m) => m.metadata.id)
    .filter((id) => !taken.has(id))
    .slice(0, 1 + c.workers);
  check(free.length === 1 + c.workers, `${c.name} needs ${1 + c.workers} free machines in ${c.region}, found ${free.length}`);
  free.forEach((id) => taken.add(id));
  templates.set(c.name, template(c, free[0], free.slice(1)));
}

// 2. offline: every template must validate before anything is written
for (const [name, text] of templates) {
  const issues = validateTemplate(text, { files });
  if (issues.length) {
    for (const i of issues) console.error(`${name}.yaml:${i.line}:${i.column}: ${i.message}`);
    throw new Error(`${name}: invalid template, nothing was written`);
  }
  console.log(`${name}: valid, ${renderTemplateResources(text, { files }).length} resources`);
}

// 3. the plan
for (const [name, text] of templates) {
  const plan = await omni.templateSync(text, { files, dryRun: true });
  console.log(`${name}: ${plan.actions.join("; ")}`);
  check(plan.changed, `${name} would be created`);
}

/** Sync one cluster and wait until Omni reports it healthy. */
async function rollOut(name: string): Promise<void> {
  const text = templates.get(name)!;
  const report = await omni.templateSync(text, { files });
  console.log(`${name}: synced (${report.actions.length} changes)`);
  let last = "";
  for await (const status of omni.templateStatusUpdates(text, { files, intervalMs: 500, timeoutMs: 10 * 60_000 })) {
    if (status && status.tree !== last) console.log((last = status.tree));
  }
  console.log(`${name}: healthy`);
}

// 4. canary first: if it does not become healthy, the rollout stops here
const [canary, ...rest] = fleet.map((c) => c.name);
await rollOut(canary);

// 5. the rest in parallel
await Promise.all(rest.map(rollOut));

// 6. every cluster matches its template; the machines are allocated
for (const [name, text] of templates) {
  check((await omni.templateDiff(text, { files })) === "", `${name} matches its template`);
  const status = await omni.clusterStatus(name);
  check(status?.healthy, `${name} healthy`);
}
console.log(`rolled out ${fleet.length} clusters: ${fleet.map((c) => c.name).join(", ")}`);

if (env("KEEP_CLUSTERS", "") !== "1") {
  await Promise.all([...templates.values()].map((text) => omni.templateDelete(text, { files })));
  for (const c of fleet) check((await omni.get("clusters", c.name)) === null, `${c.name} deleted`);
  console.log("deleted them again (KEEP_CLUSTERS=1 keeps them)");
}
console.log("ok");
