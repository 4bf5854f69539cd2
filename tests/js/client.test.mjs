// OmniClient against omni-sim, over both transports: list/get/apply/update-conflict/
// delete-with-finalizers/watch, and auth failures surfaced as OmniError.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { OmniClient, OmniError, Signer } from "../../pkg/node.js";
import { SIM, serviceAccount, mutate, faults, resetFaults, uid, sleep } from "./helpers.mjs";

const CLUSTER = "Clusters.omni.sidero.dev";

function clusterYaml(id, k8s = "1.32.0", labels = {}) {
  const l = Object.entries(labels).map(([k, v]) => `        ${k}: ${v}\n`).join("");
  return `metadata:
    namespace: default
    type: Clusters.omni.sidero.dev
    id: ${id}
${l ? "    labels:\n" + l : ""}spec:
    kubernetesversion: ${k8s}
    talosversion: 1.9.1
`;
}

for (const transport of ["gateway", "grpc-web"]) {
  describe(`OmniClient over ${transport}`, () => {
    let omni;
    before(async () => {
      const key = await serviceAccount(uid(`sa-${transport}`), "Admin");
      omni = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport });
    });
    after(() => resetFaults());

    test("aliases resolve like omnictl", async () => {
      assert.deepEqual(await omni.resolveType("clusters"), { type: CLUSTER, namespace: "default" });
      assert.deepEqual(await omni.resolveType("Cluster"), { type: CLUSTER, namespace: "default" });
      await assert.rejects(omni.resolveType("no-such-type"), (e) => e instanceof OmniError);
    });

    test("apply creates, get reads it back with a typed spec, list filters by selector", async () => {
      const id = uid("c");
      const res = await omni.apply(clusterYaml(id, "1.32.0", { env: "test" }));
      assert.equal(res.length, 1);
      assert.equal(res[0].action, "create");
      const got = await omni.get("clusters", id);
      assert.equal(got.metadata.id, id);
      assert.equal(got.metadata.version, "1");
      assert.equal(got.spec.kubernetes_version, "1.32.0");
      assert.equal(got.metadata.labels.env, "test");
      const listed = await omni.list("clusters", { selector: `env=test` });
      assert.ok(listed.some((r) => r.metadata.id === id));
      const none = await omni.list("clusters", { selector: `env=nope` });
      assert.ok(!none.some((r) => r.metadata.id === id));
      assert.equal(await omni.get("clusters", uid("missing")), null);
    });

    test("several selectors are ORed, on list and watch (signed as sent: HTTP would join them)", async () => {
      const tag = uid("or");
      await omni.apply(clusterYaml(`${tag}-a`, "1.32.0", { or: `${tag}-a` }));
      await omni.apply(clusterYaml(`${tag}-b`, "1.32.0", { or: `${tag}-b` }));
      await omni.apply(clusterYaml(`${tag}-c`, "1.32.0", { or: `${tag}-c` }));
      const both = await omni.list("clusters", { selector: [`or=${tag}-a`, `or=${tag}-b`] });
      assert.deepEqual(both.map((r) => r.metadata.id).sort(), [`${tag}-a`, `${tag}-b`]);
      const ac = new AbortController();
      const seen = [];
      for await (const ev of omni.watch("clusters", { selector: [`or=${tag}-b`, `or=${tag}-c`], signal: ac.signal })) {
        if (ev.type === "bootstrapped") break;
        seen.push(ev.resource.metadata.id);
      }
      ac.abort();
      assert.deepEqual(seen.sort(), [`${tag}-b`, `${tag}-c`]);
      // ResourceService pages cannot carry several: refused before anything is sent
      await assert.rejects(omni.listPage("clusters", { selector: ["a=b", "c=d"] }), (e) => e.code === "INVALID_ARGUMENT");
    });

    test("listPage pages, sorts and searches through the ResourceService", async () => {
      const prefix = uid("pg");
      for (const i of [3, 1, 2]) await omni.apply(clusterYaml(`${prefix}-${i}`, "1.32.0", { page: prefix }));
      const all = await omni.listPage("clusters", { selector: `page=${prefix}`, sortByField: "id" });
      assert.equal(all.total, 3);
      assert.deepEqual(all.items.map((r) => r.metadata.id), [1, 2, 3].map((i) => `${prefix}-${i}`));
      assert.equal(all.items[0].spec.kubernetes_version, "1.32.0");
      const page = await omni.listPage("clusters", { selector: `page=${prefix}`, sortByField: "id", sortDescending: true, offset: 1, limit: 1 });
      assert.equal(page.total, 3);
      assert.deepEqual(page.items.map((r) => r.metadata.id), [`${prefix}-2`]);
      const found = await omni.listPage("clusters", { search: `${prefix}-3` });
      assert.deepEqual(found.items.map((r) => r.metadata.id), [`${prefix}-3`]);
    });

    test("apply again updates; dry run writes nothing and shows the diff", async () => {
      const id = uid("c");
      await omni.apply(clusterYaml(id, "1.32.0"));
      const dry = await omni.apply(clusterYaml(id, "1.33.1"), { dryRun: true });
      assert.equal(dry[0].action, "update");
      // omnictl's YAML names (the diff is of what omnictl would show)
      assert.match(dry[0].diff, /-\s+kubernetesversion: 1\.32\.0/);
      assert.match(dry[0].diff, /\+\s+kubernetesversion: 1\.33\.1/);
      assert.equal((await omni.get("clusters", id)).spec.kubernetes_version, "1.32.0");
      const real = await omni.apply(clusterYaml(id, "1.33.1"));
      assert.equal(real[0].action, "update");
      const got = await omni.get("clusters", id);
      assert.equal(got.spec.kubernetes_version, "1.33.1");
      assert.equal(got.metadata.version, "2");
      const same = await omni.apply(clusterYaml(id, "1.33.1"));
      assert.equal(same[0].action, "unchanged");
    });

    test("update with a stale version is a conflict that carries the current version", async () => {
      const id = uid("c");
      await omni.apply(clusterYaml(id));
      const v1 = await omni.get("clusters", id);
      await omni.update({ ...v1, spec: { ...v1.spec, kubernetes_version: "1.32.1" } });
      const err = await omni.update({ ...v1, spec: { ...v1.spec, kubernetes_version: "1.32.2" } }).catch((e) => e);
      assert.ok(err instanceof OmniError, String(err));
      assert.equal(err.code, "FAILED_PRECONDITION");
      assert.equal(err.currentVersion, "2");
    });

    test("delete waits for finalizers, then destroys", async () => {
      const id = uid("c");
      await omni.apply(clusterYaml(id));
      await mutate({ type: CLUSTER, id, add_finalizers: ["TestController"] });
      let done = false;
      const deleting = omni.delete("clusters", id).then((r) => { done = true; return r; });
      await sleep(300);
      assert.equal(done, false, "delete must wait while a finalizer remains");
      const torn = await omni.get("clusters", id);
      assert.equal(torn.metadata.phase, "tearingDown");
      await mutate({ type: CLUSTER, id, remove_finalizers: ["TestController"] });
      const res = await deleting;
      assert.deepEqual(res.map((r) => [r.id, r.destroyed]), [[id, true]]);
      assert.equal(await omni.get("clusters", id), null);
      // deleting again is not an error, like omnictl
      assert.deepEqual((await omni.delete("clusters", id)).map((r) => r.destroyed), [false]);
    });

    test("watch: bootstrap, then live events in order; close() stops it", async () => {
      const prefix = uid("w");
      await omni.apply(clusterYaml(`${prefix}-a`));
      const w = omni.watch("clusters", { idMatchRegexp: `^${prefix}-` });
      const seen = [];
      const reader = (async () => {
        for await (const ev of w) {
          seen.push(`${ev.type}:${ev.resource?.metadata.id ?? ""}`);
          if (seen.length === 4) break;
        }
      })();
      await sleep(200);
      await omni.apply(clusterYaml(`${prefix}-b`));
      await omni.apply(clusterYaml(`${prefix}-b`, "1.33.0"));
      await reader;
      assert.deepEqual(seen, [
        `created:${prefix}-a`, "bootstrapped:", `created:${prefix}-b`, `updated:${prefix}-b`,
      ]);
    });

    test("watch resumes across 100 forced stream cuts with no lost or repeated events", async () => {
      const prefix = uid("cut");
      const N = 100;
      await faults({ cut_streams_after: 1 });
      try {
        const ac = new AbortController();
        const ids = [];
        const reader = (async () => {
          for await (const ev of omni.watch("clusters", { idMatchRegexp: `^${prefix}-`, bootstrap: false, signal: ac.signal })) {
            if (ev.type === "created") ids.push(ev.resource.metadata.id);
            if (ids.length === N) break;
          }
        })();
        await sleep(200);
        for (let i = 0; i < N; i++) {
          await omni.apply(clusterYaml(`${prefix}-${String(i).padStart(3, "0")}`));
        }
        await Promise.race([reader, sleep(60000).then(() => ac.abort())]);
        assert.equal(ids.length, N, "lost events");
        assert.equal(new Set(ids).size, N, "repeated events");
        assert.deepEqual(ids, [...ids].sort(), "out of order");
      } finally {
        await resetFaults();
      }
    });

    test("the default watch (ResourceService) resumes across stream cuts every 3 events: every resource once, in order, none lost", async () => {
      // no bookmarks here: each reconnect takes a new snapshot and yields only the difference
      // (omni-sim counts live events for these cuts: each snapshot arrives whole)
      const prefix = uid("rscut");
      const N = 60;
      await faults({ cut_streams_after: 3 });
      try {
        const ac = new AbortController();
        const ids = [];
        const reader = (async () => {
          for await (const ev of omni.watch("clusters", { bootstrap: false, selector: `test=${prefix}`, signal: ac.signal })) {
            assert.equal(ev.bookmark, undefined);
            const id = ev.resource?.metadata.id ?? "";
            if (!id.startsWith(prefix)) continue;
            assert.equal(typeof ev.resource.metadata.version, "string");
            if (ev.type === "created") ids.push(id);
            if (ids.length === N) break;
          }
        })();
        await sleep(200);
        for (let i = 0; i < N; i++) {
          await omni.apply(clusterYaml(`${prefix}-${String(i).padStart(3, "0")}`, "1.32.0", { test: prefix }));
        }
        await Promise.race([reader, sleep(60000).then(() => ac.abort())]);
        assert.equal(ids.length, N, "lost resources");
        assert.equal(new Set(ids).size, N, "repeated resources");
        assert.deepEqual(ids, [...ids].sort(), "out of order");
      } finally {
        await resetFaults();
      }
    });

    test("an unknown signer is UNAUTHENTICATED", async () => {
      const stranger = await Signer.generateEcdsa("nobody@example.org");
      const bad = await OmniClient.connect({ endpoint: SIM, signer: stranger, transport });
      const err = await bad.list("clusters").catch((e) => e);
      assert.ok(err instanceof OmniError, String(err));
      assert.equal(err.code, "UNAUTHENTICATED");
    });

    test("a caller's fetch sends every request (service bindings, dispatchers, doubles)", async () => {
      const key = await serviceAccount(uid(`sa-fetch-${transport}`), "Admin");
      const seen = [];
      // a host only the caller's fetch can reach, as with a Worker's service binding
      const host = "https://omni.binding.invalid";
      const c = await OmniClient.connect({
        endpoint: host, serviceAccountKey: key, transport,
        fetch: (url, init) => { seen.push(url); return fetch(SIM + url.slice(host.length), init); },
      });
      const id = uid("fetch");
      await c.apply(clusterYaml(id));
      assert.equal((await c.get("clusters", id)).metadata.id, id);
      const ac = new AbortController();
      const events = c.watch("clusters", { id, signal: ac.signal });
      let watched = null;
      for await (const ev of events) {
        if (ev.resource) { watched = ev.resource.metadata.id; ac.abort(); }
      }
      assert.equal(watched, id);
      assert.ok(seen.length >= 3 && seen.every((u) => u.startsWith(`${host}/`)), JSON.stringify(seen));
      // a fetch that throws is a transport error (UNAVAILABLE) with its message, not a crash
      const broken = await OmniClient.connect({
        endpoint: SIM, serviceAccountKey: key, transport, retries: 0,
        fetch: () => { throw new TypeError("no route to omni"); },
      });
      const err = await broken.get("clusters", id).catch((e) => e);
      assert.equal(err.code, "UNAVAILABLE", String(err));
      assert.match(err.message, /no route to omni/);
      // one that resolves to something other than a Response is refused as such
      const odd = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport, retries: 0, fetch: async () => "nope" });
      const err2 = await odd.get("clusters", id).catch((e) => e);
      assert.match(String(err2.message), /Response/);
      if (transport === "gateway") {
        // a double answering as the gateway does during maintenance (examples/custom-fetch.ts)
        const down = await OmniClient.connect({
          endpoint: "https://omni.test", serviceAccountKey: key, transport, retries: 0,
          fetch: async () => Response.json({ code: 14, message: "down for maintenance" }, { status: 503 }),
        });
        const err3 = await down.get("clusters", id).catch((e) => e);
        assert.equal(err3.code, "UNAVAILABLE", String(err3));
        assert.match(err3.message, /down for maintenance/);
      }
      await assert.rejects(
        OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, fetch: 42 }),
        (e) => e instanceof OmniError && e.code === "INVALID_ARGUMENT",
      );
    });

    test("UNAVAILABLE bursts are retried for reads, surfaced for writes", async () => {
      const reports = [];
      const key = await serviceAccount(uid(`sa-retry-${transport}`), "Admin");
      const c = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport, onCall: (r) => reports.push(r) });
      await c.list("clusters"); // warm the type registry
      await faults({ unavailable_first: 2, unavailable_methods: ["/cosi.resource.State/Get"] });
      assert.equal(await c.get("clusters", uid("none")), null);
      const get = reports.filter((r) => r.method.endsWith("/Get")).at(-1);
      assert.equal(get.retries, 2);
      await faults({ unavailable_first: 1, unavailable_methods: ["/cosi.resource.State/Create"] });
      const err = await c.create({ metadata: { type: CLUSTER, id: uid("c") }, spec: { kubernetes_version: "1.32.0", talos_version: "1.9.1" } }).catch((e) => e);
      assert.equal(err.code, "UNAVAILABLE");
      await resetFaults();
    });
  });
}

