// Error handling: every failure is an `OmniError` with a gRPC `code` to branch on (and
// `grpcCode`, the number). This walks through the codes a script meets and what to do about
// each: NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION (a version conflict, with
// `currentVersion`, and the read-modify-write retry it calls for), PERMISSION_DENIED,
// UNAUTHENTICATED, INVALID_ARGUMENT (with line and column, and per-problem `errors` for
// templates), DEADLINE_EXCEEDED, CANCELLED and UNAVAILABLE.
//
// What it writes: a cluster without machines and a Reader service account, both removed again.
// Needs an Admin key (it creates the service account).
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/errors.ts
import { OmniClient, OmniError, Signer, type GrpcCodeName, type Resource } from "omni-wasm";
import type { TemplateIssue } from "omni-wasm/templates";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}

/** Run `f`, which must fail with `code`; print what the error says. */
async function expect(code: GrpcCodeName, what: string, f: () => Promise<unknown>): Promise<OmniError> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof OmniError)) throw e;
    if (e.code !== code) throw new Error(`${what}: expected ${code}, got ${e.code}: ${e.message}`);
    console.log(`${code.padEnd(19)} ${what}: ${e.message.split("\n")[0]}`);
    return e;
  }
  throw new Error(`${what}: expected ${code}, but it succeeded`);
}

const endpoint = env("OMNI_ENDPOINT");
const key = env("OMNI_SERVICE_ACCOUNT_KEY");
const omni = await OmniClient.connect({ endpoint, serviceAccountKey: key });
const id = `example-errors-${Date.now().toString(36)}`;

// NOT_FOUND — reads of one resource give null instead; operations on a named thing throw
if ((await omni.get("clusters", "no-such-cluster")) !== null) throw new Error("get of a missing cluster");
await expect("NOT_FOUND", "export a missing cluster", () => omni.templateExport("no-such-cluster"));

// ALREADY_EXISTS — create is create-only; apply() creates or updates
const cluster: Resource = { metadata: { namespace: "default", type: "Clusters.omni.sidero.dev", id }, spec: { kubernetes_version: "1.31.4", talos_version: "1.9.1" } };
await omni.create(cluster);
await expect("ALREADY_EXISTS", "create it twice", () => omni.create(cluster));

// FAILED_PRECONDITION — the resource changed since it was read (by someone else, or by Omni's
// controllers, which add finalizers right after a create). The fix: read, modify, write, and on
// a conflict read again.
async function modify(kind: string, name: string, change: (r: Resource) => Resource): Promise<Resource> {
  for (let attempt = 1; ; attempt++) {
    const current = await omni.get(kind, name);
    if (!current) throw new Error(`${kind} ${name} is gone`);
    try {
      return await omni.update(change(current));
    } catch (e) {
      if (!(e instanceof OmniError && e.code === "FAILED_PRECONDITION") || attempt === 5) throw e;
    }
  }
}
const stale = (await omni.get("clusters", id))!;
await modify("clusters", id, (r) => ({ ...r, spec: { ...r.spec, talos_version: "1.9.2" } }));
const conflict = await expect("FAILED_PRECONDITION", "update from a stale read", () => omni.update({ ...stale, spec: { ...stale.spec, kubernetes_version: "1.32.0" } }));
console.log(`  the server holds version ${conflict.currentVersion}; ours was ${stale.metadata.version}`);
const updated = await modify("clusters", id, (r) => ({ ...r, spec: { ...r.spec, kubernetes_version: "1.32.0" } }));
if (updated.spec.kubernetes_version !== "1.32.0" || updated.spec.talos_version !== "1.9.2") throw new Error("both changes kept");

// PERMISSION_DENIED — the account's role does not allow it
const readerName = `example-reader-${Date.now().toString(36)}`;
const reader = await OmniClient.connect({ endpoint, serviceAccountKey: await omni.createServiceAccount(readerName, { role: "Reader" }) });
await expect("PERMISSION_DENIED", "a Reader deletes a cluster", () => reader.delete("clusters", id));
await omni.destroyServiceAccount(readerName);

// UNAUTHENTICATED — a key Omni does not know (or one that was revoked or expired)
const stranger = Signer.generateServiceAccount("stranger").serviceAccountKey()!;
await expect("UNAUTHENTICATED", "an unknown key", async () => (await OmniClient.connect({ endpoint, serviceAccountKey: stranger })).list("clusters"));

// INVALID_ARGUMENT — found before anything is sent: bad input, with where it is
await expect("INVALID_ARGUMENT", "not a service-account key", async () => (await OmniClient.connect({ endpoint, serviceAccountKey: "hunter2" })).list("clusters"));
await expect("INVALID_ARGUMENT", "YAML with a typo", () => omni.apply("metadata:\n    type: Clusters.omni.sidero.dev\n    id: [oops\n"));
const bad = await expect("INVALID_ARGUMENT", "an invalid template", () => omni.templateSync("kind: Cluster\nname: broken\nkubernetes:\n  version: vN\n"));
for (const i of (bad as OmniError & { errors?: TemplateIssue[] }).errors ?? []) console.log(`  cluster.yaml:${i.line ?? "-"}:${i.column ?? "-"}: ${i.message.split("\n")[0]}`);

// DEADLINE_EXCEEDED — `timeoutMs` bounds a call or a whole wait
await expect("DEADLINE_EXCEEDED", "wait for a cluster that never gets healthy", async () => {
  for await (const _ of omni.clusterStatusUpdates("no-such-cluster", { intervalMs: 100, timeoutMs: 500 }));
});

// CANCELLED — an AbortSignal ends a call (a watch just stops: its loop ends)
const abort = new AbortController();
const call = omni.list("machinestatuses", { signal: abort.signal });
abort.abort();
await expect("CANCELLED", "a call aborted by its signal", () => call);

// UNAVAILABLE — Omni cannot be reached; reads retry on their own first (`retries`, default 5)
const nowhere = await OmniClient.connect({ endpoint: "http://127.0.0.1:65533", serviceAccountKey: key, retries: 0 });
await expect("UNAVAILABLE", "nothing listens there", () => nowhere.list("clusters"));

await omni.delete("clusters", id, { timeoutMs: 30_000 });
console.log("ok");
