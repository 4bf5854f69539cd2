// Keys and signing against omni-sim, in Node: a WebCrypto ECDSA key registered, confirmed and
// used; keys made by OpenPGP.js and GnuPG load and sign requests omni-sim accepts; our
// signatures verify with OpenPGP.js; Signer on its own with plain fetch.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as openpgp from "./node_modules/openpgp/dist/node/openpgp.mjs";
import { OmniClient, Signer } from "../../pkg/node.js";
import { SIM, serviceAccount, uid } from "./helpers.mjs";

let admin; // a Signer of an Admin service account

/** A signed call with nothing but fetch and Signer (signing on its own). */
async function call(signer, method, body) {
  const headers = await signer.signGrpc(method, {});
  const res = await fetch(`${SIM}/api${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [`Grpc-Metadata-${k}`, v])) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

async function newUser(role = "Operator") {
  const email = `${uid("user")}@example.org`;
  const r = await call(admin, "/management.ManagementService/CreateUser", { email, role });
  assert.equal(r.status, 200, r.body);
  return email;
}

/** Register the signer's key for email, confirm it as the browser would, await, then list. */
async function loginAndList(signer, email) {
  const omni = await OmniClient.connect({ endpoint: SIM, signer });
  const { loginUrl, publicKeyId } = await omni.registerPublicKey(signer, email);
  assert.equal(publicKeyId, signer.keyId);
  assert.match(loginUrl, /public-key-id=/);
  const waiting = omni.awaitConfirmation(publicKeyId);
  const c = await fetch(`${SIM}/_sim/confirm?public_key_id=${encodeURIComponent(publicKeyId)}`, { method: "POST" });
  assert.equal(c.status, 200, await c.text());
  await waiting;
  return omni.list("clusters");
}

before(async () => {
  admin = Signer.fromServiceAccountKey(await serviceAccount(uid("sa-auth"), "Admin"));
});

test("signing on its own: signGrpc headers let plain fetch call the gateway", async () => {
  const r = await call(admin, "/cosi.resource.State/Get", { namespace: "default", type: "Clusters.omni.sidero.dev", id: "nope" });
  assert.equal(r.status, 404, r.body); // authenticated: the answer is "not found", not 401
  const unsigned = await fetch(`${SIM}/api/cosi.resource.State/Get`, { method: "POST", body: "{}" });
  assert.equal(unsigned.status, 401);
});

test("a WebCrypto ECDSA P-256 key (non-extractable) signs requests omni-sim verifies", async () => {
  const email = await newUser();
  const signer = await Signer.generateEcdsa(email);
  assert.equal(signer.kind, "ecdsa");
  assert.equal(signer.keyId.length, 44);
  const pair = signer.cryptoKeyPair();
  assert.equal(pair.privateKey.extractable, false);
  assert.ok(Array.isArray(await loginAndList(signer, email)));
  assert.ok(!String(signer).includes("PRIVATE"));
});

/** An identity-provider credential for email, as omni-sim's stand-in provider issues it. */
async function credential(email, saml = false) {
  const r = await fetch(`${SIM}/_sim/id-token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, saml }) });
  assert.equal(r.status, 200);
  return (await r.json()).credential;
}

for (const transport of ["gateway", "grpc-web"]) {
  test(`browser sign-in end to end over ${transport}: register, confirm with the identity provider's credential, sign, revoke (sign out)`, async () => {
    const email = await newUser();
    const signer = await Signer.generateEcdsa(email);
    const omni = await OmniClient.connect({ endpoint: SIM, signer, transport });
    const { publicKeyId } = await omni.registerPublicKey(signer, email);
    const waiting = omni.awaitConfirmation(publicKeyId);

    // what Omni refuses (upstream internal/backend/grpc/auth.go ConfirmPublicKey)
    await assert.rejects(omni.confirmPublicKey(publicKeyId, { idToken: "forged" }), (e) => e.code === "UNAUTHENTICATED");
    await assert.rejects(omni.confirmPublicKey(publicKeyId, {}), /exactly one of idToken and samlSession/);
    const stranger = await credential(`${uid("nobody")}@example.org`);
    await assert.rejects(omni.confirmPublicKey(publicKeyId, { idToken: stranger }), (e) => e.code === "PERMISSION_DENIED" && /not authorized for this instance/.test(e.message));
    const other = await credential(await newUser());
    await assert.rejects(omni.confirmPublicKey(publicKeyId, { idToken: other }), (e) => e.code === "UNKNOWN" && /public key <> id mismatch/.test(e.message));
    await assert.rejects(omni.list("clusters"), (e) => e.code === "UNAUTHENTICATED", "still unconfirmed");

    // the person's own credential confirms it (an ID token here; SAML sessions work the same)
    await omni.confirmPublicKey(publicKeyId, { idToken: await credential(email) });
    await waiting;
    assert.ok(Array.isArray(await omni.list("clusters")));

    // signing out revokes the key: it signs nothing any more
    await omni.revokePublicKey(publicKeyId);
    await assert.rejects(omni.list("clusters"), (e) => e.code === "UNAUTHENTICATED");
  });
}

