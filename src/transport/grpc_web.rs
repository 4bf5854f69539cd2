//! gRPC-web through `tonic-web-wasm-client` (binary `application/grpc-web+proto` over fetch).
//!
//! Needs a gRPC-web proxy in front of Omni. Dropping a call drops the client's own abort
//! guard, which aborts the fetch; the caller's `AbortSignal` is raced against the call.

use futures::stream::LocalBoxStream;
use futures::{FutureExt as _, StreamExt as _};
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

use super::fetch::aborted;
use super::{CallOptions, Failure};
use crate::auth::Metadata;
use crate::{Error, Result};

fn client(base: &str, opts: &CallOptions) -> tonic::client::Grpc<tonic_web_wasm_client::Client> {
    let mut fetch = tonic_web_wasm_client::options::FetchOptions::new();
    if let Some(t) = opts.timeout {
        fetch = fetch.timeout(t);
    }
    tonic::client::Grpc::new(tonic_web_wasm_client::Client::new_with_options(
        base.to_string(),
        fetch,
    ))
}

fn request(md: &Metadata, body: &[u8]) -> Result<tonic::Request<Vec<u8>>> {
    let mut r = tonic::Request::new(body.to_vec());
    for (k, v) in md.pairs() {
        let key = AsciiMetadataKey::from_bytes(k.as_bytes())
            .map_err(|_| Error::InvalidArgument(format!("bad metadata key {k:?}")))?;
        let value = AsciiMetadataValue::try_from(v)
            .map_err(|_| Error::InvalidArgument(format!("metadata {k:?} is not ASCII")))?;
        r.metadata_mut().append(key, value);
    }
    Ok(r)
}

fn failure(status: tonic::Status) -> Failure {
    let server_date = status
        .metadata()
        .get("date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Failure {
        error: super::grpc_web_status::error_of(&status),
        server_date,
    }
}

fn path(method: &str) -> Result<http::uri::PathAndQuery> {
    http::uri::PathAndQuery::try_from(method)
        .map_err(|e| Error::InvalidArgument(format!("bad method path {method:?}: {e}")))
}

/// A unary call: the response message as protobuf bytes.
pub(super) async fn unary(
    base: &str,
    method: &str,
    md: &Metadata,
    req: &[u8],
    opts: &CallOptions,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut grpc = client(base, opts);
    let request = request(md, req)?;
    let path = path(method)?;
    let call = async move {
        grpc.ready()
            .await
            .map_err(|e| Failure::from(Error::Transport(e.to_string())))?;
        let codec = BytesCodec;
        grpc.unary(request, path, codec)
            .await
            .map(tonic::Response::into_inner)
            .map_err(failure)
    };
    futures::pin_mut!(call);
    let cancel = aborted(opts.signal.clone());
    futures::pin_mut!(cancel);
    match futures::future::select(call, cancel).await {
        futures::future::Either::Left((r, _)) => r,
        futures::future::Either::Right((e, _)) => Err(e.into()),
    }
}

/// A server stream: each message as protobuf bytes.
pub(super) async fn server_streaming(
    base: &str,
    method: &str,
    md: &Metadata,
    req: &[u8],
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure> {
    let mut grpc = client(base, opts);
    let request = request(md, req)?;
    let path = path(method)?;
    let signal = opts.signal.clone();
    let open = async move {
        grpc.ready()
            .await
            .map_err(|e| Failure::from(Error::Transport(e.to_string())))?;
        let codec = BytesCodec;
        grpc.server_streaming(request, path, codec)
            .await
            .map(tonic::Response::into_inner)
            .map_err(failure)
    };
    // One abort listener for the whole stream (not one per message: a long watch would pile
    // them up on the signal); every wait below races a clone of it.
    let cancel = aborted(signal).map(|_| ()).boxed_local().shared();
    futures::pin_mut!(open);
    let streaming = match futures::future::select(open, cancel.clone()).await {
        futures::future::Either::Left((r, _)) => r?,
        futures::future::Either::Right(((), _)) => return Err(cancelled().into()),
    };
    // Race every message against the caller's signal; dropping `streaming` aborts the fetch.
    let stream = futures::stream::unfold(Some((streaming, cancel)), |state| async move {
        let (mut s, cancel) = state?;
        let out = {
            let next = s.message();
            futures::pin_mut!(next);
            match futures::future::select(next, cancel.clone()).await {
                futures::future::Either::Left((r, _)) => r,
                futures::future::Either::Right(((), _)) => return Some((Err(cancelled()), None)),
            }
        };
        match out {
            Ok(Some(m)) => Some((Ok(m), Some((s, cancel)))),
            Ok(None) => None,
            Err(status) => Some((Err(failure(status).error), None)),
        }
    });
    Ok(stream.boxed_local())
}

fn cancelled() -> Error {
    Error::Cancelled("aborted by the caller".into())
}

/// Passes protobuf bytes through unchanged: messages are encoded and decoded by the caller, so
/// the gRPC-web machinery is compiled once rather than once per message type.
#[derive(Clone, Copy, Default)]
struct BytesCodec;

struct BytesEncoder;

struct BytesDecoder;

impl tonic::codec::Codec for BytesCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = BytesEncoder;
    type Decoder = BytesDecoder;

    fn encoder(&mut self) -> BytesEncoder {
        BytesEncoder
    }

    fn decoder(&mut self) -> BytesDecoder {
        BytesDecoder
    }
}

impl tonic::codec::Encoder for BytesEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> std::result::Result<(), tonic::Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for BytesDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> std::result::Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf as _;
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}
