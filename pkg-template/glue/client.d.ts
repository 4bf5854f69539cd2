export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";
import type { Signer } from "./omni_wasm.js";

/** gRPC status code names, as `OmniError.code`. */
export type GrpcCodeName =
  | "OK" | "CANCELLED" | "UNKNOWN" | "INVALID_ARGUMENT" | "DEADLINE_EXCEEDED" | "NOT_FOUND"
  | "ALREADY_EXISTS" | "PERMISSION_DENIED" | "RESOURCE_EXHAUSTED" | "FAILED_PRECONDITION"
  | "ABORTED" | "OUT_OF_RANGE" | "UNIMPLEMENTED" | "INTERNAL" | "UNAVAILABLE" | "DATA_LOSS"
  | "UNAUTHENTICATED";

/** Every error the library throws. */
export declare class OmniError extends Error {
  readonly code: GrpcCodeName;
  readonly grpcCode: number;
  /** For version conflicts: the version the server holds now. */
  readonly currentVersion?: string;
}

/** COSI resource metadata. */
export interface ResourceMetadata {
  namespace: string;
  type: string;
  id: string;
  /** Decimal string; empty or "undefined" for a resource not yet created. */
  version?: string;
  owner?: string;
  /** "running" | "tearingDown" */
  phase?: string;
  /** RFC 3339. */
  created?: string;
  updated?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

/** A resource: metadata plus the spec as protojson (proto field names, enum numbers). */
export interface Resource<Spec = Record<string, unknown>> {
  metadata: ResourceMetadata;
  spec: Spec;
}

/** Options every call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Abort the call after this many milliseconds. */
  timeoutMs?: number;
  /** Override the type's default namespace. */
  namespace?: string;
}

export interface ListOptions extends CallOptions {
  /** omnictl label selector(s): `a=b,!c`; several are ORed. */
  selector?: string | string[];
  /** RE2 regexp matched against ids. */
  idMatchRegexp?: string;
}

export interface WatchOptions extends ListOptions {
  /** Watch one resource. */
  id?: string;
  /** Existing resources first (default true). */
  bootstrap?: boolean;
  /** Replay this many recent events first. */
  tailEvents?: number;
  /** Resume after a bookmark from a previous event. */
  bookmark?: string;
}

export interface WatchEvent {
  type: "created" | "updated" | "destroyed" | "bootstrapped" | "resync";
  resource?: Resource;
  old?: Resource;
  /** Base64; pass as `bookmark` to resume. */
  bookmark?: string;
}

export interface ApplyOptions extends CallOptions {
  /** Write nothing; report what would change. */
  dryRun?: boolean;
}

export interface ApplyResult {
  action: "create" | "update" | "unchanged";
  resource: Resource;
  /** Unified diff of the change (empty when unchanged). */
  diff: string;
}

export interface DeleteOptions extends CallOptions {
  all?: boolean;
  selector?: string | string[];
}

export interface DeleteResult {
  type: string;
  id: string;
  /** false when it did not exist. */
  destroyed: boolean;
}

export interface KubeconfigOptions extends CallOptions {
  serviceAccount?: boolean;
  serviceAccountTtlSeconds?: number;
  serviceAccountUser?: string;
  serviceAccountGroups?: string[];
  grantType?: "" | "auto" | "authcode" | "authcode-keyboard";
  breakGlass?: boolean;
}

export interface TemplateCallOptions extends CallOptions {
  /** Files the template references, keyed by the path written in the template. */
  files?: Record<string, string>;
  dryRun?: boolean;
}

export interface SyncReport {
  /** omnictl's diff of the plan. */
  diff: string;
  /** omnictl's progress lines ("* creating Cluster(x)", ...). */
  actions: string[];
  changed: boolean;
}

export interface CallReport {
  method: string;
  durationMs: number;
  outcome: GrpcCodeName;
  retries: number;
}

export interface ConnectOptions {
  /** https://omni.example.org (http:// only for loopback unless allowInsecureHttp). */
  endpoint: string;
  /** The OMNI_SERVICE_ACCOUNT_KEY string. */
  serviceAccountKey?: string;
  /** Or any Signer (ECDSA WebCrypto key, armored PGP key, ...). */
  signer?: Signer;
  /** "gateway" (default; any Omni) or "grpc-web" (behind a gRPC-web proxy). */
  transport?: "gateway" | "grpc-web";
  allowInsecureHttp?: boolean;
  /** Called after every call (latency dashboards). */
  onCall?: (report: CallReport) => void;
  /** Retries of reads on UNAVAILABLE (default 5). */
  retries?: number;
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
  create(resource: Resource, options?: CallOptions): Promise<Resource>;
  update(resource: Resource, options?: CallOptions): Promise<Resource>;
  /** YAML text (omnictl format, one or many documents), a resource, or resources. */
  apply(input: string | Resource | Resource[], options?: ApplyOptions): Promise<ApplyResult[]>;
  delete(kind: string, id: string, options?: DeleteOptions): Promise<DeleteResult[]>;
  delete(kind: string, options: DeleteOptions): Promise<DeleteResult[]>;
  teardown(kind: string, id: string, options?: CallOptions): Promise<boolean>;
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
  watch(kind: string, options?: WatchOptions): Watch;
  free(): void;
}
