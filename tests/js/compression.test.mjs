// Omni stores payloads of 2 KiB and more zstd-compressed (upstream
// client/api/omni/specs/compression.go) and shows them plain in its JSON and YAML forms.
// omni-sim does the same: a spec written as JSON is stored compressed, the ResourceService
// gateway answers plain JSON, COSI State answers the compressed protobuf. Whatever the
// transport, the client must show the plain payload — in get, list, watch and YAML.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OmniClient, resourcesToYaml } from "../../pkg/node.js";
import { SIM, serviceAccount, mutate, uid } from "./helpers.mjs";

const PATCH = "ConfigPatches.omni.sidero.dev";

function bigPatch(n) {
  let s = "machine:\n  network:\n    interfaces:\n";
  for (let i = 0; i < n; i++) s += `      - interface: eth${i}\n        addresses: [10.0.${i}.2/24]\n`;
  return s;
}

test("compressed config patches read plain over both transports (get, list, watch, YAML)", async () => {
  const key = await serviceAccount(uid("sa-zstd"), "Admin");
  const gw = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport: "gateway" });
  const grpc = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport: "grpc-web" });
  const id = uid("zstd");
  const data = bigPatch(80); // > 2 KiB: stored compressed
  assert.ok(data.length > 4096);

  // watch over gRPC-web first, so the created event carries the stored (compressed) protobuf
  const ac = new AbortController();
  const events = grpc.watch(PATCH, { id, signal: ac.signal });
  const seen = (async () => {
    for await (const ev of events) if (ev.type === "created") return ev.resource;
  })();
  await new Promise((r) => setTimeout(r, 200));
  // written as JSON through the gateway: omni-sim compresses it as Omni's UnmarshalJSON does
  await gw.create({ metadata: { namespace: "default", type: PATCH, id }, spec: { data } });

  for (const [name, omni] of [["gateway", gw], ["grpc-web", grpc]]) {
    const got = await omni.get(PATCH, id);
    assert.equal(got.spec.data, data, `${name} get`);
    assert.equal(got.spec.compressed_data, undefined, `${name} get shows no compressed field`);
    const listed = (await omni.list(PATCH)).find((r) => r.metadata.id === id);
    assert.equal(listed.spec.data, data, `${name} list`);
    const y = resourcesToYaml([got]);
    assert.match(y, /spec:\n {4}data: \|\n {8}machine:\n/, `${name} YAML shows the patch`);
  }
  const created = await seen;
  ac.abort();
  assert.equal(created.spec.data, data, "grpc-web watch event");

  // a compressed patches list (as Omni's controllers write ClusterMachineConfigPatches)
  const cmid = uid("cmcp");
  const small = "machine: {}\n";
  await mutate({
    namespace: "default", type: "ClusterMachineConfigPatches.omni.sidero.dev", id: cmid, create: true,
    spec: { patches: [data, small] },
  });
  for (const omni of [gw, grpc]) {
    const got = await omni.get("ClusterMachineConfigPatches.omni.sidero.dev", cmid);
    assert.deepEqual(got.spec.patches, [data, small]);
  }

  // written back over State as read (plain), it stays readable everywhere
  const got = await grpc.get(PATCH, id);
  got.spec.data = data + "# edited\n";
  await grpc.update(got);
  for (const omni of [gw, grpc]) assert.equal((await omni.get(PATCH, id)).spec.data, data + "# edited\n");
});
