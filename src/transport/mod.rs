//! Transports: how a call leaves the library.
//!
//! One [`Transport`] handle covers unary and server-streaming calls over either protocol:
//!
//! - [`Protocol::Gateway`]: Omni's grpc-gateway JSON API under `/api/` (request JSON, NDJSON
//!   streams decoded incrementally, metadata as `Grpc-Metadata-*`). Works against every stock
//!   Omni.
//! - [`Protocol::GrpcWeb`]: gRPC-web (binary frames and trailers).
//!   Needs a gRPC-web proxy in front of Omni (Envoy, Traefik).
//!
//! Both protocols are written once (`wire`) over the pure codecs and an [`http::HttpClient`]:
//! `fetch` in wasm (the global one or the caller's), any client natively. Only the gateway's
//! engine-side fast paths (answers kept as JS strings, stream lines parsed by `JSON.parse`)
//! talk to `fetch` directly.
//! - [`Protocol::Memory`]: an in-process handler, for unit tests without a server.
//!
//! Every call is signed (`siderov1`) when the transport has a signer. A call rejected as
//! `UNAUTHENTICATED` whose response `Date` header shows a clock skew is retried once with a
//! corrected timestamp. Reads (`CallKind::Read`) are retried on `UNAVAILABLE` with exponential
//! backoff and jitter, bounded; writes are never retried on their own.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::{sign_grpc, Metadata, SharedSigner, SkewClock};
use crate::{Code, Error, Result};

mod backoff;
pub mod cancel;
#[cfg(target_arch = "wasm32")]
pub(crate) mod fetch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(target_arch = "wasm32")]
mod gateway;
mod gateway_codec;
mod grpc_web_codec;
pub mod http;
mod memory;
#[cfg(target_arch = "wasm32")]
pub(crate) mod props;
pub mod runtime;
mod wire;

pub use backoff::Backoff;
pub use cancel::CancelToken;
pub use memory::{MemoryHandler, MemoryReply};

/// The wire protocol of a [`Transport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Omni's `/api/` JSON gateway (works against any Omni).
    Gateway,
    /// gRPC-web (needs a translating proxy in front of Omni).
    GrpcWeb,
    /// An in-process handler (tests).
    Memory,
}

impl Protocol {
    /// Parse `"gateway"` or `"grpc-web"` (also `grpcweb`, `grpc_web`).
    pub fn parse(s: &str) -> Result<Protocol> {
        match s.to_ascii_lowercase().as_str() {
            "gateway" | "json" | "api" => Ok(Protocol::Gateway),
            "grpc-web" | "grpcweb" | "grpc_web" => Ok(Protocol::GrpcWeb),
            other => Err(Error::InvalidArgument(format!(
                "unknown transport {other:?}: expected \"gateway\" or \"grpc-web\""
            ))),
        }
    }
}

/// Whether a call may be retried automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A read (Get, List, Watch, config downloads): retried on `UNAVAILABLE`.
    Read,
    /// A write: never retried on its own.
    Write,
}

/// Per-call options.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Give up (and abort the fetch) after this long. Defaults to no timeout.
    pub timeout: Option<Duration>,
    /// Cancel the call when this token fires: its request, the reads of its body and the
    /// sleeps between its retries end with [`Error::Cancelled`]. (The JS API adapts a
    /// caller's `AbortSignal` to it.)
    pub cancel: Option<CancelToken>,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// The calls that change nothing in the installation: what a read-only client may make.
/// Everything else (including methods unknown here) counts as a write. `Kubeconfig` is a read
/// unless it asks for a service account, which the callers that build it check
/// ([`Transport::refuse_write`]). Of `AuthService`, registering, awaiting and revoking one's own
/// key (signing in and out) are allowed; confirming a key grants access and is not.
const READ_METHODS: &[&str] = &[
    "/cosi.resource.State/Get",
    "/cosi.resource.State/List",
    "/cosi.resource.State/Watch",
    "/omni.resources.ResourceService/Get",
    "/omni.resources.ResourceService/List",
    "/omni.resources.ResourceService/Watch",
    "/omni.resources.ResourceService/Controllers",
    "/omni.resources.ResourceService/DependencyGraph",
    "/management.ManagementService/Kubeconfig",
    "/management.ManagementService/Talosconfig",
    "/management.ManagementService/Omniconfig",
    "/management.ManagementService/MachineLogs",
    "/management.ManagementService/ValidateConfig",
    "/management.ManagementService/ValidateJSONSchema",
    "/management.ManagementService/ListServiceAccounts",
    "/management.ManagementService/KubernetesUpgradePreChecks",
    "/management.ManagementService/GetBootAssetURL",
    "/management.ManagementService/GetSupportBundle",
    "/management.ManagementService/ReadAuditLog",
    "/management.ManagementService/GetMachineJoinConfig",
    "/management.ManagementService/ListUsers",
    "/auth.AuthService/RegisterPublicKey",
    "/auth.AuthService/AwaitPublicKeyConfirmation",
    "/auth.AuthService/RevokePublicKey",
];

