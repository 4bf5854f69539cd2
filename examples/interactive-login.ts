// Signing in as a person, with the lite build (`omni-wasm/lite`: no OpenPGP, WebCrypto ECDSA
// keys — what Omni's web UI uses): generate a non-extractable key, register it for your e-mail,
// open the printed URL in a browser where you are signed in to Omni and confirm, then the key
// signs your calls for the next hours. In a page, keep `signer.cryptoKeyPair()` in IndexedDB and
// come back with `Signer.fromCryptoKeyPair(…)` instead of signing in again.
//
//   OMNI_ENDPOINT=https://… OMNI_USER_EMAIL=you@example.com npx tsx examples/interactive-login.ts
import { OmniClient, Signer } from "omni-wasm/lite";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}

const email = env("OMNI_USER_EMAIL");
const signer = await Signer.generateEcdsa(email); // non-extractable; valid 7 h 50 min like the UI's
const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), signer });

const { loginUrl, publicKeyId } = await omni.registerPublicKey(signer, email);
console.log(`Open this URL in a browser where you are signed in to Omni, and confirm the key:\n  ${loginUrl}`);
await omni.awaitConfirmation(publicKeyId, { timeoutMs: 5 * 60_000 });
console.log(`confirmed: ${signer.kind} key ${signer.keyId} for ${signer.identity}, valid until ${new Date(Number(signer.notAfter) * 1000).toISOString()}`);

const clusters = await omni.list("clusters");
console.log(omni.formatTable("clusters", clusters));
const users = await omni.listUsers().catch(() => []); // Admins only: fine to be refused
console.log(`signed in as ${email}: ${clusters.length} clusters visible${users.length ? `, ${users.length} users` : ""}`);
if (!clusters.length) throw new Error("no clusters visible after signing in");
if (signer.cryptoKeyPair()?.privateKey.extractable) throw new Error("the private key must not be extractable");
console.log("ok");
