// Cluster templates: offline in Node (validate/render/diff/export against the upstream cases),
// and online against omni-sim (sync, changed sync, diff, export round trip, delete).
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as lib from "../../pkg/node.js";
import * as tmpl from "../../pkg/templates/node.js";
import { SIM, serviceAccount, mutate, uid } from "./helpers.mjs";

const cases = path.resolve(import.meta.dirname, "../testdata/templates");
const read = (f) => fs.readFileSync(path.join(cases, f), "utf8");
const files = {};
for (const dir of ["patches", "manifests"]) {
  for (const f of fs.readdirSync(path.join(cases, dir))) files[`${dir}/${f}`] = read(`${dir}/${f}`);
}

describe("templates offline (the template-only build)", () => {
  test("valid upstream cases render to their goldens byte for byte", () => {
    for (const name of ["cluster1", "cluster2", "cluster-with-manifests"]) {
      const out = tmpl.renderTemplate(read(`${name}.yaml`), { files, indent: 4 });
      assert.equal(out, read(`${name}-resources.yaml`), name);
    }
  });

  test("a Talos config patch is checked offline as Omni checks it, with where the problem is", () => {
    assert.deepEqual(tmpl.validateConfigPatch("machine:\n  network:\n    hostname: a\n"), []);
    const [issue, ...more] = tmpl.validateConfigPatch("machine:\n  network:\n    hostname: a\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nfilterz: {}\n");
    assert.equal(more.length, 0);
    assert.match(issue.message, /^error decoding document v1alpha1\/KubeSpanConfig\/ \(line 5\): unknown keys found during decoding:\nfilterz: \{\}/);
    assert.deepEqual([issue.document, issue.line, issue.column], [1, 7, 1]);
    // and so is every patch of a template
    const template = "kind: Cluster\nname: c\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.0\npatches:\n  - name: bad\n    inline:\n      machine:\n        instal: {}\n";
    const issues = tmpl.validateTemplate(template).filter((i) => i.message.includes("inline patch"));
    assert.equal(issues.length, 1);
    assert.deepEqual([issues[0].document, issues[0].line, issues[0].column], [0, 11, 9]);
    assert.match(issues[0].message, /failed to validate inline patch "bad": error decoding document \/v1alpha1\/ \(line 1\): unknown keys found during decoding:\nmachine:\n {4}instal: \{\}/);
  });

  test("invalid cases report errors with document, line and column", () => {
    const issues = tmpl.validateTemplate(read("cluster-invalid1.yaml"), { files });
    assert.ok(issues.length > 0);
    for (const i of issues) {
      assert.equal(typeof i.message, "string");
      assert.equal(typeof i.line, "number");
      assert.equal(typeof i.column, "number");
    }
    assert.throws(() => tmpl.renderTemplate(read("cluster-invalid1.yaml"), { files }), (e) => e.name === "TemplateError" && e.errors.length === issues.length);
  });

  test("export of rendered resources renders back to the same resources", () => {
    const resources = tmpl.renderTemplateResources(read("cluster1.yaml"), { files });
    const text = tmpl.exportTemplate(resources, { cluster: "my-first-cluster" });
    const again = tmpl.renderTemplateResources(text, {});
    const key = (r) => `${r.metadata.type}/${r.metadata.id}`;
    assert.deepEqual(again.map(key).sort(), resources.map(key).sort());
    assert.equal(tmpl.diffTemplate(text, { current: resources }), "");
  });

  test("diffTemplate shows a change against given resources", () => {
    const resources = tmpl.renderTemplateResources(read("cluster1.yaml"), { files });
    const diff = tmpl.diffTemplate(read("cluster2.yaml"), { files, current: resources });
    assert.match(diff, /^--- /m);
    assert.match(diff, /^\+\+\+ /m);
  });
});