/// Whether `method` (`/pkg.Service/Method`) only reads (see `READ_METHODS`).
pub fn is_read_method(method: &str) -> bool {
    READ_METHODS.contains(&method)
}

impl CallOptions {
    /// These options with a timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// These options, cancelled by `token`.
    #[must_use]
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// What the observer hook hears about every finished call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallReport {
    /// Full gRPC method path, e.g. `/cosi.resource.State/List`.
    pub method: String,
    /// Wall time from the first attempt to the outcome (for streams: until opened).
    pub duration_ms: u64,
    /// `OK` or the error's code name.
    pub outcome: Code,
    /// How many extra attempts were made (backoff retries and the skew retry).
    pub retries: u32,
}

/// A callback that observes every call (latency dashboards); must not panic.
pub type Observer = Rc<dyn Fn(&CallReport)>;

/// Settings of a [`Transport`].
#[derive(Clone)]
pub struct TransportConfig {
    /// Protocol to speak.
    pub protocol: Protocol,
    /// Base URL of Omni (scheme + host + optional port), without a trailing slash.
    pub base_url: String,
    /// Signs every call when set.
    pub signer: Option<SharedSigner>,
    /// Retry policy for reads.
    pub backoff: Backoff,
    /// Called after every call.
    pub observer: Option<Observer>,
    /// The in-process handler for [`Protocol::Memory`].
    pub memory: Option<MemoryHandler>,
    /// Extra metadata sent with every call.
    pub default_metadata: Metadata,
    /// Refuse every call that is not a read ([`is_read_method`]) before anything is sent.
    pub read_only: bool,
    /// The clock of retries, backoff and the client's waits ([`runtime::SystemClock`] unless
    /// a test gives its own).
    pub clock: runtime::SharedClock,
    /// The `fetch` to send requests with instead of the global one (a Worker's service
    /// binding, a Node dispatcher, a test double): called as `fetch(url, init)`, it must
    /// resolve to a `Response`.
    #[cfg(target_arch = "wasm32")]
    pub fetch: Option<js_sys::Function>,
    /// The HTTP client the gateway and gRPC-web protocols send with. Natively there is no
    /// default: plug one in ([`http::HttpClient`]); in wasm it is `fetch`.
    #[cfg(not(target_arch = "wasm32"))]
    pub http: Option<http::SharedHttpClient>,
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportConfig")
            .field("protocol", &self.protocol)
            .field("base_url", &self.base_url)
            .field(
                "signer",
                &self.signer.as_ref().map(|s| s.key_id().to_string()),
            )
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

/// Check and normalise an endpoint URL.
///
/// `https://` is always accepted; `http://` only for loopback hosts (`localhost`, `127.x`,
/// `[::1]`) unless `allow_insecure_http` is set. `grpc://`/`grpcs://` (omniconfig style) are
/// mapped to `http://`/`https://`. A trailing slash and any path are removed.
pub fn normalize_endpoint(url: &str, allow_insecure_http: bool) -> Result<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        Error::InvalidArgument(format!(
            "endpoint {url:?} must start with https:// or http://"
        ))
    })?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" | "grpcs" => "https",
        "http" | "grpc" => "http",
        other => {
            return Err(Error::InvalidArgument(format!(
                "endpoint scheme {other:?} is not supported (use https:// or http://)"
            )))
        }
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(Error::InvalidArgument(format!(
            "endpoint {url:?} needs a host (and no user info)"
        )));
    }
    if scheme == "http" && !allow_insecure_http && !is_loopback(authority) {
        return Err(Error::InvalidArgument(format!(
            "refusing plain http:// to non-loopback host {authority:?}: use https://, or opt in with allowInsecureHttp"
        )));
    }
    Ok(format!("{scheme}://{authority}"))
}

fn is_loopback(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|r| {
            r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok())
        })
}

