// Signing on its own: add siderov1 headers to a request you send yourself (here: Omni's /api
// gateway with plain fetch), for a transport or an HTTP client of your own. Also a WebCrypto
// ECDSA key of the kind Omni's web UI registers for a signed-in person.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/sign-only.ts
import { Signer } from "omni-wasm";

export async function listClustersRaw(endpoint: string, serviceAccountKey: string): Promise<string> {
  const signer = Signer.fromServiceAccountKey(serviceAccountKey);
  const method = "/cosi.resource.State/List";
  const headers = await signer.signGrpc(method, {});
  const res = await fetch(`${endpoint}/api${method}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [`Grpc-Metadata-${k}`, v])),
    },
    body: JSON.stringify({ namespace: "default", type: "Clusters.omni.sidero.dev" }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return res.text(); // newline-delimited {"result": …} objects
}

export async function browserKey(email: string): Promise<string> {
  // a non-extractable WebCrypto key, as Omni's web UI registers
  const signer = await Signer.generateEcdsa(email);
  return signer.publicKey(); // PEM, for auth.AuthService/RegisterPublicKey (plain_key)
}

// ---- run it -----------------------------------------------------------------------------------
function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const key = env("OMNI_SERVICE_ACCOUNT_KEY");
const signer = Signer.fromServiceAccountKey(key);
console.log(`signer: ${signer}`); // no key material in its description
check(!String(signer).includes("PRIVATE"), "no key material printed");

const headers = await signer.signGrpc("/cosi.resource.State/List", { runtime: "Omni" });
console.log(Object.keys(headers).join(", "));
check(headers["x-sidero-signature"].startsWith(`siderov1 ${signer.identity} ${signer.keyId} `), "siderov1 <identity> <key id> <signature>");

const body = await listClustersRaw(env("OMNI_ENDPOINT"), key);
const ids = body.split("\n").filter(Boolean).map((l) => JSON.parse(l).result?.resource?.metadata?.id).filter(Boolean);
console.log(`clusters (plain fetch, our signature): ${ids.join(", ")}`);
check(ids.length > 0, "the signed request was accepted");

const pem = await browserKey("jane@example.org");
check(pem.startsWith("-----BEGIN PUBLIC KEY-----"), "an ECDSA public key in PEM");
console.log("ok");
