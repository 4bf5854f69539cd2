export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";
export type { auth, common, cosi, google, machine, management, oidc, omni, specs, SpecByType } from "./specs.js";
import type { SpecByType } from "./specs.js";
/** A resource of a built-in type with its typed spec: `ResourceOf<"Clusters.omni.sidero.dev">`. */
export type ResourceOf<T extends keyof SpecByType> = Resource<SpecByType[T]>;
import type {
  GrpcCodeName, Signer, Resource, CallOptions, ListOptions, WatchOptions, WatchEvent, ApplyOptions, ApplyResult,
  DeleteOptions, DeleteResult, BatchFailure, StatusWaitOptions, KubeconfigOptions, TemplateCallOptions, SyncReport, ConnectOptions,
  UserInfo, RotationStatus, ManifestSyncEvent, SupportBundleEvent, AuditLogChunk, JoinTokenInfo, InfraProviderInfo,
  MediaPresetOptions, MediaPresetInfo, MediaDownload, MediaDownloadOptions,
} from "./omni_wasm.js";
import type { management } from "./specs.js";

export interface RpcCallOptions extends CallOptions {
  /**
   * Request metadata beside the signature, e.g. `{ cluster: "prod" }` for the
   * ManagementService's per-cluster methods. ResourceService calls get `runtime: "Omni"` unless
   * given here.
   */
  metadata?: Record<string, string>;
}

export interface PageOptions extends CallOptions {
  offset?: number;
  /** 0 = no limit. */
  limit?: number;
  /** `id`, `namespace`, `created`, `updated`, or a type-specific field. */
  sortByField?: string;
  sortDescending?: boolean;
  /** Substring search on id, namespace and type-specific fields. */
  search?: string | string[];
  selector?: string | string[];
}

/** Every error the library throws. */
export declare class OmniError extends Error {
  readonly code: GrpcCodeName;
  readonly grpcCode: number;
  /** For version conflicts: the version the server holds now. */
  readonly currentVersion?: string;
  /** For an invalid template (template calls): every problem, with where it is. */
  readonly errors?: ReadonlyArray<{ message: string; document?: number; line?: number; column?: number }>;
}

export interface Watch extends AsyncIterable<WatchEvent> {
  /** Stop the watch and abort its fetch. */
  close(): void;
}

/** A server stream: leave the loop, call close() or abort the signal to stop it. */
export interface Stream<T> extends AsyncIterable<T> {
  close(): void;
}

export interface MachineLogOptions extends CallOptions {
  follow?: boolean;
  /** Lines of history: -1 (default) = all, 0 = none. */
  tailLines?: number;
  /** omnictl --log-format (default "raw"). */
  format?: "raw" | "omni" | "dmesg";
}

/** `management.ReadAuditLogRequest` fields (proto names); enums as numbers or their names. */
export type AuditLogOptions = CallOptions & Omit<management.ReadAuditLogRequest, "event_type" | "order_by_field" | "order_by_dir"> & {
  event_type?: management.AuditLogEventType | string;
  order_by_field?: management.AuditLogOrderByField | string;
  order_by_dir?: management.AuditLogOrderByDir | string;
  /** Pause before a follow stream reconnects (default 500 ms). */
  reconnectAfterMs?: number;
};