describe("templates against omni-sim", () => {
  let omni;
  before(async () => {
    omni = await lib.OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("sa-tmpl")) });
  });

  const template = (name, k8s, workers) => `kind: Cluster
name: ${name}
kubernetes:
  version: v${k8s}
talos:
  version: v1.9.1
---
kind: ControlPlane
machines:
  - 11111111-0000-4000-8000-${name.length.toString().padStart(2, "0")}0000000001
---
kind: Workers
machines:
${workers.map((w) => `  - 11111111-0000-4000-8000-${name.length.toString().padStart(2, "0")}00000000${w}`).join("\n")}
`;

  test("sync creates, a changed template syncs only the difference, export round-trips, delete removes it", async () => {
    const name = uid("tc");
    const v1 = template(name, "1.32.0", ["11"]);
    const dry = await omni.templateSync(v1, { dryRun: true });
    assert.ok(dry.changed);
    assert.ok(dry.actions.every((a) => a.includes("(dry run)")));
    assert.equal(await omni.get("clusters", name), null, "dry run wrote nothing");

    const first = await omni.templateSync(v1, {});
    assert.ok(first.actions.some((a) => a === `* creating Clusters.omni.sidero.dev(${name})`), first.actions.join("\n"));
    assert.equal((await omni.get("clusters", name)).spec.kubernetes_version, "1.32.0");
    assert.equal((await omni.templateSync(v1, {})).changed, false, "second sync is a no-op");

    const v2 = template(name, "1.33.0", ["11", "12"]);
    const diff = await omni.templateDiff(v2, {});
    assert.match(diff, /kubernetesversion: 1\.33\.0/);
    const second = await omni.templateSync(v2, {});
    assert.deepEqual(
      second.actions.filter((a) => a.startsWith("* creating")).length, 1,
      second.actions.join("\n"),
    );
    assert.ok(second.actions.includes(`* updating Clusters.omni.sidero.dev(${name})`), second.actions.join("\n"));

    const exported = await omni.templateExport(name);
    const current = await Promise.all(["clusters", "machinesets", "machinesetnodes"].map((k) => omni.list(k, { selector: `omni.sidero.dev/cluster=${name}` })));
    const cluster = await omni.get("clusters", name);
    assert.equal(tmpl.diffTemplate(exported, { current: [cluster, ...current.flat()] }), "");
    // includeKernelArgs (omnictl --include-kernel-args): each machine's KernelArgs
    assert.doesNotMatch(exported, /kernelArgs/);
    const cp = `11111111-0000-4000-8000-${name.length.toString().padStart(2, "0")}0000000001`;
    await mutate({ namespace: "default", type: "KernelArgs.omni.sidero.dev", id: cp, create: true, spec: { args: ["console=ttyS0"] } });
    const withArgs = await omni.templateExport(name, { includeKernelArgs: true });
    assert.match(withArgs, new RegExp(`name: ${cp}\nkernelArgs:\n  - console=ttyS0\n`));
    assert.match(withArgs, /kernelArgs: \[\]\n/, "a machine without KernelArgs exports an empty list");

    const del = await omni.templateDelete(v2, {});
    assert.ok(del.actions.includes(`* destroyed Clusters.omni.sidero.dev(${name})`), del.actions.join("\n"));
    assert.equal(await omni.get("clusters", name), null);
    const left = await omni.list("machinesets", { selector: `omni.sidero.dev/cluster=${name}` });
    // Omni's controllers cascade the rest; the simulator has none, so what the plan tears
    // down explicitly is gone and nothing else of this template was touched
    assert.ok(Array.isArray(left));
  });

  test("an invalid template writes nothing", async () => {
    const name = uid("bad");
    const text = `kind: Cluster\nname: ${name}\nkubernetes:\n  version: vN\ntalos:\n  version: v1.9.1\n`;
    const err = await omni.templateSync(text, {}).catch((e) => e);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.equal(await omni.get("clusters", name), null);
    // every problem and where it is survive the trip through the client: the same list the
    // offline validator gives
    assert.deepEqual(err.errors, tmpl.validateTemplate(text, {}));
    // a YAML error found while loading carries its line and column too
    const bad = await omni.templateSync("kind: Cluster\nname: [x\n", {}).catch((e) => e);
    assert.equal(bad.code, "INVALID_ARGUMENT");
    assert.ok(bad.errors?.length === 1 && bad.errors[0].line >= 2 && bad.errors[0].column >= 1, JSON.stringify(bad.errors));
  });
});

test("the client's .wasm carries no template engine: full and lite load omni-wasm/templates on the first template call", async () => {
  assert.equal(lib.validateTemplate, undefined, "offline template functions live in omni-wasm/templates only");
  assert.equal(typeof tmpl.validateTemplate, "function");
  const lite = await import("../../pkg/lite/node.js");
  assert.equal(lite.buildFlavor(), "browser");
  assert.equal(lite.validateTemplate, undefined);
  // lite's entry finds the engine one directory up; a template error (found before anything
  // is sent) crosses both modules with its line and column
  const omni = await lite.OmniClient.connect({ endpoint: SIM });
  const bad = await omni.templateDiff("kind: Cluster\nname: [x\n", {}).catch((e) => e);
  assert.equal(bad.code, "INVALID_ARGUMENT", String(bad));
  assert.deepEqual(bad.errors, tmpl.validateTemplate("kind: Cluster\nname: [x\n", {}));
  assert.ok(bad.errors[0].line >= 2, JSON.stringify(bad.errors));
});

