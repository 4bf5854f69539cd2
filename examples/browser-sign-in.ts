// Sign in as a person from a page (browser-sign-in.html), the way Omni's web UI does:
//
// 1. On load, a key kept from an earlier visit (keyStore: the WebCrypto key pair in IndexedDB,
//    never exported) signs the calls at once — no new registration — unless it expires soon.
// 2. Otherwise a new non-extractable P-256 key is registered for the e-mail and confirmed: with
//    an ID token of Omni's identity provider when the app holds one (confirmPublicKey), else by
//    the person at Omni's login page (awaitConfirmation). Then it is stored for the next visit.
// 3. Signing out revokes the key on the server and forgets it.
//
// `make test-examples` runs it in headless Chromium against omni-sim: sign in, reload (the key
// is resumed, nothing registered again), sign out, reload (signed out).
import { OmniClient, Signer, keyStore, ready } from "omni-wasm/lite";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const endpoint = location.origin;

function show(state: "signed-in" | "signed-out" | "confirming", resumed = false): void {
  document.body.dataset.state = state;
  document.body.dataset.resumed = String(resumed);
  $("#sign-in").hidden = state !== "signed-out";
  $("#confirm").hidden = state !== "confirming";
  $("#sign-out").hidden = state !== "signed-in";
}

function fail(e: unknown): void {
  $("#error").textContent = e instanceof Error ? `${(e as { code?: string }).code ?? "ERROR"}: ${e.message}` : String(e);
  $("#error").hidden = false;
}

async function signedIn(omni: OmniClient, signer: Signer, publicKeyId: string, resumed: boolean): Promise<void> {
  $("#who").textContent = `(${signer.identity})`;
  const clusters = await omni.list("clusters");
  $("#clusters").textContent = `${clusters.length} clusters`;
  show("signed-in", resumed);
  $("#sign-out").onclick = async () => {
    try {
      await omni.revokePublicKey(publicKeyId); // the key signs nothing any more
      await keyStore.remove();
      $("#who").textContent = "";
      $("#clusters").textContent = "";
      show("signed-out");
    } catch (e) {
      fail(e);
    }
  };
}

async function signIn(email: string, idToken: string): Promise<void> {
  const previous = await keyStore.load();
  const signer = await Signer.generateEcdsa(email); // non-extractable, valid just under 8 h
  const omni = await OmniClient.connect({ endpoint, signer });
  const { loginUrl, publicKeyId } = await omni.registerPublicKey(signer, email);
  if (idToken) {
    await omni.confirmPublicKey(publicKeyId, { idToken });
  } else {
    $<HTMLAnchorElement>("#confirm-link").href = loginUrl;
    show("confirming");
    for (;;) {
      try {
        await omni.awaitConfirmation(publicKeyId);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== "DEADLINE_EXCEEDED") throw e; // Omni waits 5 minutes per call
      }
    }
  }
  await keyStore.save(signer, publicKeyId);
  if (previous) await omni.revokePublicKey(previous.publicKeyId).catch(() => {}); // renewed: the old key goes
  await signedIn(omni, signer, publicKeyId, false);
}

async function main(): Promise<void> {
  await ready;
  const saved = await keyStore.load();
  if (saved && !saved.needsRenewal) {
    const omni = await OmniClient.connect({ endpoint, signer: saved.signer });
    await signedIn(omni, saved.signer, saved.publicKeyId, true);
  } else {
    if (saved) $<HTMLInputElement>("#email").value = saved.signer.identity; // renewing: same person
    show("signed-out");
  }
  $("#sign-in").onsubmit = async (ev) => {
    ev.preventDefault();
    $("#error").hidden = true;
    const token = $<HTMLInputElement>("#id-token");
    try {
      await signIn($<HTMLInputElement>("#email").value.trim(), token.value);
    } catch (e) {
      fail(e);
      show("signed-out");
    } finally {
      token.value = ""; // credentials do not stay in the page
    }
  };
}

main().catch(fail);