/// A response body kept as text for a JSON parser. In wasm it is the engine's own string (the
/// body is never copied into linear memory); natively a `String`.
#[cfg(target_arch = "wasm32")]
pub type Text = js_sys::JsString;
/// A response body kept as text for a JSON parser. In wasm it is the engine's own string (the
/// body is never copied into linear memory); natively a `String`.
#[cfg(not(target_arch = "wasm32"))]
pub type Text = String;

/// A message that can travel over both protocols: protobuf bytes for gRPC-web; for the JSON
/// protocols, requests through the generated serde code, answers through the descriptors
/// (`crate::proto::json::decode_answer`).
pub trait Message: prost::Message + Serialize + Default + Clone + 'static {}
impl<T: prost::Message + Serialize + Default + Clone + 'static> Message for T {}

/// What one attempt of a call produced, plus the server's `Date` for skew learning.
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) server_date: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            server_date: None,
        }
    }
}

/// Retry bookkeeping of one call.
struct Attempts {
    started: f64,
    retries: u32,
    skew_retried: bool,
    backoff: Backoff,
}

/// A cheap-to-clone handle that sends calls to one Omni endpoint.
#[derive(Clone)]
pub struct Transport {
    inner: Rc<Inner>,
}

struct Inner {
    config: TransportConfig,
    /// What the gateway and gRPC-web protocols send with (`fetch` in wasm).
    http: Option<http::SharedHttpClient>,
    skew: RefCell<SkewClock>,
    calls: Cell<u64>,
}

