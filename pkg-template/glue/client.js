// High-level API: the wasm exports plus the idioms JS users expect
// (OmniClient.connect, watch() as an AsyncIterable with AbortSignal, OmniError).
import { OmniClient as RawClient, Signer } from "./omni_wasm.js";

export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";

/** Errors thrown by the library: `.code` is the gRPC code name ("NOT_FOUND", ...). */
export class OmniError extends Error {
  static [Symbol.hasInstance](v) {
    return v instanceof Error && v.name === "OmniError" && typeof v.code === "string";
  }
}

// The template engine: the omni-wasm/templates module (its own .wasm, so that the client's does
// not carry it). The runtime entry says how to load it (setTemplateEngineLoader); loaded once.
let loadEngine = null;
let engine = null;
// Node's entry sets the fetch behind insecureSkipTlsVerify.
let insecureFetch = null;

// The runtime entry's instantiation of the wasm (a browser's is asynchronous).
let ready = Promise.resolve();

/** @internal Called by the runtime entries of the package. */
export function setTemplateEngineLoader(load) { loadEngine = load; }
/** @internal Called by the runtime entries of the package. */
export function setReady(p) { ready = p; }
/** @internal Called by the Node entry of the package. */
export function setInsecureTlsFetch(f) { insecureFetch = f; }

function omniError(code, message, cause) {
  const e = new Error(message, cause === undefined ? undefined : { cause });
  e.name = "OmniError";
  e.code = code;
  return e;
}

function templateEngine() {
  if (!engine) {
    if (!loadEngine) {
      return Promise.reject(omniError("FAILED_PRECONDITION", "no template engine: import this package through its node, browser or workerd entry"));
    }
    engine = loadEngine().catch((cause) => {
      engine = null;
      throw omniError("UNAVAILABLE", `loading omni-wasm/templates failed: ${cause?.message ?? cause}`, cause);
    });
  }
  return engine;
}

// A person's WebCrypto key across page loads: the CryptoKeyPair itself (structured clone, so a
// non-extractable key stays non-extractable and is never exported) in IndexedDB, with what
// Signer.fromCryptoKeyPair needs. Storage only: Signer decides whether the key still signs.
const KEY_DB = "omni-wasm";
const KEY_STORE = "keys";

