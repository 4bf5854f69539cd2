//! [`OmniClient`] and its handles: resources (get/list/watch/create/update/apply/delete/
//! teardown) over `cosi.resource.State`, with type resolution through the server's
//! ResourceDefinitions.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::auth::{Metadata, SharedSigner};
use crate::proto::cosi::resource as cosi;
use crate::resource::{Registry, Resource};
use crate::transport::{
    normalize_endpoint, Backoff, CallKind, CallOptions, Observer, Protocol, Transport,
    TransportConfig,
};
use crate::{Code, Error, Result};

mod batch;
mod bulk;
mod call;
mod login;
mod management;
mod media;
pub(crate) mod media_checks;
pub(crate) mod media_download;
mod ops;
mod paging;
mod resources;
mod resume;
mod rpc;
mod service_accounts;
mod status;
mod templates;
mod tokens;
mod users;
mod watch;
mod watch_json;

pub use batch::WRITE_CONCURRENCY;
pub use bulk::{ListText, CHUNK, PAGE};
pub use login::{ConfirmWith, Login, PublicKeyMaterial, Registration};
pub use management::{KubeconfigParams, Management};
pub use media::{Media, MediaDownload, PresetInfo, PresetParams};
pub use media_download::DownloadOptions;
pub use ops::{MachineDelete, Operations, RotationStatus, SecretComponent};
pub use paging::{Page, PageParams};
pub use resources::{ApplyAction, ApplyOutcome, DeleteOutcome, ListParams, Resources};
pub use resume::with_backoff;
pub use rpc::{AuditLogChunk, AuditLogParams, ManifestSyncEvent, SupportBundleEvent};
#[cfg(feature = "full")]
pub use service_accounts::IssuedKey;
pub use service_accounts::{ServiceAccountInfo, ServiceAccountKeyInfo};
pub use templates::{SyncReport, Templates};
pub use tokens::{
    InfraProviderInfo, JoinTokenInfo, JoinTokenWarning, SiderolinkConnection, Tokens,
};
pub use users::UserInfo;
pub use watch::{RawWatchEvent, WatchEvent, WatchEventKind, WatchParams};
pub use watch_json::WatchItem;

/// The `cosi.resource.State` service path prefix.
pub(crate) const STATE: &str = "/cosi.resource.State/";
const RD_TYPE: &str = "ResourceDefinitions.meta.cosi.dev";
const META_NS: &str = "meta";

/// Builds an [`OmniClient`].
pub struct OmniClientBuilder {
    endpoint: String,
    protocol: Protocol,
    signer: Option<SharedSigner>,
    allow_insecure_http: bool,
    backoff: Backoff,
    observer: Option<Observer>,
    memory: Option<crate::transport::MemoryHandler>,
    #[cfg(target_arch = "wasm32")]
    fetch: Option<js_sys::Function>,
    #[cfg(not(target_arch = "wasm32"))]
    http: Option<crate::transport::http::SharedHttpClient>,
    read_only: bool,
    clock: Option<crate::transport::runtime::SharedClock>,
}