/// The HTTP client of `config`: `fetch` (the caller's or the global one) in wasm, the
/// configured one natively.
fn http_client(config: &TransportConfig) -> Option<http::SharedHttpClient> {
    #[cfg(target_arch = "wasm32")]
    {
        Some(Rc::new(fetch::Fetch::new(config.fetch.clone())))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        config.http.clone()
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport with `config`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a memory transport without a handler.
    pub fn new(config: TransportConfig) -> Result<Transport> {
        if config.protocol == Protocol::Memory && config.memory.is_none() {
            return Err(Error::InvalidArgument(
                "the memory transport needs a handler".into(),
            ));
        }
        Ok(Transport {
            inner: Rc::new(Inner {
                http: http_client(&config),
                config,
                skew: RefCell::new(SkewClock::new()),
                calls: Cell::new(0),
            }),
        })
    }

    /// The same endpoint and settings, signing with `signer` instead (its own clock-skew
    /// state starts from this one's).
    pub fn with_signer(&self, signer: SharedSigner) -> Transport {
        let mut config = self.inner.config.clone();
        config.signer = Some(signer);
        Transport {
            inner: Rc::new(Inner {
                http: self.inner.http.clone(),
                config,
                skew: RefCell::new(*self.inner.skew.borrow()),
                calls: Cell::new(0),
            }),
        }
    }

    /// The protocol this transport speaks.
    pub fn protocol(&self) -> Protocol {
        self.inner.config.protocol
    }

    /// The endpoint's base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// The signer, if any.
    pub fn signer(&self) -> Option<&SharedSigner> {
        self.inner.config.signer.as_ref()
    }

    /// Seconds the server's clock is ahead of ours, as learned from `Date` headers.
    pub fn clock_offset_secs(&self) -> i64 {
        self.inner.skew.borrow().offset_secs()
    }

    /// The server's time as best known (local clock + learned offset), Unix seconds.
    pub fn server_now(&self) -> i64 {
        self.inner.skew.borrow().server_now(runtime::now_secs())
    }

    /// The clock of retries and waits.
    pub fn clock(&self) -> runtime::SharedClock {
        self.inner.config.clock.clone()
    }

    /// Whether this transport refuses writes ([`TransportConfig::read_only`]).
    pub fn read_only(&self) -> bool {
        self.inner.config.read_only
    }

    /// The error for `method` when this transport is read-only and `writes` (nothing is sent).
    ///
    /// # Errors
    /// [`Code::PermissionDenied`] naming the method.
    pub fn refuse_write(&self, method: &str, writes: bool) -> Result<()> {
        if self.inner.config.read_only && writes {
            return Err(Error::status(
                Code::PermissionDenied,
                format!("{method} changes the installation and this client is read-only; nothing was sent"),
            ));
        }
        Ok(())
    }

    /// [`refuse_write`](Self::refuse_write) for any method not on the read list (looked up
    /// only when this transport is read-only).
    fn refuse_unless_read(&self, method: &str) -> Result<()> {
        if !self.inner.config.read_only {
            return Ok(());
        }
        self.refuse_write(method, !is_read_method(method))
    }

    /// How many calls were started (attempts not counted).
    pub fn call_count(&self) -> u64 {
        self.inner.calls.get()
    }

    async fn prepare(&self, method: &str, mut md: Metadata, signed: bool) -> Result<Metadata> {
        for (k, vs) in self.inner.config.default_metadata.iter() {
            if !md.contains(k) {
                for v in vs {
                    md.append(k, v.clone());
                }
            }
        }
        if signed {
            if let Some(signer) = &self.inner.config.signer {
                let now = self.inner.skew.borrow().server_now(runtime::now_secs());
                sign_grpc(signer.as_ref(), method, &mut md, now).await?;
            }
        }
        Ok(md)
    }

    /// Learn the server clock from a failure; `true` if the skew is large enough that a
    /// re-signed retry can help.
    fn learn_skew(&self, failure: &Failure) -> bool {
        if failure.error.code() != Code::Unauthenticated || self.inner.config.signer.is_none() {
            return false;
        }
        let Some(date) = failure.server_date.as_deref() else {
            return false;
        };
        let before = self.inner.skew.borrow().offset_secs();
        let local = runtime::now_secs();
        if self
            .inner
            .skew
            .borrow_mut()
            .observe_date_header(local, date)
            .is_err()
        {
            return false;
        }
        let after = self.inner.skew.borrow().offset_secs();
        // Omni accepts ±5 min; only a skew near that window explains the rejection.
        (after - before).abs() >= 60 || after.abs() >= 240
    }

    /// The HTTP client the protocols send with.
    fn http(&self) -> Result<&dyn http::HttpClient> {
        self.inner.http.as_deref().ok_or_else(|| {
            Error::InvalidArgument(
                "natively the gateway and gRPC-web transports need an HTTP client (TransportConfig::http)"
                    .into(),
            )
        })
    }

    fn memory_handler(&self) -> Result<&MemoryHandler> {
        self.inner
            .config
            .memory
            .as_ref()
            .ok_or_else(|| Error::Transport("no memory handler".into()))
    }

    fn attempts(&self) -> Attempts {
        Attempts {
            started: self.inner.config.clock.now_millis(),
            retries: 0,
            skew_retried: false,
            backoff: self.inner.config.backoff.clone(),
        }
    }

    /// After a failed attempt: `Ok(())` to try again (once re-signed after a clock-skew
    /// rejection; reads also after a backoff delay on `UNAVAILABLE`), or the error to give up
    /// with (reported to the observer).
    async fn after_failure(
        &self,
        method: &str,
        kind: CallKind,
        st: &mut Attempts,
        failure: Failure,
        opts: &CallOptions,
    ) -> Result<()> {
        if !st.skew_retried && self.learn_skew(&failure) {
            st.skew_retried = true;
            st.retries += 1;
            return Ok(());
        }
        if kind == CallKind::Read && failure.error.is_retryable() {
            if let Some(delay) = st.backoff.next_delay() {
                st.retries += 1;
                return self.inner.config.clock.sleep(delay, opts).await;
            }
        }
        self.report(method, st.started, failure.error.code(), st.retries);
        Err(failure.error)
    }

    fn report(&self, method: &str, started: f64, outcome: Code, retries: u32) {
        if let Some(obs) = &self.inner.config.observer {
            let elapsed = (self.inner.config.clock.now_millis() - started).max(0.0);
            obs(&CallReport {
                method: method.to_string(),
                duration_ms: elapsed as u64,
                outcome,
                retries,
            });
        }
    }

    /// A unary call of `method` (full path, `/pkg.Service/Method`).
    ///
    /// # Errors
    /// The server's status, a transport failure, or [`Error::Cancelled`].
    pub async fn unary<Req: Message, Resp: Message>(
        &self,
        method: &str,
        md: Metadata,
        request: &Req,
        kind: CallKind,
        opts: &CallOptions,
    ) -> Result<Resp> {
        self.unary_with(method, md, request, kind, opts, true).await
    }

    /// Like [`unary`](Self::unary); `signed = false` sends no signature (the unsigned auth RPCs).
    ///
    /// # Errors
    /// As [`unary`](Self::unary).
    pub async fn unary_with<Req: Message, Resp: Message>(
        &self,
        method: &str,
        md: Metadata,
        request: &Req,
        kind: CallKind,
        opts: &CallOptions,
        signed: bool,
    ) -> Result<Resp> {
        // Only encoding and decoding are generic: the call itself (retries, signing, fetch)
        // is compiled once, not once per message type.
        let body = self.encode(method, request)?;
        let raw = self
            .unary_raw(method, md, &body, kind, opts, signed)
            .await?;
        decode(method, raw)
    }

    /// A unary call over a JSON protocol (gateway, memory) whose answer is kept as JSON text,
    /// undecoded: for bulk answers that the caller hands to a JSON parser as a whole.
    ///
    /// # Errors
    /// As [`unary`](Self::unary); [`Error::InvalidArgument`] on gRPC-web.
    pub async fn unary_text<Req: Message>(
        &self,
        method: &str,
        md: Metadata,
        request: &Req,
        kind: CallKind,
        opts: &CallOptions,
    ) -> Result<Text> {
        if self.inner.config.protocol == Protocol::GrpcWeb {
            return Err(Error::InvalidArgument(format!(
                "{method}: a JSON answer needs the gateway transport"
            )));
        }
        let body = self.encode(method, request)?;
        match self.unary_raw(method, md, &body, kind, opts, true).await? {
            Raw::Value(v) => Ok(Text::from(v.to_string())),
            #[cfg(target_arch = "wasm32")]
            Raw::Text(t) => Ok(t),
            _ => Err(Error::Decode(format!("{method}: not a JSON answer"))),
        }
    }

    /// The request in the encoding the protocol sends.
    fn encode<Req: Message>(&self, method: &str, request: &Req) -> Result<Encoded> {
        let bad = |e: serde_json::Error| Error::InvalidArgument(format!("{method} request: {e}"));
        if self.inner.config.protocol == Protocol::GrpcWeb {
            return Ok(Encoded::Proto(request.encode_to_vec()));
        }
        // one serializer instantiation per message type: JSON text, for both JSON protocols
        let json = serde_json::to_string(request).map_err(bad)?;
        Ok(match self.inner.config.protocol {
            Protocol::Memory => Encoded::Value(serde_json::from_str(&json).map_err(bad)?),
            _ => Encoded::Json(json),
        })
    }

    async fn unary_raw(
        &self,
        method: &str,
        md: Metadata,
        body: &Encoded,
        kind: CallKind,
        opts: &CallOptions,
        signed: bool,
    ) -> Result<Raw> {
        self.refuse_unless_read(method)?;
        self.inner.calls.set(self.inner.calls.get() + 1);
        let mut st = self.attempts();
        loop {
            let attempt = async {
                let md = self.prepare(method, md.clone(), signed).await?;
                self.attempt_unary(method, md, body, opts).await
            };
            let result: std::result::Result<Raw, Failure> = attempt.await;
            match result {
                Ok(resp) => {
                    self.report(method, st.started, Code::Ok, st.retries);
                    return Ok(resp);
                }
                Err(failure) => {
                    self.after_failure(method, kind, &mut st, failure, opts)
                        .await?
                }
            }
        }
    }

    async fn attempt_unary(
        &self,
        method: &str,
        md: Metadata,
        body: &Encoded,
        opts: &CallOptions,
    ) -> std::result::Result<Raw, Failure> {
        match (self.inner.config.protocol, body) {
            (Protocol::Memory, Encoded::Value(v)) => {
                let mut replies = memory::call(self.memory_handler()?, method, &md, v.clone())?;
                if replies.len() != 1 {
                    return Err(Error::Transport(format!(
                        "unary {method} answered with {} messages",
                        replies.len()
                    ))
                    .into());
                }
                Ok(Raw::Value(replies.remove(0)))
            }
            // the answer stays in the engine's string until someone decodes it
            #[cfg(target_arch = "wasm32")]
            (Protocol::Gateway, Encoded::Json(b)) => {
                gateway::unary(&self.inner.config, method, &md, b, opts)
                    .await
                    .map(Raw::Text)
            }
            #[cfg(not(target_arch = "wasm32"))]
            (Protocol::Gateway, Encoded::Json(b)) => {
                let base = &self.inner.config.base_url;
                wire::gateway_unary(self.http()?, base, method, &md, b, opts)
                    .await
                    .map(Raw::Value)
            }
            (Protocol::GrpcWeb, Encoded::Proto(b)) => {
                let base = &self.inner.config.base_url;
                wire::grpc_web_unary(self.http()?, base, method, &md, b, opts)
                    .await
                    .map(Raw::Proto)
            }
            _ => Err(Error::Transport("request encoded for another protocol".into()).into()),
        }
    }

    /// A server-streaming call. Opening is retried like a read (on `UNAVAILABLE`, with
    /// backoff) when `kind` is [`CallKind::Read`]; once messages flow, errors end the stream
    /// (the watcher decides about resuming). Dropping the stream aborts the fetch.
    pub fn server_streaming<Req: Message, Resp: Message>(
        &self,
        method: &str,
        md: Metadata,
        request: Req,
        kind: CallKind,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<Resp>> {
        let call = (method, md, kind, opts);
        self.streaming_decoded(call, &request, false, |m, raw| decode(m, raw))
    }

    /// Like [`server_streaming`](Self::server_streaming), but gateway lines are decoded in one
    /// pass by the message's generated deserializer instead of through the descriptors: for
    /// COSI's `State/List` and `State/Watch`, whose resources arrive by the thousand (about twice
    /// as fast; only these messages' deserializers are linked).
    pub fn server_streaming_one_pass<Req: Message, Resp: Message + DeserializeOwned>(
        &self,
        method: &str,
        md: Metadata,
        request: Req,
        kind: CallKind,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<Resp>> {
        let call = (method, md, kind, opts);
        self.streaming_decoded(call, &request, false, |m, raw| match raw {
            Raw::Line(l) => gateway_codec::line_result(m, &l),
            other => decode(m, other),
        })
    }

    /// A unary call of any method of the compiled services with a message built at run time
    /// (`client.call`): the request encoded per protocol from its descriptor, the answer read
    /// against the method's output type.
    ///
    /// # Errors
    /// As [`unary`](Self::unary).
    pub(crate) async fn unary_dynamic(
        &self,
        method: &prost_reflect::MethodDescriptor,
        md: Metadata,
        request: &prost_reflect::DynamicMessage,
        kind: CallKind,
        opts: &CallOptions,
    ) -> Result<prost_reflect::DynamicMessage> {
        let path = method_path(method);
        let body = self.encode_dynamic(request)?;
        let raw = self.unary_raw(&path, md, &body, kind, opts, true).await?;
        decode_dynamic(&path, &method.output(), raw)
    }

    /// Like [`unary_dynamic`](Self::unary_dynamic), for a server-streaming method.
    pub(crate) fn server_streaming_dynamic(
        &self,
        method: &prost_reflect::MethodDescriptor,
        md: Metadata,
        request: &prost_reflect::DynamicMessage,
        kind: CallKind,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<prost_reflect::DynamicMessage>> {
        let path = method_path(method);
        let body = match self.encode_dynamic(request) {
            Ok(b) => b,
            Err(e) => return futures::stream::iter([Err(e)]).boxed_local(),
        };
        let output = method.output();
        self.server_streaming_raw(&path, md, body, kind, opts, false)
            .map(move |item| item.and_then(|raw| decode_dynamic(&path, &output, raw)))
            .boxed_local()
    }

    fn encode_dynamic(&self, request: &prost_reflect::DynamicMessage) -> Result<Encoded> {
        Ok(match self.inner.config.protocol {
            Protocol::GrpcWeb => Encoded::Proto(prost::Message::encode_to_vec(request)),
            Protocol::Gateway => {
                let mut out = Vec::new();
                crate::proto::json::write_json(request, &mut out)?;
                Encoded::Json(String::from_utf8(out).map_err(|e| Error::Decode(e.to_string()))?)
            }
            Protocol::Memory => Encoded::Value(crate::proto::json::to_json(request)?),
        })
    }

    /// A gateway server stream that the JS engine reads: the body is decoded into a JS string
    /// as it arrives, split into lines and each line given to `JSON.parse`, so no byte of it
    /// passes through linear memory. Each item is the line's `result` as a JS value; over
    /// other protocols every item is an error.
    #[cfg(target_arch = "wasm32")]
    pub fn gateway_stream_js<Req: Message>(
        &self,
        method: &str,
        md: Metadata,
        request: Req,
        kind: CallKind,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<wasm_bindgen::JsValue>> {
        let call = (method, md, kind, opts);
        self.streaming_decoded(call, &request, true, |m, raw| match raw {
            Raw::Js(v) => Ok(v),
            _ => Err(Error::Transport(format!("{m}: not a gateway stream"))),
        })
    }

    /// The engine's `JSON.parse` of a JS string.
    ///
    /// # Errors
    /// [`Error::Decode`] when it is not JSON.
    #[cfg(target_arch = "wasm32")]
    pub fn json_parse(text: &wasm_bindgen::JsValue) -> Result<wasm_bindgen::JsValue> {
        gateway::json_parse(text).map_err(|_| Error::Decode("not JSON".into()))
    }

    /// A server stream whose messages `decode` turns into `R`.
    fn streaming_decoded<Req: Message, R: 'static>(
        &self,
        (method, md, kind, opts): (&str, Metadata, CallKind, CallOptions),
        request: &Req,
        engine_lines: bool,
        decode: fn(&str, Raw) -> Result<R>,
    ) -> LocalBoxStream<'static, Result<R>> {
        let body = match self.encode(method, request) {
            Ok(b) => b,
            Err(e) => return futures::stream::iter([Err(e)]).boxed_local(),
        };
        let m = method.to_string();
        self.server_streaming_raw(method, md, body, kind, opts, engine_lines)
            .map(move |item| item.and_then(|raw| decode(&m, raw)))
            .boxed_local()
    }

    fn server_streaming_raw(
        &self,
        method: &str,
        md: Metadata,
        body: Encoded,
        kind: CallKind,
        opts: CallOptions,
        engine_lines: bool,
    ) -> LocalBoxStream<'static, Result<Raw>> {
        if let Err(e) = self.refuse_unless_read(method) {
            return futures::stream::iter([Err(e)]).boxed_local();
        }
        let this = self.clone();
        let method = method.to_string();
        let open = async move {
            this.inner.calls.set(this.inner.calls.get() + 1);
            let mut st = this.attempts();
            loop {
                let attempt = async {
                    let md = this.prepare(&method, md.clone(), true).await?;
                    this.attempt_stream(&method, md, &body, &opts, engine_lines)
                        .await
                };
                match attempt.await {
                    Ok(stream) => {
                        // fused: the head item is taken below and the rest chained after it,
                        // so the inner stream may be polled again after it ended
                        let mut stream = stream.fuse();
                        // Wait for the first item so that errors the server sends before any
                        // message (auth, arguments, UNAVAILABLE) are retried like unary ones.
                        match stream.next().await {
                            Some(Err(e)) if !matches!(e, Error::Cancelled(_)) => {
                                this.after_failure(&method, kind, &mut st, e.into(), &opts)
                                    .await?;
                            }
                            first => {
                                this.report(&method, st.started, Code::Ok, st.retries);
                                let head = futures::stream::iter(first);
                                return Ok(head.chain(stream).boxed_local());
                            }
                        }
                    }
                    Err(failure) => {
                        this.after_failure(&method, kind, &mut st, failure, &opts)
                            .await?;
                    }
                }
            }
        };
        futures::stream::once(open)
            .map(
                |opened: Result<LocalBoxStream<'static, Result<Raw>>>| match opened {
                    Ok(s) => s,
                    Err(e) => futures::stream::iter([Err(e)]).boxed_local(),
                },
            )
            .flatten()
            .boxed_local()
    }

    async fn attempt_stream(
        &self,
        method: &str,
        md: Metadata,
        body: &Encoded,
        opts: &CallOptions,
        engine_lines: bool,
    ) -> std::result::Result<LocalBoxStream<'static, Result<Raw>>, Failure> {
        match (self.inner.config.protocol, body) {
            (Protocol::Memory, Encoded::Value(v)) => {
                let replies = memory::call(self.memory_handler()?, method, &md, v.clone())?;
                Ok(
                    futures::stream::iter(replies.into_iter().map(|v| Ok(Raw::Value(v))))
                        .boxed_local(),
                )
            }
            #[cfg(target_arch = "wasm32")]
            (Protocol::Gateway, Encoded::Json(b)) if engine_lines => {
                let cfg = &self.inner.config;
                Ok(gateway::server_streaming_js(cfg, method, &md, b, opts)
                    .await?
                    .map(|r| r.map(Raw::Js))
                    .boxed_local())
            }
            (Protocol::Gateway, Encoded::Json(b)) => {
                let _ = engine_lines; // (natively always false)
                let base = &self.inner.config.base_url;
                Ok(
                    wire::gateway_lines(self.http()?, base, method, &md, b, opts)
                        .await?
                        .map(|r| r.map(Raw::Line))
                        .boxed_local(),
                )
            }
            (Protocol::GrpcWeb, Encoded::Proto(b)) => {
                let base = &self.inner.config.base_url;
                Ok(
                    wire::grpc_web_stream(self.http()?, base, method, &md, b, opts)
                        .await?
                        .map(|r| r.map(Raw::Proto))
                        .boxed_local(),
                )
            }
            _ => Err(Error::Transport("request encoded for another protocol".into()).into()),
        }
    }
}

