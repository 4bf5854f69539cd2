export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";
export type { auth, common, cosi, google, machine, management, oidc, omni, specs, SpecByType } from "./specs.js";
import type { SpecByType } from "./specs.js";
/** A resource of a built-in type with its typed spec: `ResourceOf<"Clusters.omni.sidero.dev">`. */
export type ResourceOf<T extends keyof SpecByType> = Resource<SpecByType[T]>;
import type {
  GrpcCodeName, Signer, Resource, CallOptions, ListOptions, WatchOptions, WatchEvent, ApplyOptions, ApplyResult,
  DeleteOptions, DeleteResult, KubeconfigOptions, TemplateCallOptions, SyncReport, ConnectOptions,
} from "./omni_wasm.js";

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
}

export interface Watch extends AsyncIterable<WatchEvent> {
  /** Stop the watch and abort its fetch. */
  close(): void;
}

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
  teardown(kind: string, id: string, options?: CallOptions): Promise<boolean>;
  /** Register a Signer's public key for `email` (unsigned): show `loginUrl` to the person. */
  registerPublicKey(signer: Signer, email: string, options?: CallOptions): Promise<{ loginUrl: string; publicKeyId: string }>;
  /** Resolves once the key is confirmed (the server gives up after 5 minutes). */
  awaitConfirmation(publicKeyId: string, options?: CallOptions): Promise<void>;
  /** Create a service account (key pair generated in the library); resolves to its OMNI_SERVICE_ACCOUNT_KEY. Full build only. */
  createServiceAccount(name: string, options?: CallOptions & { role?: string; useUserRole?: boolean; ttlSeconds?: number }): Promise<string>;
  /** Add a key to a service account; resolves to the new OMNI_SERVICE_ACCOUNT_KEY. Full build only. */
  renewServiceAccount(name: string, options?: CallOptions & { ttlSeconds?: number }): Promise<string>;
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
  templateExport(cluster: string, options?: CallOptions): Promise<string>;
  /** One snapshot of the status tree (omnictl cluster template status); null until a ClusterStatus exists. */
  templateStatus(text: string, options?: TemplateCallOptions): Promise<{ tree: string; healthy: boolean } | null>;
  /** One snapshot of omnictl cluster status. */
  clusterStatus(cluster: string, options?: CallOptions): Promise<{ tree: string; healthy: boolean } | null>;
  watch(kind: string, options?: WatchOptions): Watch;
  free(): void;
}

// Optional options, as the functions accept them (the generated declarations make them required).
import type { TemplateOptions, TemplateIssue } from "./omni_wasm.js";
type TemplateResource = { metadata: Record<string, unknown>; spec: Record<string, unknown> };
/** Validate a cluster template offline: `[]` when valid, else every problem with its position. */
export declare function validateTemplate(text: string, options?: TemplateOptions): TemplateIssue[];
/** Render a template to `omnictl cluster template render`'s YAML; throws a TemplateError. */
export declare function renderTemplate(text: string, options?: TemplateOptions): string;
/** Render a template to resource objects `{ metadata, spec }`. */
export declare function renderTemplateResources(text: string, options?: TemplateOptions): TemplateResource[];
/** omnictl's diff of a template against given current resources (empty: no change). */
export declare function diffTemplate(text: string, options?: TemplateOptions & { current?: TemplateResource[] }): string;