function keyDb(mode, run) {
  const factory = globalThis.indexedDB;
  if (!factory) return Promise.reject(omniError("FAILED_PRECONDITION", "keyStore needs IndexedDB (a browser)"));
  return new Promise((resolve, reject) => {
    const failed = (what, err) => reject(omniError("UNAVAILABLE", `keyStore: ${what}: ${err?.message ?? err}`, err));
    const open = factory.open(KEY_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(KEY_STORE);
    open.onerror = () => failed("opening IndexedDB", open.error);
    open.onsuccess = () => {
      const db = open.result;
      let req;
      try {
        const tx = db.transaction(KEY_STORE, mode);
        req = run(tx.objectStore(KEY_STORE));
        tx.oncomplete = () => { db.close(); resolve(req.result); };
        tx.onerror = tx.onabort = () => { db.close(); failed("IndexedDB", tx.error); };
      } catch (e) {
        db.close();
        failed("IndexedDB", e);
      }
    };
  });
}

/** Keeps a person's WebCrypto signing key across page loads (IndexedDB; see the d.ts). */
export const keyStore = {
  async save(signer, publicKeyId, options = {}) {
    const pair = signer.cryptoKeyPair();
    if (!pair) throw omniError("INVALID_ARGUMENT", "keyStore keeps WebCrypto (ECDSA) keys only");
    const record = { pair, identity: signer.identity, notBefore: signer.notBefore, notAfter: signer.notAfter, publicKeyId };
    await keyDb("readwrite", (s) => s.put(record, options.name ?? "default"));
  },
  async load(options = {}) {
    await ready; // Signer needs the instantiated wasm
    const saved = await keyDb("readonly", (s) => s.get(options.name ?? "default"));
    if (!saved?.pair) return null;
    const signer = await Signer.fromCryptoKeyPair(saved.pair, saved.identity, saved.notBefore, saved.notAfter);
    if (signer.needsRenewal(0)) return null; // expired: it signs nothing any more
    return { signer, publicKeyId: saved.publicKeyId, needsRenewal: signer.needsRenewal(options.renewalMarginSeconds) };
  },
  async remove(options = {}) {
    await keyDb("readwrite", (s) => s.delete(options.name ?? "default"));
  },
};

/** A client of one Omni instance. */
export class OmniClient {
  #raw;

  /** @private use OmniClient.connect */
  constructor(raw) {
    this.#raw = raw;
  }

  /**
   * Connect: `{ endpoint, serviceAccountKey | signer, transport: "gateway" | "grpc-web",
   * allowInsecureHttp, onCall, retries }`. Nothing is sent until the first call.
   */
  static async connect(options) {
    await ready;
    const { signer, insecureSkipTlsVerify, ...rest } = options ?? {};
    if (insecureSkipTlsVerify) {
      if (rest.fetch) throw omniError("INVALID_ARGUMENT", "give either fetch or insecureSkipTlsVerify, not both");
      if (!insecureFetch) {
        throw omniError("INVALID_ARGUMENT", "insecureSkipTlsVerify works in Node only: browsers and Workers check certificates themselves");
      }
      rest.fetch = insecureFetch;
    }
    const raw = signer ? RawClient.connectWithSigner(rest, signer) : RawClient.connect(rest);
    return new OmniClient(raw);
  }

  resolveType(kind) { return this.#raw.resolveType(kind); }
  get(kind, id, options) { return this.#raw.get(kind, id, options); }
  async list(kind, options) { return resourcesFromText(await this.#raw.listText(kind, options)); }
  /** One page via Omni's ResourceService: `{ offset, limit, sortByField, sortDescending, search, selector }`. */
  async listPage(kind, options) {
    const page = JSON.parse(await this.#raw.listPageText(kind, options));
    return { items: resourcesFromItems(page.items ?? []), total: page.total ?? 0 };
  }
  create(resource, options) { return this.#raw.create(resource, options); }
  update(resource, options) { return this.#raw.update(resource, options); }
  apply(input, options) { return this.#raw.apply(input, options); }
  applyEach(input, options) { return this.#raw.applyEach(input, options); }
  deleteMany(kind, ids, options) { return this.#raw.deleteMany(kind, ids, options); }
  delete(kind, id, options) {
    if (id !== null && typeof id === "object") return this.#raw.delete(kind, undefined, id);
    return this.#raw.delete(kind, id ?? undefined, options);
  }
  teardown(kind, id, options) { return this.#raw.teardown(kind, id, options); }
  /** Register a Signer's public key for `email` (the interactive login); resolves to { loginUrl, publicKeyId }. */
  registerPublicKey(signer, email, options) { return this.#raw.registerPublicKey(signer, email, options); }
  awaitConfirmation(publicKeyId, options) { return this.#raw.awaitConfirmation(publicKeyId, options); }
  confirmPublicKey(publicKeyId, options) {
    const { workloadProxy, ...rest } = options ?? {};
    return workloadProxy ? this.#raw.confirmPublicKeyForWorkloadProxy(publicKeyId, rest, workloadProxy) : this.#raw.confirmPublicKey(publicKeyId, rest);
  }
  revokePublicKey(publicKeyId, options) { return this.#raw.revokePublicKey(publicKeyId, options); }
  /** Create a service account; resolves to its OMNI_SERVICE_ACCOUNT_KEY (show once). */
  createServiceAccount(name, options) { return this.#raw.createServiceAccount(name, options); }
  renewServiceAccount(name, options) { return this.#raw.renewServiceAccount(name, options); }
  listServiceAccounts(options) { return this.#raw.listServiceAccounts(options); }
  destroyServiceAccount(name, options) { return this.#raw.destroyServiceAccount(name, options); }
  kubeconfig(cluster, options) { return this.#raw.kubeconfig(cluster, options); }
  talosconfig(cluster, options) { return this.#raw.talosconfig(cluster, options); }
  omniconfig(options) { return this.#raw.omniconfig(options); }
  /** Resources as `omnictl get -o table` prints them (the type's print columns). */
  formatTable(kind, resources) { return this.#raw.formatTable(kind, resources); }
  // Template operations: the engine is the omni-wasm/templates module, loaded on first use.
  async templateSync(text, options) { return this.#raw.templateSync(await templateEngine(), text, options); }
  async templateDiff(text, options) { return this.#raw.templateDiff(await templateEngine(), text, options); }
  async templateDelete(text, options) { return this.#raw.templateDelete(await templateEngine(), text, options); }
  async templateStatus(text, options) { return this.#raw.templateStatus(await templateEngine(), text, options); }
  async deleteCluster(cluster, options) { return this.#raw.deleteCluster(await templateEngine(), cluster, options); }
  clusterStatus(cluster, options) { return this.#raw.clusterStatus(cluster, options); }
  /** Status-tree snapshots whenever they change, until healthy (or until `until(snapshot)`). */
  clusterStatusUpdates(cluster, options = {}) {
    const { until, ...rest } = options;
    return untilTrue(iterate(() => this.#raw.clusterStatusUpdatesRaw(cluster, { ...rest, untilHealthy: !until })), until);
  }
  /** Like clusterStatusUpdates, for a template's cluster (the template is validated first). */
  templateStatusUpdates(text, options = {}) {
    const { until, ...rest } = options;
    return untilTrue(iterate(async () => this.#raw.templateStatusUpdatesRaw(await templateEngine(), text, { ...rest, untilHealthy: !until })), until);
  }
  async templateExport(cluster, options) { return this.#raw.templateExport(await templateEngine(), cluster, options); }

  /**
   * Watch a resource type: an AsyncIterable of `{ type, resource, old, bookmark }`.
   * Stops when `options.signal` aborts or the loop is left; the fetch is aborted then.
   */
  watch(kind, options = {}) { return iterate(() => this.#raw.watchRaw(kind, options), watchEvent); }
  /** Machine logs, one line per item: `{ follow, tailLines (-1 = all), format: "raw" | "omni" | "dmesg" }`. */
  machineLogs(machine, options = {}) { return iterate(() => this.#raw.machineLogsRaw(machine, options)); }
  /** Support bundle: recipients, progress events, then `{ type: "bundle", data: Uint8Array }`. */
  supportBundle(cluster, options = {}) { return iterate(() => this.#raw.supportBundleRaw(cluster, options)); }
  /** Audit log chunks `{ id, data }`; with `follow: true` it reconnects until aborted. */
  auditLog(options = {}) { return iterate(() => this.#raw.auditLogRaw(options)); }
  call(service, method, request, options) { return this.#raw.call(service, method, request, options); }
  callStream(service, method, request, options = {}) { return iterate(() => this.#raw.callStreamRaw(service, method, request, options)); }
  /** Kubernetes manifest sync (dryRun defaults to true): one event per manifest, then rollouts. */
  syncManifests(cluster, options = {}) { return iterate(() => this.#raw.syncManifestsRaw(cluster, options)); }
  /** Install or upgrade Talos on a machine in maintenance mode: progress messages. */
  maintenanceLifecycle(machine, options = {}) { return iterate(() => this.#raw.maintenanceLifecycleRaw(machine, options)); }

  static {
    // Calls that pass straight through to the wasm class.
    for (const m of [
      "createUser", "listUsers", "setUserRole", "deleteUser",
      "validateConfig", "validateJsonSchema", "kubernetesUpgradePreChecks",
      "createSchematic", "createSchematicFromRaw", "getBootAssetUrl", "getMachineJoinConfig",
      "createJoinToken", "resetNodeUniqueToken", "maintenanceUpgrade", "machinePowerOff", "machinePowerOn",
      "setClusterLocked", "setMachineLocked", "deleteClusterMachine", "abortClusterImport",
      "secretRotationStatus", "rotateSecret",
      "listJoinTokens", "getJoinToken", "resolveJoinToken", "setJoinTokenRevoked", "renewJoinToken",
      "makeDefaultJoinToken", "deleteJoinToken", "joinEndpoint", "setSiderolinkConnection",
      "createInfraProvider", "renewInfraProviderKey", "listInfraProviders", "deleteInfraProvider",
      "createMediaPreset", "listMediaPresets", "deleteMediaPreset", "mediaDownloadUrl",
    ]) {
      Object.defineProperty(this.prototype, m, {
        value: function (...args) { return this.#raw[m](...args); },
        writable: true, configurable: true,
      });
    }
  }

  /** Release the wasm memory of this client. */
  free() { this.#raw.free(); }
}

/**
 * Bulk data crosses the wasm boundary as JSON text and is parsed here by the engine's own
 * `JSON.parse` (far cheaper than building objects property by property from wasm):
 * `{ items: "<ResourceService body>" }` (the gateway's resources, never copied into wasm) or
 * `{ arrays: ["[...]", ...] }` (resources decoded in wasm, a bounded chunk at a time).
 */
function resourcesFromText(r) {
  if (r.items !== undefined) return resourcesFromItems(JSON.parse(r.items).items ?? []);
  const out = [];
  for (const a of r.arrays) for (const x of JSON.parse(a)) out.push(versionAsString(x));
  return out;
}

/** ResourceService items (one JSON text each). */
function resourcesFromItems(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = versionAsString(JSON.parse(items[i]));
  return out;
}

/**
 * A watch event: its JSON text, or (gateway ResourceService watches) the object the engine
 * already parsed. ResourceService's versions are numbers.
 */
function watchEvent(item) {
  const ev = typeof item === "string" ? JSON.parse(item) : item;
  if (ev.resource) versionAsString(ev.resource);
  if (ev.old) versionAsString(ev.old);
  return ev;
}

/** ResourceService writes `metadata.version` as a number; the API's is a string. */
function versionAsString(r) {
  const m = r.metadata;
  if (m && typeof m.version === "number") m.version = String(m.version);
  return r;
}

/**
 * Wrap a wasm StreamIterator opener into an AsyncIterable with `close()`: leaving the loop,
 * `close()` or the caller's AbortSignal stop the stream and abort its fetch. `parse` turns
 * each item (JSON text for watches) into its JS value.
 */
// Ends `iterable` after the first item for which `until` holds (closing it aborts the stream).
function untilTrue(iterable, until) {
  if (!until) return iterable;
  return {
    async *[Symbol.asyncIterator]() {
      for await (const v of iterable) {
        yield v;
        if (until(v)) return;
      }
    },
    close: () => iterable.close(),
    return: () => iterable.close(),
  };
}

function iterate(open, parse) {
  let it = null;
  let closed = false;
  const close = () => {
    closed = true;
    if (it) { it.return(); }
  };
  return {
    async *[Symbol.asyncIterator]() {
      it = await open();
      if (closed) it.return();
      try {
        for (;;) {
          const batch = await it.nextBatch();
          if (batch.length === 0) return;
          for (const v of batch) {
            if (closed) return;
            yield parse ? parse(v) : v;
          }
        }
      } finally {
        // freed here: a later close() (after the loop ended) must not reach the freed object
        const done = it;
        it = null;
        done.return();
        done.free();
      }
    },
    close,
    return: close,
  };
}