/// A request encoded for one protocol.
enum Encoded {
    /// protojson text (gateway).
    Json(String),
    /// protobuf bytes (gRPC-web).
    Proto(Vec<u8>),
    /// protojson value (memory).
    Value(serde_json::Value),
}

/// One response message as it arrived, not yet decoded.
enum Raw {
    /// protobuf bytes (gRPC-web).
    Proto(Vec<u8>),
    /// protojson (streams, memory).
    Value(serde_json::Value),
    /// protojson text as received (gateway unary answers).
    #[cfg(target_arch = "wasm32")]
    Text(js_sys::JsString),
    /// One gateway stream line, `{"result": …}` or `{"error": …}`.
    Line(Vec<u8>),
    /// The `result` of a gateway stream line the engine parsed.
    #[cfg(target_arch = "wasm32")]
    Js(wasm_bindgen::JsValue),
}

/// An answer as it arrived: protobuf bytes, or protojson from a JSON protocol.
enum Answer {
    Proto(Vec<u8>),
    Json(serde_json::Value),
}

fn answer(method: &str, raw: Raw) -> Result<Answer> {
    Ok(match raw {
        Raw::Proto(b) => Answer::Proto(b),
        Raw::Value(v) => Answer::Json(v),
        #[cfg(target_arch = "wasm32")]
        Raw::Text(t) => Answer::Json(
            serde_json::from_str(&String::from(t))
                .map_err(|e| Error::Decode(format!("{method} response: {e}")))?,
        ),
        Raw::Line(l) => Answer::Json(gateway_codec::line_result(method, &l)?),
        #[cfg(target_arch = "wasm32")]
        Raw::Js(_) => {
            return Err(Error::Decode(format!(
                "{method} response: an engine-parsed line"
            )))
        }
    })
}

