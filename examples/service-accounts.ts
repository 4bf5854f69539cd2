// Service-account lifecycle for automation: create an account with a role (the key pair is made
// inside the library; only the OMNI_SERVICE_ACCOUNT_KEY string comes out), use it, rotate its
// key without downtime (the new key works before the old one is revoked), and destroy it.
// Needs an Admin key. Creates `example-robot-…` and destroys it at the end.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/service-accounts.ts
import { OmniClient, OmniError, Signer } from "omni-wasm";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
/** The error code a call fails with ("" when it succeeds). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "";
  } catch (e) {
    if (e instanceof OmniError) return e.code;
    throw e;
  }
}

const endpoint = env("OMNI_ENDPOINT");
const admin = await OmniClient.connect({ endpoint, serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const name = `example-robot-${Date.now().toString(36)}`;

// create: a Reader account whose key expires in 30 days; store the key in your secret store
const key = await admin.createServiceAccount(name, { role: "Reader", ttlSeconds: 30 * 24 * 3600 });
const signer = Signer.fromServiceAccountKey(key);
console.log(`created ${name}: key ${signer.keyId.slice(0, 16)}…, valid until ${new Date(Number(signer.notAfter) * 1000).toISOString()}`);

// use it: it reads, and its role keeps it from writing
const robot = await OmniClient.connect({ endpoint, serviceAccountKey: key });
check(Array.isArray(await robot.list("clusters")), "the new key works");
check((await codeOf(robot.createJoinToken("robot-token"))) === "PERMISSION_DENIED", "a Reader cannot write");

// rotate: add a key, switch to it, then revoke the old one (replaceKey does the last two at once)
const rotated = await admin.renewServiceAccount(name, { replaceKey: key, ttlSeconds: 30 * 24 * 3600 });
const robot2 = await OmniClient.connect({ endpoint, serviceAccountKey: rotated });
check(Array.isArray(await robot2.list("clusters")), "the rotated key works");
check((await codeOf(robot.list("clusters"))) === "UNAUTHENTICATED", "the old key is revoked");
const listed = (await admin.listServiceAccounts()).find((a) => a.name === name);
check(listed?.role === "Reader" && listed.keys.length === 1, "one key left");
check(listed.keys[0].id === Signer.fromServiceAccountKey(rotated).keyId, "and it is the new one");
console.log(`rotated: ${listed.keys.map((k) => `${k.id.slice(0, 16)}… expires ${k.expiration}`).join(", ")}`);

// destroy: every key stops working at once
await admin.destroyServiceAccount(name);
check((await codeOf(robot2.list("clusters"))) === "UNAUTHENTICATED", "destroyed accounts cannot sign in");
check(!(await admin.listServiceAccounts()).some((a) => a.name === name), "gone from the list");
console.log(`destroyed ${name}`);
console.log("ok");