impl fmt::Debug for OmniClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OmniClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl OmniClientBuilder {
    /// Sign with `signer` (a service-account key, a user key, or a WebCrypto key).
    #[must_use]
    pub fn signer(mut self, signer: SharedSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Sign with the `OMNI_SERVICE_ACCOUNT_KEY` string omnictl uses.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the string is not a service-account key;
    /// [`Error::Key`] when it is one that may not sign (expired, revoked).
    #[cfg(feature = "full")]
    pub fn service_account_key(self, key: &str) -> Result<Self> {
        let sa = crate::auth::ServiceAccountKey::parse(key)?;
        let signer: SharedSigner = Rc::new(sa.signer()?);
        Ok(self.signer(signer))
    }

    /// Speak `protocol` (default: the gateway, which every Omni serves).
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Allow `http://` to non-loopback hosts (off by default).
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Retry policy for reads and watches.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Observe every call (method, duration, outcome, retries).
    #[must_use]
    pub fn observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Send requests with `fetch(url, init)` instead of the global `fetch`: a Worker's service
    /// binding (`(u, i) => env.OMNI.fetch(u, i)`), a Node dispatcher, a test double.
    #[cfg(target_arch = "wasm32")]
    #[must_use]
    pub fn fetch(mut self, fetch: js_sys::Function) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Send the gateway and gRPC-web requests with `http` (natively there is no default
    /// client: plug in any HTTP library through [`crate::transport::http::HttpClient`]).
    #[cfg(not(target_arch = "wasm32"))]
    #[must_use]
    pub fn http_client(mut self, http: crate::transport::http::SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// Refuse every write locally, before anything is sent (a dashboard that must not change
    /// a cluster by mistake): reads, watches, config downloads and signing in stay allowed
    /// ([`crate::transport::is_read_method`]); writes fail with `PERMISSION_DENIED`.
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Measure time and sleep (retries, backoff, waits) with `clock` instead of the system's
    /// (tests: a manual clock).
    #[must_use]
    pub fn clock(mut self, clock: crate::transport::runtime::SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Use an in-process handler instead of the network (tests).
    #[must_use]
    pub fn memory(mut self, handler: crate::transport::MemoryHandler) -> Self {
        self.protocol = Protocol::Memory;
        self.memory = Some(handler);
        self
    }

    /// Build the client.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad endpoint (e.g. `http://` to a remote host).
    pub fn build(self) -> Result<OmniClient> {
        let base_url = if self.protocol == Protocol::Memory {
            "memory://".to_string()
        } else {
            normalize_endpoint(&self.endpoint, self.allow_insecure_http)?
        };
        let transport = Transport::new(TransportConfig {
            protocol: self.protocol,
            base_url,
            signer: self.signer,
            backoff: self.backoff,
            observer: self.observer,
            memory: self.memory,
            default_metadata: Metadata::new(),
            #[cfg(target_arch = "wasm32")]
            fetch: self.fetch,
            #[cfg(not(target_arch = "wasm32"))]
            http: self.http,
            read_only: self.read_only,
            clock: self
                .clock
                .unwrap_or_else(|| Rc::new(crate::transport::runtime::SystemClock)),
        })?;
        Ok(OmniClient {
            transport,
            registry: Rc::new(RefCell::new(None)),
        })
    }
}

/// A client of one Omni instance. Cheap to clone (shares the transport and caches).
#[derive(Clone)]
pub struct OmniClient {
    transport: Transport,
    registry: Rc<RefCell<Option<Rc<Registry>>>>,
}

impl fmt::Debug for OmniClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OmniClient")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl OmniClient {
    /// Start building a client for `endpoint` (`https://omni.example.org`).
    pub fn builder(endpoint: &str) -> OmniClientBuilder {
        OmniClientBuilder {
            endpoint: endpoint.to_string(),
            protocol: Protocol::Gateway,
            signer: None,
            allow_insecure_http: false,
            backoff: Backoff::default(),
            observer: None,
            memory: None,
            #[cfg(target_arch = "wasm32")]
            fetch: None,
            #[cfg(not(target_arch = "wasm32"))]
            http: None,
            read_only: false,
            clock: None,
        }
    }

    /// The transport (for calling RPCs this crate has no wrapper for).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The type registry: the server's ResourceDefinitions merged over the built-in table,
    /// fetched once and cached. When the server's definitions cannot be read, the built-in
    /// table is used (and the fetch is retried next time).
    ///
    /// # Errors
    /// Only authentication errors are returned; others fall back to the built-in table.
    pub async fn registry(&self) -> Result<Rc<Registry>> {
        if let Some(r) = self.registry.borrow().as_ref() {
            return Ok(r.clone());
        }
        let builtin = Registry::builtin();
        let defs = self
            .list_raw(
                META_NS,
                RD_TYPE,
                cosi::ListOptions::default(),
                &CallOptions::default(),
            )
            .await;
        match defs {
            Ok(raw) => {
                let mut defs = Vec::with_capacity(raw.len());
                for r in raw {
                    defs.push(Resource::from_proto(r, &builtin)?);
                }
                let reg = Rc::new(Registry::from_definitions(defs)?);
                *self.registry.borrow_mut() = Some(reg.clone());
                Ok(reg)
            }
            Err(e) if e.code() == Code::Unauthenticated => Err(e),
            Err(_) => Ok(Rc::new(builtin)),
        }
    }

    /// The registry to resolve `kind` with: the fetched one when there is one; else, for a full
    /// type name the built-in table knows, the built-in table (no ResourceDefinitions round trip
    /// before the first call); else the fetched one.
    async fn registry_for(&self, kind: &str) -> Result<Rc<Registry>> {
        if let Some(r) = self.registry.borrow().as_ref() {
            return Ok(r.clone());
        }
        if Registry::builtin_ref().lookup(kind).is_some() {
            return Ok(Registry::builtin_rc());
        }
        self.registry().await
    }

    /// The registry fetched so far, or the built-in table when none was fetched yet (never
    /// blocks; see [`registry`](Self::registry)).
    pub fn cached_registry(&self) -> Rc<Registry> {
        self.registry
            .borrow()
            .clone()
            .unwrap_or_else(|| Rc::new(Registry::builtin()))
    }

    /// A handle on the resources of `kind` — an alias (`clusters`, `ms`), a singular display
    /// name, or the full type (`Clusters.omni.sidero.dev`) — in its default namespace.
    ///
    /// # Errors
    /// [`Code::NotFound`] for an unknown type, [`Code::InvalidArgument`] for an ambiguous one.
    pub async fn resources(&self, kind: &str) -> Result<Resources> {
        let reg = self.registry_for(kind).await?;
        let ty = reg.resolve(kind)?;
        Ok(Resources::new(
            self.clone(),
            ty.type_name.as_str().to_string(),
            ty.default_namespace.as_str().to_string(),
            reg.clone(),
        ))
    }

    /// A handle on `type_name` in `namespace`, without resolving aliases.
    pub async fn resources_in(&self, type_name: &str, namespace: &str) -> Result<Resources> {
        let reg = self.registry_for(type_name).await?;
        Ok(Resources::new(
            self.clone(),
            type_name.to_string(),
            namespace.to_string(),
            reg,
        ))
    }

    /// `cosi.resource.State/List`: one message per resource.
    pub(crate) fn list_stream(
        &self,
        namespace: &str,
        type_name: &str,
        options: cosi::ListOptions,
        opts: &CallOptions,
    ) -> futures::stream::LocalBoxStream<'static, Result<cosi::ListResponse>> {
        let req = cosi::ListRequest {
            namespace: namespace.to_string(),
            r#type: type_name.to_string(),
            options: Some(options),
        };
        self.transport
            .server_streaming_one_pass::<_, cosi::ListResponse>(
                &format!("{STATE}List"),
                Metadata::new(),
                req,
                CallKind::Read,
                opts.clone(),
            )
    }

    pub(crate) async fn list_raw(
        &self,
        namespace: &str,
        type_name: &str,
        options: cosi::ListOptions,
        opts: &CallOptions,
    ) -> Result<Vec<cosi::Resource>> {
        use futures::StreamExt as _;
        let mut stream = self.list_stream(namespace, type_name, options, opts);
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            if let Some(r) = item?.resource {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Map "no such resource" answers (`NotFound`) to `None`.
pub(crate) fn not_found_to_none<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == Code::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A conflict error that carries the version the server holds now.
pub(crate) fn with_current_version(e: Error, current: Option<String>) -> Error {
    match e {
        Error::Status { code, message, .. } => Error::Status {
            code,
            message,
            current_version: current,
        },
        other => other,
    }
}