/// Decode one response message (the only generic step on the way back): protobuf bytes by the
/// generated decoder, JSON through the descriptors ([`crate::proto::json::decode_answer`]).
fn decode<Resp: Message>(method: &str, raw: Raw) -> Result<Resp> {
    match answer(method, raw)? {
        Answer::Proto(b) => {
            Resp::decode(b.as_slice()).map_err(|e| Error::Decode(format!("{method} response: {e}")))
        }
        Answer::Json(v) => crate::proto::json::decode_answer(method, &v),
    }
}

/// `/pkg.Service/Method` of a method descriptor.
fn method_path(m: &prost_reflect::MethodDescriptor) -> String {
    format!("/{}/{}", m.parent_service().full_name(), m.name())
}

/// An answer as a message of `output`, whatever the protocol.
fn decode_dynamic(
    method: &str,
    output: &prost_reflect::MessageDescriptor,
    raw: Raw,
) -> Result<prost_reflect::DynamicMessage> {
    match answer(method, raw)? {
        Answer::Proto(b) => crate::proto::json::decode(output, &b),
        Answer::Json(v) => crate::proto::json::read_answer(output, &v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_and_normalised() {
        assert_eq!(
            normalize_endpoint("https://omni.example.org/", false).unwrap(),
            "https://omni.example.org"
        );
        assert_eq!(
            normalize_endpoint("grpc://127.0.0.1:8080", false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_endpoint("http://localhost:8099/x", false).unwrap(),
            "http://localhost:8099"
        );
        assert_eq!(
            normalize_endpoint("http://[::1]:1", false).unwrap(),
            "http://[::1]:1"
        );
        assert!(normalize_endpoint("http://omni.example.org", false).is_err());
        assert!(normalize_endpoint("http://127.0.0.1.evil.com", false).is_err());
        assert_eq!(
            normalize_endpoint("http://omni.lan", true).unwrap(),
            "http://omni.lan"
        );
        assert!(normalize_endpoint("ftp://x", true).is_err());
        assert!(normalize_endpoint("omni.example.org", true).is_err());
        assert!(normalize_endpoint("https://user:pw@h", true).is_err());
    }

    #[test]
    fn protocol_names_parse() {
        assert_eq!(Protocol::parse("gateway").unwrap(), Protocol::Gateway);
        assert_eq!(Protocol::parse("grpc-web").unwrap(), Protocol::GrpcWeb);
        assert!(Protocol::parse("grpc").is_err());
    }
}