test("confirming with workloadProxy: Omni answers with its workload proxy's cookies, which open exposed services", async () => {
  const email = await newUser();
  const signer = await Signer.generateEcdsa(email);
  // a page on Omni's origin keeps the cookies; here a fetch wrapper reads them off the answer
  const cookies = [];
  const omni = await OmniClient.connect({
    endpoint: SIM, signer,
    fetch: async (url, init) => {
      const r = await fetch(url, init);
      if (url.endsWith("/auth.AuthService/ConfirmPublicKey")) cookies.push(...r.headers.getSetCookie());
      return r;
    },
  });
  const { publicKeyId } = await omni.registerPublicKey(signer, email);
  // the key being confirmed signs; another key is refused before anything is sent
  const other = await Signer.generateEcdsa(email);
  await assert.rejects(omni.confirmPublicKey(publicKeyId, { idToken: await credential(email), workloadProxy: other }), (e) => e.code === "INVALID_ARGUMENT");
  assert.equal(cookies.length, 0);
  await omni.confirmPublicKey(publicKeyId, { idToken: await credential(email), workloadProxy: signer });
  assert.deepEqual(cookies.map((c) => c.split("=")[0]).sort(), ["publicKeyId", "publicKeyIdSignatureBase64"]);
  assert.ok(cookies.every((c) => /; HttpOnly/.test(c) && /; Secure/.test(c)), cookies.join("\n"));
  // the workload proxy's own check (upstream accessvalidator.go): the key id signed with the key
  const jar = cookies.map((c) => c.split(";")[0]).join("; ");
  const proxy = (cookie) => fetch(`${SIM}/_sim/workload-proxy`, { headers: { cookie } });
  const ok = await proxy(jar);
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal((await ok.json()).identity, email);
  const forged = jar.replace(/publicKeyIdSignatureBase64=[^;]+/, `publicKeyIdSignatureBase64=${Buffer.alloc(64, 1).toString("base64")}`);
  assert.equal((await proxy(forged)).status, 403);
  // a plain confirmation sets no cookies
  const email2 = await newUser();
  const signer2 = await Signer.generateEcdsa(email2);
  const { publicKeyId: id2 } = await omni.registerPublicKey(signer2, email2);
  await omni.confirmPublicKey(id2, { idToken: await credential(email2) });
  assert.equal(cookies.length, 2);
});

test("confirmPublicKey with a SAML session", async () => {
  const email = await newUser();
  const signer = await Signer.generateEcdsa(email);
  const omni = await OmniClient.connect({ endpoint: SIM, signer });
  const { publicKeyId } = await omni.registerPublicKey(signer, email);
  await omni.confirmPublicKey(publicKeyId, { samlSession: await credential(email, true) });
  assert.ok(Array.isArray(await omni.list("clusters")));
});

test("an unconfirmed key is UNAUTHENTICATED", async () => {
  const email = await newUser();
  const signer = await Signer.generateEcdsa(email);
  const omni = await OmniClient.connect({ endpoint: SIM, signer });
  await omni.registerPublicKey(signer, email);
  await assert.rejects(omni.list("clusters"), (e) => e.code === "UNAUTHENTICATED");
});

test("a key generated by OpenPGP.js loads and signs requests omni-sim accepts", async () => {
  const email = await newUser();
  const { privateKey } = await openpgp.generateKey({ type: "ecc", curve: "ed25519Legacy", userIDs: [{ name: "js", email }], keyExpirationTime: 4 * 3600, format: "armored" });
  const signer = Signer.fromArmoredKey(privateKey, email);
  assert.equal(signer.kind, "pgp");
  assert.ok(Array.isArray(await loginAndList(signer, email)));
});