describe("cluster status tree against omni-sim", () => {
  test("the tree shows the cluster, machine sets and machines, and healthy flips with the phases", async () => {
    const omni = await lib.OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("sa-status")) });
    const name = uid("st");
    const c = { "omni.sidero.dev/cluster": name };
    const put = (type, id, labels, spec) => fetch(`${SIM}/_sim/resource`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type, id, create: true, set_labels: labels, spec, owner: "StatusController" }) }).then((r) => r.json());
    assert.equal(await omni.clusterStatus(name), null, "no ClusterStatus yet");
    await put("ClusterStatuses.omni.sidero.dev", name, {}, { phase: 1, ready: false, machines: { healthy: 0, total: 1 } });
    await put("MachineSetStatuses.omni.sidero.dev", `${name}-control-planes`, { ...c, "omni.sidero.dev/role-controlplane": "" }, { phase: 1, machines: { healthy: 0, total: 1 } });
    await put("ClusterMachineStatuses.omni.sidero.dev", "m-1", { ...c, "omni.sidero.dev/machine-set": `${name}-control-planes` }, { stage: 2 });
    const st = await omni.clusterStatus(name);
    assert.equal(st.healthy, false);
    assert.equal(st.tree, `Cluster "${name}" SCALING_UP Not Ready (0/1) (healthy/total)\n└── Control Plane "${name}-control-planes" ScalingUp Not Ready (0/1)\n    └── Machine "m-1" INSTALLING Unreachable Config Outdated\n`);
    await put("ClusterStatuses.omni.sidero.dev", name, {}, { phase: 3, ready: true, machines: { healthy: 1, total: 1 } });
    await put("MachineSetStatuses.omni.sidero.dev", `${name}-control-planes`, { ...c, "omni.sidero.dev/role-controlplane": "" }, { phase: 3, ready: true, machines: { healthy: 1, total: 1 } });
    await put("ClusterMachineStatuses.omni.sidero.dev", "m-1", { ...c, "omni.sidero.dev/machine-set": `${name}-control-planes`, "omni.sidero.dev/connected": "" }, { stage: 4, ready: true, config_up_to_date: true });
    const ok = await omni.clusterStatus(name);
    assert.equal(ok.healthy, true, ok.tree);
    assert.match(ok.tree, /Machine "m-1" RUNNING Ready\n$/);
  });

  test("clusterStatusUpdates yields each change and ends when healthy; timeoutMs and until bound it", async () => {
    const omni = await lib.OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("sa-wait")) });
    const name = uid("wait");
    const put = (type, id, spec) => fetch(`${SIM}/_sim/resource`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type, id, create: true, spec, owner: "StatusController" }) }).then((r) => r.json());
    const seen = [];
    for await (const s of omni.clusterStatusUpdates(name, { intervalMs: 40, timeoutMs: 20000 })) {
      seen.push(s);
      if (seen.length === 1) await put("ClusterStatuses.omni.sidero.dev", name, { phase: 1, ready: false, machines: { healthy: 0, total: 1 } });
      if (seen.length === 2) await put("ClusterStatuses.omni.sidero.dev", name, { phase: 3, ready: true, machines: { healthy: 1, total: 1 } });
    }
    assert.deepEqual(seen.map((s) => s?.healthy ?? null), [null, false, true], JSON.stringify(seen));
    // nothing changes: the wait ends with DEADLINE_EXCEEDED after the first snapshot
    const stuck = [];
    const err = await (async () => { for await (const s of omni.clusterStatusUpdates(uid("never"), { intervalMs: 40, timeoutMs: 400 })) stuck.push(s); })().catch((e) => e);
    assert.equal(err?.code, "DEADLINE_EXCEEDED", String(err));
    assert.deepEqual(stuck, [null]);
    // a predicate of one's own
    const first = [];
    for await (const s of omni.clusterStatusUpdates(name, { until: (s) => s !== null })) first.push(s);
    assert.equal(first.length, 1);
    assert.equal(first[0].healthy, true);
  });
});
