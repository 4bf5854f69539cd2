// Bulk writes with per-item results: label every free machine of a region (MachineLabels, what
// `omnictl apply` of many documents does), several at a time, where one refused item does not stop
// the others; then remove the labels with `deleteMany` (omnictl `delete TYPE ID…`), again with
// each id's own outcome.
//
// What it writes: MachineLabels on the free machines of one region (removed at the end).
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… REGION=eu-central-1 npx tsx examples/bulk.ts
import { OmniClient, type ApplyResult, type BatchFailure, type Resource } from "omni-wasm";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
const failed = (r: ApplyResult | BatchFailure): r is BatchFailure => "error" in r;

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const region = env("REGION", "eu-central-1");
const tag = `bulk-${Date.now().toString(36)}`;

const machines = await omni.list("machinestatuses", { selector: `omni.sidero.dev/available,omni.sidero.dev/region=${region}` });
check(machines.length > 0, `free machines in ${region}`);
const labels: Resource[] = machines.map((m) => ({
  metadata: { namespace: "default", type: "MachineLabels.omni.sidero.dev", id: m.metadata.id, labels: { "example.omni-wasm/batch": tag, team: "platform" } },
  spec: {},
}));
// one item this account may not write: status resources belong to Omni's controllers
const refused: Resource = { metadata: { namespace: "default", type: "ClusterStatuses.omni.sidero.dev", id: `${tag}-not-mine` }, spec: { ready: true } };

const results = await omni.applyEach([...labels, refused], { concurrency: 4 });
for (const r of results) {
  console.log(failed(r) ? `failed  ${r.type}(${r.id}): ${r.error.message.split("\n")[0]}` : `${r.action.padEnd(7)} ${r.resource.metadata.type}(${r.resource.metadata.id})`);
}
check(results.length === labels.length + 1, "one result per item, in input order");
check(results.slice(0, -1).every((r) => !failed(r) && r.action === "create"), "every label was applied");
const last = results.at(-1)!;
check(failed(last) && last.error.code === "PERMISSION_DENIED", "the refused item reports its own error");

const tagged = await omni.list("machinelabels", { selector: `example.omni-wasm/batch=${tag}` });
check(tagged.length === labels.length, "all labels stored");
console.log(`${tagged.length} machines in ${region} labelled, 1 item refused`);

// remove them: each id with its own outcome; an id that does not exist is destroyed: false
const ids = tagged.map((t) => t.metadata.id);
const removed = await omni.deleteMany("machinelabels", [...ids, "no-such-machine"], { concurrency: 8 });
check(removed.every((r) => !("error" in r)), "no deletion failed");
check(removed.filter((r) => "destroyed" in r && r.destroyed).length === ids.length, "every label removed");
const missing = removed.at(-1);
check(missing && "destroyed" in missing && !missing.destroyed, "a missing id is not an error");
console.log(`removed ${ids.length} labels`);
console.log("ok");