test("our generated PGP key is accepted by omni-sim and its signatures verify with OpenPGP.js", async () => {
  const email = await newUser();
  const signer = Signer.generatePgp(email);
  assert.ok(Array.isArray(await loginAndList(signer, email)));
  const h = await signer.signGrpc("/cosi.resource.State/List", { runtime: "Omni" });
  const [, identity, keyId, sig] = h["x-sidero-signature"].split(" ");
  assert.equal(identity, email);
  assert.equal(keyId, signer.keyId);
  const verified = await openpgp.verify({
    message: await openpgp.createMessage({ binary: new TextEncoder().encode(h["x-sidero-payload"]) }),
    signature: await openpgp.readSignature({ binarySignature: Buffer.from(sig, "base64") }),
    verificationKeys: await openpgp.readKey({ armoredKey: signer.publicKey() }),
    expectSigned: true,
  });
  assert.ok(await verified.signatures[0].verified);
  // and GnuPG verifies the same wasm-made signature
  try { execFileSync("gpg", ["--version"], { stdio: "ignore" }); } catch { return; }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "gnupg-"));
  const env = { ...process.env, GNUPGHOME: home };
  fs.writeFileSync(path.join(home, "key.asc"), signer.publicKey());
  fs.writeFileSync(path.join(home, "payload"), h["x-sidero-payload"]);
  fs.writeFileSync(path.join(home, "payload.sig"), Buffer.from(sig, "base64"));
  execFileSync("gpg", ["--batch", "--import", path.join(home, "key.asc")], { env, stdio: "ignore" });
  const status = execFileSync("gpg", ["--batch", "--status-fd", "1", "--verify", path.join(home, "payload.sig"), path.join(home, "payload")], { env, encoding: "utf8" });
  assert.match(status, /VALIDSIG/);
});

test("a key generated by GnuPG loads and signs requests omni-sim accepts", async (t) => {
  try { execFileSync("gpg", ["--version"], { stdio: "ignore" }); } catch { t.skip("gpg is not installed"); return; }
  const email = await newUser();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "gnupg-"));
  const env = { ...process.env, GNUPGHOME: home };
  const expire = new Date(Date.now() + 4 * 3600 * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  execFileSync("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", `GnuPG user <${email}>`, "ed25519", "sign", expire], { env, stdio: "ignore" });
  const armored = execFileSync("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", email], { env, encoding: "utf8" });
  const signer = Signer.fromArmoredKey(armored, email);
  assert.ok(Array.isArray(await loginAndList(signer, email)));
});

test("a service account created through the library signs in at once; renew adds a working key; renew with replaceKey rejects the old one; destroy revokes", async () => {
  const admin2 = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: await serviceAccount(uid("sa-admin"), "Admin") });
  const name = uid("robot");
  const key = await admin2.createServiceAccount(name, { role: "Reader" });
  const robot = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key });
  assert.ok(Array.isArray(await robot.list("clusters")));
  await assert.rejects(robot.apply(`metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: ${uid("x")}\nspec:\n    kubernetesversion: 1.32.0\n`), (e) => e.code === "PERMISSION_DENIED");
  const listed = (await admin2.listServiceAccounts()).find((s) => s.name === name);
  assert.equal(listed.role, "Reader");
  assert.equal(listed.keys.length, 1);
  assert.equal(listed.keys[0].id, Signer.fromServiceAccountKey(key).keyId);

  const renewed = await admin2.renewServiceAccount(name);
  assert.notEqual(renewed, key);
  const robot2 = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: renewed });
  assert.ok(Array.isArray(await robot2.list("clusters")));
  assert.equal((await admin2.listServiceAccounts()).find((s) => s.name === name).keys.length, 2);
  // Omni keeps the older key valid until it expires (upstream RenewServiceAccount adds a key)
  assert.ok(Array.isArray(await (await OmniClient.connect({ endpoint: SIM, serviceAccountKey: key })).list("clusters")));

  // renew with replaceKey: the new key works at once, the old one is rejected
  const replaced = await admin2.renewServiceAccount(name, { replaceKey: renewed });
  assert.ok(Array.isArray(await (await OmniClient.connect({ endpoint: SIM, serviceAccountKey: replaced })).list("clusters")));
  await assert.rejects((await OmniClient.connect({ endpoint: SIM, serviceAccountKey: renewed })).list("clusters"), (e) => e.code === "UNAUTHENTICATED");
  const keys = (await admin2.listServiceAccounts()).find((s) => s.name === name).keys.map((k) => k.id);
  assert.ok(keys.includes(Signer.fromServiceAccountKey(replaced).keyId) && !keys.includes(Signer.fromServiceAccountKey(renewed).keyId));
  await assert.rejects(admin2.renewServiceAccount(name, { replaceKey: await serviceAccount(uid("other"), "Reader") }), (e) => e.code === "INVALID_ARGUMENT");

  await admin2.destroyServiceAccount(name);
  const gone = await OmniClient.connect({ endpoint: SIM, serviceAccountKey: replaced });
  await assert.rejects(gone.list("clusters"), (e) => e.code === "UNAUTHENTICATED");
});
