// Management against omni-sim, in Node: users, the management streams (order, abort),
// validation RPCs, cluster and machine operations, join tokens, infra providers, media.
// One test per row of the README's coverage table (the row names its test here).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { OmniClient, OmniError, parseOmniconfig, resolveOmniconfig, mergeKubeconfig } from "../../pkg/node.js";
import { SIM, serviceAccount, mutate, uid, sleep } from "./helpers.mjs";

let admin; // OmniClient of an Admin service account

before(async () => {
  admin = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("mgmt"), "Admin") });
});

async function rejects(p, code) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof OmniError, `not an OmniError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** A machine the simulator knows (a MachineStatus), optionally in a cluster. */
async function machine(cluster) {
  const id = uid("machine");
  await mutate({ type: "Machines.omni.sidero.dev", id, create: true, spec: { connected: true } });
  await mutate({ type: "MachineStatuses.omni.sidero.dev", id, create: true, set_labels: cluster ? { "omni.sidero.dev/cluster": cluster } : {} });
  return id;
}

async function cluster() {
  const id = uid("cl");
  await admin.create({ metadata: { type: "Clusters.omni.sidero.dev", namespace: "default", id }, spec: { kubernetes_version: "1.31.1", talos_version: "1.9.1" } });
  return id;
}

test("configs: kubeconfig (user, service account, break-glass), talosconfig, omniconfig parsed and resolved", async () => {
  const c = await cluster();
  const kc = await admin.kubeconfig(c);
  assert.match(kc, /^apiVersion: v1/m);
  assert.ok(kc.includes(c));
  const sa = await admin.kubeconfig(c, { serviceAccount: true, serviceAccountUser: "ci", serviceAccountTtlSeconds: 3600, serviceAccountGroups: ["system:masters"] });
  assert.ok(sa.includes("ci"));
  await rejects(admin.kubeconfig(c, { serviceAccount: true, serviceAccountTtlSeconds: 3600 }), "INVALID_ARGUMENT");
  await rejects(admin.kubeconfig(""), "INVALID_ARGUMENT");
  const reader = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("rd"), "Reader") });
  await rejects(reader.kubeconfig(c, { breakGlass: true }), "PERMISSION_DENIED");
  // Omni marks the cluster's status as tainted by break-glass access; without a status to mark
  // (Omni's controller keeps one per cluster) no config is handed out
  await rejects(admin.kubeconfig(c, { breakGlass: true }), "NOT_FOUND");
  await mutate({ type: "ClusterStatuses.omni.sidero.dev", id: c, create: true, spec: {} });
  assert.ok((await admin.kubeconfig(c, { breakGlass: true })).includes(c));
  const status = await admin.get("ClusterStatuses.omni.sidero.dev", c);
  assert.equal(status.metadata.labels["omni.sidero.dev/tainted-by-break-glass"], "");
  assert.match(status.metadata.annotations["omni.sidero.dev/tainted-by-break-glass-timestamp"], /^\d{10}$/);
  // merged client-side into an existing kubeconfig's text
  const merged = mergeKubeconfig(kc, await admin.kubeconfig(c), {});
  assert.equal(merged.renamed.length, 0, "identical entries merge without renames");
  assert.match(await admin.talosconfig(c), /context: /);
  assert.match(await admin.talosconfig(), /contexts:/);
  const oc = await admin.omniconfig();
  const parsed = parseOmniconfig(oc);
  assert.equal(parsed.context, "default");
  const r = resolveOmniconfig(oc, { env: {} });
  assert.equal(r.context, "default");
  assert.ok(r.identity.endsWith("@serviceaccount.omni.sidero.dev"), r.identity);
  assert.equal(new URL(r.url).host, new URL(SIM).host);
});

test("users: create, list, set-role, delete (Admin only)", async () => {
  const email = `${uid("u")}@example.org`;
  const id = await admin.createUser(email, "Reader");
  assert.ok(id);
  let u = (await admin.listUsers()).find((x) => x.email === email);
  assert.equal(u.role, "Reader");
  assert.equal(u.id, id);
  await admin.setUserRole(email, "Operator");
  u = (await admin.listUsers()).find((x) => x.email === email);
  assert.equal(u.role, "Operator");
  await rejects(admin.createUser(email, "Reader"), "ALREADY_EXISTS");
  await rejects(admin.createUser(`${uid("u")}@example.org`, ""), "INVALID_ARGUMENT");
  await admin.deleteUser(email);
  assert.equal((await admin.listUsers()).find((x) => x.email === email), undefined);
  const reader = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("r"), "Reader") });
  await rejects(reader.listUsers(), "PERMISSION_DENIED");
});

test("machine logs: tail, order, formats; follow stops promptly on abort", async () => {
  const m = await machine();
  const all = await collect(admin.machineLogs(m));
  assert.equal(all.length, 50);
  const seqs = all.map((l) => JSON.parse(l).seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal((await collect(admin.machineLogs(m, { tailLines: 5 }))).length, 5);
  assert.equal((await collect(admin.machineLogs(m, { tailLines: 0 }))).length, 0);
  // closing a stream that has already ended is a no-op (it threw "null pointer passed to rust")
  const ended = admin.machineLogs(m, { tailLines: 2 });
  assert.equal((await collect(ended)).length, 2);
  ended.close();
  ended.close();
  const dmesg = await collect(admin.machineLogs(m, { tailLines: 1, format: "dmesg" }));
  assert.match(dmesg[0], /^\[\s*49\.000000\] daemon: \[talos\] /);
  const pretty = await collect(admin.machineLogs(m, { tailLines: 1, format: "omni" }));
  assert.ok(pretty[0].includes("[talos] ") && !pretty[0].startsWith("{"), pretty[0]);
  // follow: history then live lines, in order; abort ends the loop without an error
  const ac = new AbortController();
  const got = [];
  const started = Date.now();
  let abortedAt = 0;
  for await (const line of admin.machineLogs(m, { follow: true, tailLines: 2, signal: ac.signal })) {
    got.push(JSON.parse(line).seq);
    if (got.length === 4) { abortedAt = Date.now(); ac.abort(); }
  }
  assert.deepEqual(got, [48, 49, 50, 51]);
  assert.ok(Date.now() - abortedAt < 2000, "abort took too long");
  assert.ok(Date.now() - started < 10000);
  await rejects(collect(admin.machineLogs("no-such-machine")), "NOT_FOUND");
});

test("support bundle: recipients, progress in order, then the zip", async () => {
  const c = await cluster();
  const events = await collect(admin.supportBundle(c, { encryptionRecipients: ["age1example"] }));
  assert.equal(events[0].type, "recipients");
  assert.deepEqual(events[0].recipients, ["age1example"]);
  const progress = events.filter((e) => e.type === "progress");
  assert.deepEqual(progress.map((p) => p.value), progress.map((_, i) => i + 1));
  const last = events.at(-1);
  assert.equal(last.type, "bundle");
  assert.ok(last.data instanceof Uint8Array);
  assert.deepEqual([...last.data.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04]); // zip
  await rejects(collect(admin.supportBundle("no-such-cluster")), "NOT_FOUND");
});

test("audit log: range read, filters, follow with reconnect, Auditor-only", async () => {
  const c = await cluster();
  const text = (await collect(admin.auditLog({ search: c }))).map((x) => x.data).join("");
  assert.ok(text.includes(c), text.slice(0, 200));
  // follow: acknowledgement, then events written afterwards, across server-side stream ends
  const ac = new AbortController();
  const seen = [];
  const ids = [];
  const writer = (async () => {
    await sleep(300);
    await cluster();
    await sleep(800); // the follow stream ended and was reopened in between
    await cluster();
  })();
  for await (const chunk of admin.auditLog({ follow: true, reconnectAfterMs: 100, signal: ac.signal })) {
    if (!chunk.data) continue;
    seen.push(chunk.data);
    ids.push(chunk.id);
    if (seen.filter((d) => d.includes("Clusters.omni.sidero.dev")).length >= 2) ac.abort();
  }
  await writer;
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, ids.length, "an event was delivered twice");
  await rejects(collect(admin.auditLog({ follow: true, search: "x" })), "INVALID_ARGUMENT");
  const op = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("op"), "Operator") });
  await rejects(collect(op.auditLog()), "PERMISSION_DENIED");
});

test("kubernetes manifest sync: dry run reports, real run rolls out", async () => {
  const c = await cluster();
  const dry = await collect(admin.syncManifests(c));
  assert.ok(dry.length >= 1 && dry.every((e) => e.type === "manifest"));
  assert.ok(dry.some((e) => e.diff.includes("+")));
  const real = await collect(admin.syncManifests(c, { dryRun: false }));
  assert.equal(real.at(-1).type, "rollout");
  await rejects(collect(admin.syncManifests("")), "INVALID_ARGUMENT");
});

test("maintenance lifecycle, maintenance upgrade, power, node unique token", async () => {
  const m = await machine();
  const msgs = await collect(admin.maintenanceLifecycle(m, { operation: "install", version: "1.9.1", disk: "/dev/sda" }));
  assert.ok(msgs.length >= 2 && msgs[0].includes("install"), msgs.join("|"));
  await assert.rejects(() => Promise.resolve().then(() => collect(admin.maintenanceLifecycle(m, { operation: "reboot" }))));
  await admin.maintenanceUpgrade(m, "1.9.2");
  await admin.machinePowerOff(m);
  await rejects(admin.machinePowerOn(m), "FAILED_PRECONDITION");
  await admin.resetNodeUniqueToken(m);
  await rejects(admin.machinePowerOff("no-such-machine"), "NOT_FOUND");
});

test("validation RPCs and upgrade pre-checks", async () => {
  await admin.validateConfig("machine:\n  network:\n    hostname: a\n");
  await rejects(admin.validateConfig("machine: [unclosed"), "INVALID_ARGUMENT");
  // Talos' loader refuses unknown keys, Omni the fields it owns
  await rejects(admin.validateConfig("machine:\n  network:\n    hostnam: a\n"), "INVALID_ARGUMENT");
  await rejects(admin.validateConfig("machine:\n  token: x\n"), "INVALID_ARGUMENT");
  assert.deepEqual(await admin.validateJsonSchema('{"a": 1}', '{"type": "object"}'), []);
  const errs = await admin.validateJsonSchema('{"a": "x"}', '{"type":"object","properties":{"a":{"type":"integer"}}}');
  assert.equal(errs.length, 1);
  assert.equal(errs[0].data_path, "/a");
  const c = await cluster();
  await admin.kubernetesUpgradePreChecks(c, "1.32.0");
  await rejects(admin.kubernetesUpgradePreChecks(c, "banana"), "FAILED_PRECONDITION");
  await rejects(admin.kubernetesUpgradePreChecks("no-such-cluster", "1.32.0"), "NOT_FOUND");
});

test("schematics, boot asset URLs, machine join config", async () => {
  const s = await admin.createSchematic({ extensions: ["siderolabs/iscsi-tools"], talos_version: "1.9.1", extra_kernel_args: ["console=ttyS0"] });
  assert.match(s.schematic_id, /^[0-9a-f]{64}$/);
  assert.ok(s.schematic_yml.includes("iscsi-tools"));
  // request objects are read strictly: JSON names as well as proto names, a misspelt field refused
  const camel = await admin.createSchematic({ extensions: ["siderolabs/iscsi-tools"], talosVersion: "1.9.1" });
  assert.equal(camel.schematic_id, (await admin.createSchematic({ extensions: ["siderolabs/iscsi-tools"], talos_version: "1.9.1" })).schematic_id);
  await rejects(admin.createSchematic({ extension: ["siderolabs/iscsi-tools"], talos_version: "1.9.1" }), "INVALID_ARGUMENT");
  const raw = await admin.createSchematicFromRaw("customization:\n  extraKernelArgs: [a]\n", "1.9.1");
  assert.match(raw.schematic_id, /^[0-9a-f]{64}$/);
  const url = await admin.getBootAssetUrl({ schematic_id: s.schematic_id, talos_version: "1.9.1", boot_asset_kind: 2 });
  assert.ok(url.url.endsWith(".iso"), url.url);
  await rejects(admin.getBootAssetUrl({}), "INVALID_ARGUMENT");
  const jc = await admin.getMachineJoinConfig({ joinToken: "tok", useGrpcTunnel: true });
  assert.ok(jc.kernel_args[0].includes("jointoken=tok&grpc_tunnel=true"));
  assert.ok(jc.config.includes("SideroLinkConfig"));
});

test("cluster lock/unlock and machine lock/unlock set omnictl's annotations", async () => {
  const c = await cluster();
  let r = await admin.setClusterLocked(c, true);
  assert.equal(r.metadata.annotations["omni.sidero.dev/cluster-locked"], "");
  await mutate({ type: "Clusters.omni.sidero.dev", id: c, set_annotations: { "omni.sidero.dev/cluster-import-is-in-progress": "" } });
  r = await admin.setClusterLocked(c, false);
  assert.equal(r.metadata.annotations?.["omni.sidero.dev/cluster-locked"], undefined);
  assert.equal(r.metadata.annotations?.["omni.sidero.dev/cluster-import-is-in-progress"], undefined);
  const m = uid("msn");
  await admin.create({ metadata: { type: "MachineSetNodes.omni.sidero.dev", namespace: "default", id: m, labels: { "omni.sidero.dev/cluster": c } }, spec: {} });
  r = await admin.setMachineLocked(m, true);
  assert.equal(r.metadata.annotations["omni.sidero.dev/locked"], "");
  r = await admin.setMachineLocked(m, false);
  assert.equal(r.metadata.annotations?.["omni.sidero.dev/locked"], undefined);
  await rejects(admin.setClusterLocked("no-such-cluster", true), "NOT_FOUND");
});

test("cluster machine delete: forceEtcdLeave request, force tears the Link down, MachineSetNode removed, waits for the ClusterMachine", async () => {
  const c = await cluster();
  const m = uid("cm");
  await mutate({ type: "ClusterMachines.omni.sidero.dev", id: m, create: true, set_labels: { "omni.sidero.dev/cluster": c } });
  await admin.create({ metadata: { type: "MachineSetNodes.omni.sidero.dev", namespace: "default", id: m, labels: { "omni.sidero.dev/cluster": c } }, spec: {} });
  await mutate({ type: "Links.omni.sidero.dev", id: m, create: true });
  const done = admin.deleteClusterMachine(m, { forceEtcdLeave: true, force: true, timeoutMs: 10000 });
  await sleep(500);
  // the MachineSetNode is gone and the force request exists; the controller removes the ClusterMachine
  assert.equal(await admin.get("MachineSetNodes.omni.sidero.dev", m), null);
  const req = await admin.get("NodeForceDestroyRequests.omni.sidero.dev", m);
  assert.equal(req.metadata.labels["omni.sidero.dev/cluster"], c);
  // omnictl's --force: the Link is torn down (the machine leaves without a wipe)
  assert.equal((await admin.get("Links.omni.sidero.dev", m)).metadata.phase, "tearingDown");
  await mutate({ type: "ClusterMachines.omni.sidero.dev", id: m, destroy: true });
  const lines = await done;
  assert.equal(lines.at(-1), `ClusterMachines.omni.sidero.dev ${m} is destroyed`);
});

test("cluster delete: dry run writes nothing; delete removes the cluster's resources", async () => {
  const c = await cluster();
  await admin.create({ metadata: { type: "ConfigPatches.omni.sidero.dev", namespace: "default", id: `500-${c}`, labels: { "omni.sidero.dev/cluster": c } }, spec: { data: "machine: {}\n" } });
  // a ConfigPatch is checked as ValidateConfig checks it: nothing is written
  await rejects(admin.create({ metadata: { type: "ConfigPatches.omni.sidero.dev", namespace: "default", id: `501-${c}`, labels: { "omni.sidero.dev/cluster": c } }, spec: { data: "machine:\n  instal: {}\n" } }), "INVALID_ARGUMENT");
  assert.equal(await admin.get("ConfigPatches.omni.sidero.dev", `501-${c}`), null);
  const dry = await admin.deleteCluster(c, { dryRun: true });
  assert.ok(dry.actions.some((a) => a.includes(`(${c})`)), dry.actions.join("\n"));
  assert.ok(await admin.get("clusters", c));
  const r = await admin.deleteCluster(c);
  assert.ok(r.actions.some((a) => a.startsWith("* destroyed")), r.actions.join("\n"));
  assert.equal(await admin.get("clusters", c), null);
});

test("secret rotation: starts a rotation, reports status, refuses a second component", async () => {
  const c = await cluster();
  await rejects(admin.secretRotationStatus(c), "NOT_FOUND");
  await mutate({ type: "ClusterSecretsRotationStatuses.omni.sidero.dev", id: c, create: true, spec: {} });
  const st = await admin.rotateSecret(c, "talos-ca");
  assert.equal(st.phase, "OK");
  const req = await admin.get("RotateTalosCAs.omni.sidero.dev", c);
  assert.match(req.metadata.annotations.timestamp, /^\d+$/);
  await mutate({ type: "ClusterSecretsRotationStatuses.omni.sidero.dev", id: c, spec: { phase: 2, component: 1, status: "rotating", step: "rolling out" } });
  const now = await admin.secretRotationStatus(c);
  assert.deepEqual([now.phase, now.component, now.step], ["ROTATE", "TALOS_CA", "rolling out"]);
  await rejects(admin.rotateSecret(c, "kubernetes-ca"), "FAILED_PRECONDITION");
  assert.equal((await admin.rotateSecret(c, "talos-ca")).phase, "ROTATE"); // same one: nothing written
  await rejects(admin.rotateSecret(c, "etcd-ca"), "INVALID_ARGUMENT");
});

test("join tokens: create, list, revoke/unrevoke, renew, default, endpoint, delete", async () => {
  const id = await admin.createJoinToken("ci-token", { ttlSeconds: 3600 });
  await rejects(admin.createJoinToken("a-name-that-is-far-too-long"), "INVALID_ARGUMENT");
  const t = (await admin.listJoinTokens()).find((x) => x.id === id);
  assert.equal(t.name, "ci-token");
  assert.equal(t.state, "ACTIVE");
  assert.ok(t.expiration);
  assert.equal(await admin.resolveJoinToken({ tokenName: "ci-token" }), id);
  await rejects(admin.resolveJoinToken({ tokenName: "nope" }), "NOT_FOUND");
  assert.equal((await admin.setJoinTokenRevoked(id, true)).spec.revoked, true);
  assert.ok(!(await admin.setJoinTokenRevoked(id, false)).spec.revoked);
  const renewed = await admin.renewJoinToken(id, 7200);
  assert.ok(Date.parse(renewed.spec.expiration_time) > Date.now() + 7000 * 1000);
  await rejects(admin.renewJoinToken(id, 0), "INVALID_ARGUMENT");
  await mutate({ type: "DefaultJoinTokens.omni.sidero.dev", id: "default", create: true, spec: { token_id: "old" } });
  assert.equal((await admin.makeDefaultJoinToken(id)).spec.token_id, id);
  assert.equal(await admin.resolveJoinToken(), id);
  await mutate({ type: "SiderolinkAPIConfigs.omni.sidero.dev", id: "siderolink-config", create: true, spec: { machine_api_advertised_url: "https://omni.example.org:8090/" } });
  assert.equal(await admin.joinEndpoint(id), `https://omni.example.org:8090/?jointoken=${id}`);
  await mutate({ type: "JoinTokenStatuses.omni.sidero.dev", id, spec: { state: "ACTIVE", warnings: [{ machine: "m1", message: "connected with this token" }], use_count: "3" } });
  const w = await admin.getJoinToken(id);
  assert.deepEqual(w.warnings, [{ machine: "m1", message: "connected with this token" }]);
  assert.equal(await admin.deleteJoinToken(id), true);
  assert.equal(await admin.deleteJoinToken(id), false);
});