test("insecureSkipTlsVerify (Node) reaches an Omni behind a self-signed certificate, and only then", async () => {
  const https = await import("node:https");
  const http = await import("node:http");
  const fs = await import("node:fs");
  const fixtures = new URL("./fixtures/", import.meta.url);
  // a TLS front of omni-sim whose certificate nobody trusts
  const server = https.createServer({ key: fs.readFileSync(new URL("tls-key.pem", fixtures)), cert: fs.readFileSync(new URL("tls-cert.pem", fixtures)) }, (req, res) => {
    const up = http.request(SIM + req.url, { method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `https://127.0.0.1:${server.address().port}`;
  try {
    const key = await serviceAccount(uid("sa-tls"), "Admin");
    const id = uid("tls");
    for (const transport of ["gateway", "grpc-web"]) {
      const strict = await OmniClient.connect({ endpoint, serviceAccountKey: key, transport, retries: 0 });
      const refused = await strict.list("clusters").catch((e) => e);
      assert.equal(refused.code, "UNAVAILABLE", String(refused));
      const lax = await OmniClient.connect({ endpoint, serviceAccountKey: key, transport, insecureSkipTlsVerify: true });
      await lax.apply(clusterYaml(`${id}-${transport}`));
      assert.ok((await lax.list("clusters")).some((c) => c.metadata.id === `${id}-${transport}`));
    }
    await assert.rejects(
      OmniClient.connect({ endpoint, serviceAccountKey: key, insecureSkipTlsVerify: true, fetch }),
      (e) => e instanceof OmniError && e.code === "INVALID_ARGUMENT",
    );
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
});

test("a read-only client refuses every write locally and reads as usual (both transports)", async () => {
  const key = await serviceAccount(uid("sa-ro"), "Admin");
  const admin = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key });
  const id = uid("ro");
  await admin.apply(clusterYaml(id));
  for (const transport of ["gateway", "grpc-web"]) {
    const ro = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key, transport, readOnly: true });
    assert.equal((await ro.get("clusters", id)).metadata.id, id);
    assert.ok((await ro.list("clusters")).some((c) => c.metadata.id === id));
    const denied = (e) => e instanceof OmniError && e.code === "PERMISSION_DENIED" && /read-only/.test(e.message);
    const other = uid("ro-new");
    await assert.rejects(ro.apply(clusterYaml(other)), denied);
    await assert.rejects(ro.delete("clusters", id), denied);
    await assert.rejects(ro.teardown("clusters", id), denied);
    await assert.rejects(ro.createServiceAccount(uid("ro-sa")), denied);
    await assert.rejects(ro.call("management.ManagementService", "DestroyUser", { email: "x@example.org" }), denied);
    await assert.rejects(ro.kubeconfig(id, { serviceAccount: true, serviceAccountUser: "bot", serviceAccountTtlSeconds: 60 }), denied);
    // nothing reached the server
    assert.equal(await admin.get("clusters", other), null);
    assert.equal((await admin.get("clusters", id)).metadata.phase, "running");
  }
});

test("bulk writes: applyEach and deleteMany run a bounded number at a time, each with its own outcome", async () => {
  const key = await serviceAccount(uid("sa-bulk"), "Admin");
  const omni = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key });
  const ids = Array.from({ length: 12 }, (_, i) => uid(`bulk${i}`));
  const applied = await omni.applyEach(ids.map((id) => clusterYaml(id)).join("---\n"), { concurrency: 4 });
  assert.deepEqual(applied.map((r) => [r.action, r.resource?.metadata.id]), ids.map((id) => ["create", id]));
  // an invalid document writes nothing at all, even with per-item outcomes
  const fresh = uid("bulk-fresh");
  await assert.rejects(omni.applyEach([clusterYaml(fresh), "metadata: {type: Nope.omni.sidero.dev, id: x}\n"].join("---\n")));
  assert.equal(await omni.get("clusters", fresh), null);
  // one resource held by a finalizer fails on its own (timeout); the others are deleted, an
  // unknown id is reported as not there
  const held = ids[3];
  await mutate({ type: CLUSTER, id: held, add_finalizers: ["TestController"] });
  const missing = uid("bulk-missing");
  const out = await omni.deleteMany("clusters", [...ids, missing], { timeoutMs: 1500 });
  assert.equal(out.length, ids.length + 1);
  for (const [i, r] of out.entries()) {
    const id = i < ids.length ? ids[i] : missing;
    assert.equal(r.id, id);
    if (id === held) assert.equal(r.error?.code, "DEADLINE_EXCEEDED", JSON.stringify(r));
    else assert.equal(r.destroyed, id !== missing, JSON.stringify(r));
  }
  for (const id of ids) assert.equal(await omni.get("clusters", id) === null, id !== held, id);
  await mutate({ type: CLUSTER, id: held, remove_finalizers: ["TestController"] });
});

test("plain http:// to a remote host is refused unless opted in", async () => {
  await assert.rejects(
    OmniClient.connect({ endpoint: "http://omni.example.org", serviceAccountKey: "x" }),
    (e) => e instanceof OmniError && /loopback|http/.test(e.message),
  );
});