/** A client of one Omni instance. */
export declare class OmniClient {
  private constructor();
  static connect(options: ConnectOptions): Promise<OmniClient>;
  resolveType(kind: string): Promise<{ type: string; namespace: string }>;
  get(kind: string, id: string, options?: CallOptions): Promise<Resource | null>;
  list(kind: string, options?: ListOptions): Promise<Resource[]>;
  /** One page through Omni's ResourceService (paging, sorting, search). */
  listPage(kind: string, options?: PageOptions): Promise<{ items: Resource[]; total: number }>;
  create(resource: Resource, options?: CallOptions): Promise<Resource>;
  update(resource: Resource, options?: CallOptions): Promise<Resource>;
  /** YAML text (omnictl format, one or many documents), a resource, or resources. */
  apply(input: string | Resource | Resource[], options?: ApplyOptions): Promise<ApplyResult[]>;
  delete(kind: string, id: string, options?: DeleteOptions): Promise<DeleteResult[]>;
  delete(kind: string, options: DeleteOptions): Promise<DeleteResult[]>;
  /** Like apply, with each resource's own outcome (`concurrency` at a time; default 1, in order). */
  applyEach(input: string | Resource | Resource[], options?: ApplyOptions): Promise<(ApplyResult | BatchFailure)[]>;
  /** Delete each id (`concurrency` at a time; default 8, as omnictl), each with its own outcome. */
  deleteMany(kind: string, ids: string[], options?: CallOptions & { namespace?: string; concurrency?: number }): Promise<(DeleteResult | BatchFailure)[]>;
  teardown(kind: string, id: string, options?: CallOptions): Promise<boolean>;
  /** Register a Signer's public key for `email` (unsigned): show `loginUrl` to the person. */
  registerPublicKey(signer: Signer, email: string, options?: CallOptions): Promise<{ loginUrl: string; publicKeyId: string }>;
  /** Resolves once the key is confirmed (the server gives up after 5 minutes). */
  awaitConfirmation(publicKeyId: string, options?: CallOptions): Promise<void>;
  /**
   * Confirm a registered key on behalf of its person, as Omni's web UI does after they signed in
   * with Omni's identity provider: pass its ID token (Auth0/OIDC) or SAML session. Unsigned.
   * `workloadProxy`: the `Signer` of the key being confirmed; the key id signed with it is sent
   * too, and Omni answers with its workload proxy's cookies (HttpOnly; kept by a page on Omni's
   * origin), so that the page can open exposed services.
   */
  confirmPublicKey(publicKeyId: string, options: CallOptions & { workloadProxy?: Signer } & ({ idToken: string; samlSession?: never } | { samlSession: string; idToken?: never })): Promise<void>;
  /** Revoke one of the caller's keys (signed with this client's key): signing out. */
  revokePublicKey(publicKeyId: string, options?: CallOptions): Promise<void>;
  // full-only:begin (omni-wasm/lite has no OpenPGP: scripts/pkg.sh drops these from its types)
  /** Create a service account (key pair generated in the library); resolves to its OMNI_SERVICE_ACCOUNT_KEY. Full build only. */
  createServiceAccount(name: string, options?: CallOptions & { role?: string; useUserRole?: boolean; ttlSeconds?: number }): Promise<string>;
  /**
   * Add a key to a service account; resolves to the new OMNI_SERVICE_ACCOUNT_KEY. Omni keeps older
   * keys valid until they expire; pass `replaceKey` (the old key string) to revoke it. Full build only.
   */
  renewServiceAccount(name: string, options?: CallOptions & { ttlSeconds?: number; replaceKey?: string }): Promise<string>;
  // full-only:end
  listServiceAccounts(options?: CallOptions): Promise<Array<{ name: string; role: string; lastActive: string; keys: Array<{ id: string; created?: string; expiration?: string; lastUsed?: string }> }>>;
  destroyServiceAccount(name: string, options?: CallOptions): Promise<void>;
  kubeconfig(cluster: string, options?: KubeconfigOptions): Promise<string>;
  talosconfig(cluster?: string, options?: CallOptions & { breakGlass?: boolean }): Promise<string>;
  omniconfig(options?: CallOptions): Promise<string>;
  /** Resources as `omnictl get -o table` prints them, with the type's print columns. */
  formatTable(kind: string, resources: Resource[]): string;
  /** omnictl cluster template sync (dryRun: plan only). Nothing is written for an invalid template. */
  templateSync(text: string, options?: TemplateCallOptions): Promise<SyncReport>;
  templateDiff(text: string, options?: TemplateCallOptions): Promise<string>;
  templateDelete(text: string, options?: TemplateCallOptions): Promise<SyncReport>;
  templateExport(cluster: string, options?: CallOptions & { includeKernelArgs?: boolean }): Promise<string>;
  /** One snapshot of the status tree (omnictl cluster template status); null until a ClusterStatus exists. */
  templateStatus(text: string, options?: TemplateCallOptions): Promise<{ tree: string; healthy: boolean } | null>;
  /** One snapshot of omnictl cluster status. */
  clusterStatus(cluster: string, options?: CallOptions): Promise<{ tree: string; healthy: boolean } | null>;
  /**
   * `omnictl cluster status --wait`: a snapshot whenever the tree changes (asked every
   * `intervalMs`, default 1 s), ending after the first healthy one, or after the first for which
   * `until` holds. `timeoutMs` bounds the whole wait (DEADLINE_EXCEEDED); `signal` ends it.
   */
  clusterStatusUpdates(cluster: string, options?: StatusWaitOptions & { until?: (s: { tree: string; healthy: boolean } | null) => boolean }): AsyncIterable<{ tree: string; healthy: boolean } | null>;
  /** Like clusterStatusUpdates, for the cluster of a template (validated first). */
  templateStatusUpdates(text: string, options?: StatusWaitOptions & { until?: (s: { tree: string; healthy: boolean } | null) => boolean }): AsyncIterable<{ tree: string; healthy: boolean } | null>;
  watch(kind: string, options?: WatchOptions): Watch;