test("configure machine: SideroLink connection mode through GRPCTunnelConfig", async () => {
  const m = await machine();
  assert.match(await admin.setSiderolinkConnection(m, "http-tunnel"), /^enabled gRPC tunnel mode for machine /);
  assert.equal((await admin.get("GRPCTunnelConfigs.omni.sidero.dev", m)).spec.enabled, true);
  assert.equal(await admin.setSiderolinkConnection(m, "http-tunnel"), undefined);
  assert.match(await admin.setSiderolinkConnection(m, "udp"), /^disabled gRPC tunnel mode/);
  assert.match(await admin.setSiderolinkConnection(m, "auto"), /WARNING: the changes won't be applied until the machine is restarted/);
  assert.equal(await admin.get("GRPCTunnelConfigs.omni.sidero.dev", m), null);
  await rejects(admin.setSiderolinkConnection(m, "carrier-pigeon"), "INVALID_ARGUMENT");
  await rejects(admin.setSiderolinkConnection("no-such-machine", "udp"), "NOT_FOUND");
});

test("infra providers: create (with a working key), list, renew, delete", async () => {
  const name = uid("prov");
  const key = await admin.createInfraProvider(name);
  const provider = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key });
  // InfraProvider role: may read its own namespace
  await provider.list("InfraProviders.omni.sidero.dev", { namespace: "infra-provider" }).catch((e) => assert.notEqual(e.code, "UNAUTHENTICATED"));
  assert.ok((await admin.listServiceAccounts()).some((s) => s.name === `infra-provider:${name}` && s.role === "InfraProvider"));
  await mutate({ type: "InfraProviderCombinedStatuses.omni.sidero.dev", namespace: "ephemeral", id: name, create: true, spec: { name: "Bare metal", version: "v1", health: { connected: true } } });
  const p = (await admin.listInfraProviders()).find((x) => x.id === name);
  assert.deepEqual([p.name, p.version, p.connected], ["Bare metal", "v1", true]);
  const renewed = await admin.renewInfraProviderKey(name);
  assert.notEqual(renewed, key);
  assert.equal(await admin.deleteInfraProvider(name), true);
  assert.equal(await admin.deleteInfraProvider(name), false);
});

