// Join tokens for bringing machines into Omni: create a short-lived token for a batch of
// machines, get the kernel arguments and the machine config they boot with, see how many
// machines used it, then revoke it (warned about machines that would lose their connection),
// renew, and delete — `omnictl jointoken …`. Creates `example-…` and deletes it at the end.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/join-tokens.ts
import { OmniClient } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });

/** A token's state and listing are derived by Omni's controllers: they follow within moments. */
async function eventually(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting: ${what}`);
}
const stateBecomes = (id: string, state: string) => eventually(`${id} ${state}`, async () => (await omni.getJoinToken(id)).state === state);
const name = `example-${Date.now().toString(36).slice(-6)}`; // names are at most 16 characters

// a token for the next 24 hours
const id = await omni.createJoinToken(name, { ttlSeconds: 24 * 3600 });
const token = await omni.getJoinToken(id);
console.log(`token ${token.name}: ${token.state}, expires ${token.expiration}, used by ${token.useCount} machines`);
check(token.state === "ACTIVE" && token.expiration, "active with an expiry");
check((await omni.resolveJoinToken({ tokenName: name })) === id, "found by name");

// what a machine boots with: kernel arguments (ISO/PXE) or a machine config document
const join = await omni.getMachineJoinConfig({ joinToken: id });
console.log(`kernel args: ${join.kernel_args.join(" ")}`);
check(join.kernel_args.some((a) => a.includes(`jointoken=${id}`)), "the kernel args carry the token");
check(join.config.includes("SideroLinkConfig"), "and so does the machine config");
console.log(`machines join at ${await omni.joinEndpoint(id)}`);

// every token, and which one is the default
for (const t of await omni.listJoinTokens()) console.log(`${t.isDefault ? "*" : " "} ${t.name.padEnd(18)} ${t.state.padEnd(8)} ${t.useCount} machines`);

// revoke: machines that joined with it and have no other way in are listed as warnings first
const warnings = (await omni.getJoinToken(id)).warnings;
if (warnings.length) console.log(`revoking would disconnect: ${warnings.map((w) => w.machine).join(", ")}`);
check((await omni.setJoinTokenRevoked(id, true)).spec.revoked === true, "revoked");
await stateBecomes(id, "REVOKED");
console.log(`${name}: revoked`);
await omni.setJoinTokenRevoked(id, false);
await stateBecomes(id, "ACTIVE");

// renew for a week, then delete
const renewed = await omni.renewJoinToken(id, 7 * 24 * 3600);
check(Date.parse(String(renewed.spec.expiration_time)) > Date.now() + 6 * 24 * 3600 * 1000, "renewed for a week");
check(await omni.deleteJoinToken(id), "deleted");
await eventually(`${name} gone from the list`, async () => !(await omni.listJoinTokens()).some((t) => t.id === id));
console.log("ok");
