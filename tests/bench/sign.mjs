// Benchmark: siderov1 request signing per request — our wasm signer vs OpenPGP.js, same key
// (EdDSA legacy / Ed25519, what omnictl generates), same payload, one run. Prints; never asserts.
import { Signer } from "../../pkg/node.js";
import * as openpgp from "../js/node_modules/openpgp/dist/node/openpgp.mjs";

const { privateKey } = await openpgp.generateKey({
  type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "bench", email: "bench@example.org" }],
  keyExpirationTime: 4 * 3600, format: "armored",
});
const signer = Signer.fromArmoredKey(privateKey, "bench@example.org");
const key = await openpgp.readPrivateKey({ armoredKey: privateKey });
const method = "/cosi.resource.State/List";
const md = { runtime: "Omni" };

async function time(n, fn) {
  for (let i = 0; i < Math.min(200, n); i++) await fn(i); // warm-up (V8 tiers up lazily)
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

// what OpenPGP.js needs to do for the same request: build the payload and sign it detached
const payloadFor = (ts) => JSON.stringify({ headers: { authorization: null, cluster: null, context: null, fieldSelectors: null, namespace: null, nodes: null, runtime: ["Omni"], selectors: null, uid: null, "x-sidero-timestamp": [String(ts)] }, method });
const wasm = await time(2000, () => signer.signGrpc(method, md));
const js = await time(500, async () => {
  const payload = payloadFor(Math.floor(Date.now() / 1000));
  const sig = await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(payload) }), signingKeys: key, detached: true, format: "binary" });
  return Buffer.from(sig).toString("base64");
});
console.log(`sign per request: omni-wasm ${(wasm * 1000).toFixed(1)} µs, OpenPGP.js ${(js * 1000).toFixed(1)} µs, ratio ${(js / wasm).toFixed(1)}x (goal >= 5x)`);