test("installation media presets and download URLs", async () => {
  const name = uid("preset");
  await rejects(admin.createMediaPreset(name, { platform: "aws", overlay: "rpi_generic" }), "INVALID_ARGUMENT");
  await rejects(admin.createMediaPreset(name, { arch: "riscv" }), "INVALID_ARGUMENT");
  await rejects(admin.createMediaPreset(name, { bootloader: "lilo" }), "INVALID_ARGUMENT");
  assert.equal(await admin.get("InstallationMediaConfigs.omni.sidero.dev", name), null); // nothing written
  await mutate({ type: "TalosExtensions.omni.sidero.dev", id: "1.9.1", create: true, spec: { items: [{ name: "siderolabs/iscsi-tools" }, { name: "siderolabs/util-linux-tools" }] } });
  await admin.createMediaPreset(name, { talosVersion: "v1.9.1", extensions: ["iscsi"], initialLabels: ["env=ci", "rack"], secureBoot: true, bootloader: "uefi", extraKernelArgs: ["console=ttyS0"] });
  await rejects(admin.createMediaPreset(uid("p"), { talosVersion: "1.9.1", extensions: ["no-such-ext"] }), "INVALID_ARGUMENT");
  const p = (await admin.listMediaPresets()).find((x) => x.name === name);
  assert.deepEqual([p.arch, p.talosVersion, p.kind, p.bootloader, p.secureBoot], ["amd64", "1.9.1", "metal", "uefi", true]);
  assert.deepEqual(p.extensions, ["siderolabs/iscsi-tools"]);
  assert.deepEqual(p.labels, { env: "ci", rack: "" });
  // the download resolves the preset's join token (here the default one), which must be active
  await admin.makeDefaultJoinToken(await admin.createJoinToken("media-token"));
  const d = await admin.mediaDownloadUrl(name, { format: "iso" });
  assert.match(d.url, new RegExp(`^https://factory\\.talos\\.dev/image/${d.schematicId}/1\\.9\\.1/metal-amd64-secureboot\\.iso\\?secureboot=true$`));
  const pxe = await admin.mediaDownloadUrl(name, { format: "pxe" });
  assert.ok(pxe.pxe && pxe.url.includes(`/pxe/${pxe.schematicId}/1.9.1/metal-amd64-secureboot`), pxe.url);
  await rejects(admin.mediaDownloadUrl(name, { format: "floppy" }), "INVALID_ARGUMENT");
  // overrides of the preset, checked as omnictl's flags are
  await rejects(admin.mediaDownloadUrl(name, { talosVersion: "0.0.1" }), "INVALID_ARGUMENT");
  const raw = await admin.mediaDownloadUrl(name, { format: "raw", secureBoot: false, initialLabels: ["tier=edge"] });
  assert.equal(raw.fileName, "metal-amd64.raw.xz");
  assert.equal(raw.factoryUrl, "https://factory.talos.dev");
  assert.equal(typeof raw.grpcTunnelEnabled, "boolean");
  assert.equal(await admin.deleteMediaPreset(name), true);
  await rejects(admin.mediaDownloadUrl(name), "NOT_FOUND");
});