  // users
  createUser(email: string, role: string, options?: CallOptions): Promise<string>;
  listUsers(options?: CallOptions): Promise<UserInfo[]>;
  setUserRole(email: string, role: string, options?: CallOptions): Promise<void>;
  deleteUser(email: string, options?: CallOptions): Promise<void>;

  // streams
  machineLogs(machine: string, options?: MachineLogOptions): Stream<string>;
  supportBundle(cluster: string, options?: CallOptions & { encrypt?: boolean; encryptionRecipients?: string[]; noDefaultRecipients?: boolean }): Stream<SupportBundleEvent>;
  auditLog(options?: AuditLogOptions): Stream<AuditLogChunk>;
  /**
   * Any unary RPC of the services in `proto/` by name (e.g. `"omni.resources.ResourceService"`,
   * `"Controllers"`), for what the typed API does not wrap. The request is protojson (proto or
   * JSON field names), checked against the method's input type before anything is sent; the
   * answer is protojson with proto field names, enum numbers and zero values omitted.
   */
  call(service: string, method: string, request?: Record<string, unknown>, options?: RpcCallOptions): Promise<Record<string, unknown>>;
  /** Like `call`, for a server-streaming RPC: each message's protojson. */
  callStream(service: string, method: string, request?: Record<string, unknown>, options?: RpcCallOptions): Stream<Record<string, unknown>>;
  /** dryRun defaults to true, as omnictl's. */
  syncManifests(cluster: string, options?: CallOptions & { dryRun?: boolean; ssa?: management.KubernetesSSAOptions }): Stream<ManifestSyncEvent>;
  maintenanceLifecycle(machine: string, options: CallOptions & { operation: "install" | "upgrade"; version?: string; disk?: string }): Stream<string>;

  // validation and other management calls
  validateConfig(config: string, options?: CallOptions): Promise<void>;
  validateJsonSchema(data: string, schema: string, options?: CallOptions): Promise<management.ValidateJsonSchemaResponse_Error[]>;
  kubernetesUpgradePreChecks(cluster: string, version: string, options?: CallOptions): Promise<void>;
  createSchematic(request: management.CreateSchematicRequest, options?: CallOptions): Promise<management.CreateSchematicResponse>;
  createSchematicFromRaw(rawSchematic: string, talosVersion: string, options?: CallOptions): Promise<management.CreateSchematicResponse>;
  getBootAssetUrl(request: management.BootAssetURLRequest, options?: CallOptions): Promise<management.BootAssetURLResponse>;
  getMachineJoinConfig(options?: CallOptions & { joinToken?: string; useGrpcTunnel?: boolean }): Promise<{ kernel_args: string[]; config: string }>;
  createJoinToken(name: string, options?: CallOptions & { ttlSeconds?: number }): Promise<string>;
  resetNodeUniqueToken(machine: string, options?: CallOptions): Promise<void>;
  maintenanceUpgrade(machine: string, version: string, options?: CallOptions): Promise<void>;
  machinePowerOff(machine: string, options?: CallOptions): Promise<void>;
  machinePowerOn(machine: string, options?: CallOptions): Promise<void>;

