//! Any RPC of the compiled services by name, with protojson in and out (`client.call`): for
//! the methods the typed API does not wrap (ResourceService `Controllers` and
//! `DependencyGraph`, OIDC, whatever a newer Omni adds to `proto/`). Requests are read strictly
//! against the method's input type before anything is sent; answers come back in the library's
//! protojson (proto field names, enum numbers, zero values omitted).

use futures::stream::{LocalBoxStream, StreamExt as _};
use serde_json::Value as Json;

use super::OmniClient;
use crate::auth::Metadata;
use crate::proto::json;
use crate::transport::{CallKind, CallOptions};
use crate::{Error, Result};

/// Reads (retried on `UNAVAILABLE` like the typed API's reads) are the server streams and the
/// methods named as reads; everything else is a write, never retried on its own.
fn kind(method: &prost_reflect::MethodDescriptor) -> CallKind {
    let name = method.name();
    if method.is_server_streaming()
        || ["Get", "List", "Watch", "Read"]
            .iter()
            .any(|p| name.starts_with(p))
    {
        CallKind::Read
    } else {
        CallKind::Write
    }
}

/// The caller's metadata (e.g. `cluster` for the ManagementService's per-cluster methods) and,
/// for Omni's ResourceService, which serves several runtimes, `runtime: Omni` unless the caller
/// chose one (as the typed API asks).
fn with_defaults(service: &str, mut md: Metadata) -> Metadata {
    if service == "omni.resources.ResourceService" && !md.contains("runtime") {
        md.set("runtime", "Omni");
    }
    md
}

/// A `Kubeconfig` that creates a service account or asks for break-glass access writes, though
/// the method is a read otherwise.
fn kubeconfig_writes(
    m: &prost_reflect::MethodDescriptor,
    msg: &prost_reflect::DynamicMessage,
) -> bool {
    m.name() == "Kubeconfig"
        && ["service_account", "break_glass"].iter().any(|f| {
            msg.get_field_by_name(f)
                .is_some_and(|v| v.as_bool() == Some(true))
        })
}

/// The method and the request message, checked before anything is sent.
fn prepare(
    service: &str,
    method: &str,
    request: &Json,
    streaming: bool,
) -> Result<(
    prost_reflect::MethodDescriptor,
    prost_reflect::DynamicMessage,
)> {
    let m = json::rpc(service, method)?;
    if m.is_client_streaming() {
        return Err(Error::InvalidArgument(format!(
            "{service}/{method}: client streaming is not supported over gRPC-web or the gateway"
        )));
    }
    if m.is_server_streaming() != streaming {
        return Err(Error::InvalidArgument(format!(
            "{service}/{method} is {}: use {}",
            if streaming {
                "unary"
            } else {
                "server-streaming"
            },
            if streaming { "call" } else { "call_stream" }
        )));
    }
    let empty = Json::Object(Default::default());
    let request = if request.is_null() { &empty } else { request };
    let msg = json::from_json(&m.input(), request)?;
    Ok((m, msg))
}

impl OmniClient {
    /// A unary call of `service`/`method` (`"management.ManagementService"`, `"Kubeconfig"`)
    /// with a protojson request (proto or JSON field names) and metadata (`cluster` for
    /// per-cluster methods); the answer as protojson.
    ///
    /// # Errors
    /// [`crate::Code::InvalidArgument`] for an unknown method, a streaming one, or a request
    /// that does not fit the input type (nothing is sent then); otherwise the server's status.
    pub async fn call(
        &self,
        service: &str,
        method: &str,
        request: &Json,
        md: Metadata,
        opts: &CallOptions,
    ) -> Result<Json> {
        let (m, msg) = prepare(service, method, request, false)?;
        self.transport()
            .refuse_write(&format!("/{service}/{method}"), kubeconfig_writes(&m, &msg))?;
        let answer = self
            .transport()
            .unary_dynamic(&m, with_defaults(service, md), &msg, kind(&m), opts)
            .await?;
        json::to_json(&answer)
    }

    /// Like [`call`](Self::call), for a server-streaming method: each message as protojson.
    pub fn call_stream(
        &self,
        service: &str,
        method: &str,
        request: &Json,
        md: Metadata,
        opts: CallOptions,
    ) -> LocalBoxStream<'static, Result<Json>> {
        match prepare(service, method, request, true) {
            Ok((m, msg)) => self
                .transport()
                .server_streaming_dynamic(&m, with_defaults(service, md), &msg, kind(&m), opts)
                .map(|item| item.and_then(|a| json::to_json(&a)))
                .boxed_local(),
            Err(e) => futures::stream::iter([Err(e)]).boxed_local(),
        }
    }
}