test("cluster import abort: refused unless locked and importing; then tears the cluster and links down", async () => {
  const c = await cluster();
  await mutate({ type: "ClusterStatuses.omni.sidero.dev", id: c, create: true, spec: {} });
  await rejects(admin.abortClusterImport(c), "FAILED_PRECONDITION"); // not importing
  await mutate({ type: "ClusterStatuses.omni.sidero.dev", id: c, set_labels: { "omni.sidero.dev/tainted-by-importing": "" } });
  await rejects(admin.abortClusterImport(c), "FAILED_PRECONDITION"); // not locked
  await admin.setClusterLocked(c, true);
  const m = uid("imp");
  await admin.create({ metadata: { type: "MachineSetNodes.omni.sidero.dev", namespace: "default", id: m, labels: { "omni.sidero.dev/cluster": c } }, spec: {} });
  await mutate({ type: "Links.omni.sidero.dev", id: m, create: true, add_finalizers: ["link-controller"] });
  const done = admin.abortClusterImport(c);
  // Omni's controllers destroy the torn-down cluster once its finalizers are gone; the sim has none
  for (let i = 0; i < 50 && (await admin.get("clusters", c))?.metadata.phase !== "tearingDown"; i++) await sleep(100);
  assert.equal(await admin.get("Links.omni.sidero.dev", m).then((l) => l.metadata.phase ?? "running"), "running", "links wait for the cluster");
  await mutate({ type: "Clusters.omni.sidero.dev", id: c, destroy: true });
  const lines = await done;
  assert.deepEqual(lines, [`removing link for machine "${m}" from Omni`, `import operation was aborted successfully for cluster "${c}"`]);
  assert.equal(await admin.get("clusters", c), null);
  assert.equal((await admin.get("Links.omni.sidero.dev", m)).metadata.phase, "tearingDown");
});