  // cluster and machine operations
  setClusterLocked(cluster: string, locked: boolean, options?: CallOptions): Promise<Resource>;
  setMachineLocked(machine: string, locked: boolean, options?: CallOptions): Promise<Resource>;
  /** Resolves to omnictl's progress lines once the ClusterMachine is gone. */
  /**
   * `omnictl cluster machine delete`: `forceEtcdLeave` skips the graceful etcd leave (may break
   * etcd quorum); `force` skips the wipe (the machine leaves the account and must be wiped by
   * hand before it can join again). Resolves to omnictl's progress lines.
   */
  deleteClusterMachine(machine: string, options?: CallOptions & { force?: boolean; forceEtcdLeave?: boolean }): Promise<string[]>;
  deleteCluster(cluster: string, options?: CallOptions & { dryRun?: boolean; destroyDisconnectedMachines?: boolean }): Promise<SyncReport>;
  /** omnictl cluster import abort: only for a locked cluster tainted as importing. */
  abortClusterImport(cluster: string, options?: CallOptions): Promise<string[]>;
  secretRotationStatus(cluster: string, options?: CallOptions): Promise<RotationStatus>;
  rotateSecret(cluster: string, component: "talos-ca" | "kubernetes-ca", options?: CallOptions): Promise<RotationStatus>;

  // join tokens, machine connection, infra providers
  listJoinTokens(options?: CallOptions): Promise<JoinTokenInfo[]>;
  getJoinToken(id: string, options?: CallOptions): Promise<JoinTokenInfo>;
  resolveJoinToken(options?: CallOptions & { tokenId?: string; tokenName?: string }): Promise<string>;
  setJoinTokenRevoked(id: string, revoked: boolean, options?: CallOptions): Promise<Resource>;
  renewJoinToken(id: string, ttlSeconds: number, options?: CallOptions): Promise<Resource>;
  makeDefaultJoinToken(id: string, options?: CallOptions): Promise<Resource>;
  deleteJoinToken(id: string, options?: CallOptions): Promise<boolean>;
  joinEndpoint(token: string, options?: CallOptions): Promise<string>;
  setSiderolinkConnection(machine: string, mode: "udp" | "http-tunnel" | "auto", options?: CallOptions): Promise<string | undefined>;
  // full-only:begin
  /** Full build only: resolves to the provider's OMNI_SERVICE_ACCOUNT_KEY. */
  createInfraProvider(name: string, options?: CallOptions & { ttlSeconds?: number }): Promise<string>;
  /** Full build only: a new OMNI_SERVICE_ACCOUNT_KEY for the provider. */
  renewInfraProviderKey(name: string, options?: CallOptions & { ttlSeconds?: number }): Promise<string>;
  // full-only:end
  listInfraProviders(options?: CallOptions): Promise<InfraProviderInfo[]>;
  deleteInfraProvider(name: string, options?: CallOptions): Promise<boolean>;

  // installation media
  createMediaPreset(name: string, options?: MediaPresetOptions): Promise<Resource>;
  listMediaPresets(options?: CallOptions): Promise<MediaPresetInfo[]>;
  deleteMediaPreset(name: string, options?: CallOptions): Promise<boolean>;
  mediaDownloadUrl(preset: string, options?: MediaDownloadOptions): Promise<MediaDownload>;
  free(): void;
}

/**
 * Resolves once the `.wasm` is instantiated: at once in Node and Workers; in a browser `await` it
 * before the first synchronous call (`OmniClient.connect` waits for it itself).
 */
export declare const ready: Promise<void>;

/** Where {@link keyStore} keeps a key: one entry per name (default `"default"`). */
export interface KeyStoreOptions { name?: string }

/** A key {@link keyStore.load} found: its Signer, the id it was registered under, and whether it expires soon. */
export interface StoredKey {
  signer: Signer;
  publicKeyId: string;
  /** It expires within the margin (default 30 minutes): sign in again with a new key, then revoke this one. */
  needsRenewal: boolean;
}

/**
 * Keeps a person's WebCrypto (ECDSA) signing key across page loads, in IndexedDB: the
 * `CryptoKeyPair` itself (a non-extractable key stays non-extractable; nothing is exported),
 * with its identity, validity window and registered key id. Needs IndexedDB (browsers).
 */
export declare const keyStore: {
  /** Store the signer's key pair under `name` (replacing what was there). */
  save(signer: Signer, publicKeyId: string, options?: KeyStoreOptions): Promise<void>;
  /** The stored key, or `null` when there is none or it has expired. */
  load(options?: KeyStoreOptions & { renewalMarginSeconds?: number }): Promise<StoredKey | null>;
  /** Forget the stored key (after `revokePublicKey`, to sign out). */
  remove(options?: KeyStoreOptions): Promise<void>;
};