test("streams over gRPC-web: machine logs in order, abort ends the follow", async () => {
  const web = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("web"), "Admin"), transport: "grpc-web" });
  const m = await machine();
  const seqs = (await collect(web.machineLogs(m, { tailLines: 10 }))).map((l) => JSON.parse(l).seq);
  assert.deepEqual(seqs, [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  const ac = new AbortController();
  const got = [];
  for await (const line of web.machineLogs(m, { follow: true, tailLines: 1, signal: ac.signal })) {
    got.push(JSON.parse(line).seq);
    if (got.length === 2) ac.abort();
  }
  assert.deepEqual(got, [49, 50]);
  const events = await collect(web.supportBundle(await cluster()));
  assert.equal(events.at(-1).type, "bundle");
});

test("call / callStream: any RPC by name, protojson in and out, checked before sending", async () => {
  const c = await cluster();
  // a method the typed API wraps, reached by name: the same resource as get()
  const got = await admin.call("omni.resources.ResourceService", "Get", { namespace: "default", type: "Clusters.omni.sidero.dev", id: c });
  assert.equal(JSON.parse(got.body).metadata.id, c);
  const kc = await admin.call("management.ManagementService", "Kubeconfig", {}, { timeoutMs: 10000, metadata: { cluster: c } });
  assert.ok(Buffer.from(kc.kubeconfig, "base64").toString().startsWith("apiVersion: v1"));
  // a server stream
  const m = await machine();
  const lines = await collect(admin.callStream("management.ManagementService", "MachineLogs", { machineId: m, tailLines: 3 }));
  assert.equal(lines.length, 3);
  assert.ok(Buffer.from(lines[0].bytes, "base64").toString().includes("seq"));
  // refused locally: unknown method, misspelt field, wrong call shape
  await rejects(admin.call("management.ManagementService", "NoSuchMethod", {}), "INVALID_ARGUMENT");
  await rejects(admin.call("management.ManagementService", "Kubeconfig", { serviceAcount: true }, { metadata: { cluster: c } }), "INVALID_ARGUMENT");
  await rejects(admin.call("management.ManagementService", "MachineLogs", { machineId: m }), "INVALID_ARGUMENT");
  await rejects(collect(admin.callStream("management.ManagementService", "Kubeconfig", {})), "INVALID_ARGUMENT");
  // the server's own verdicts come through as OmniErrors
  await rejects(admin.call("omni.resources.ResourceService", "Get", { namespace: "default", type: "Clusters.omni.sidero.dev", id: "no-such" }), "NOT_FOUND");
});
