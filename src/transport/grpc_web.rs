//! gRPC-web over the global `fetch`: binary `application/grpc-web+proto` frames. The bytes are
//! framed and read by [`super::grpc_web_codec`]; this module only moves them.
//!
//! Needs a gRPC-web proxy in front of Omni (or Omni's own gRPC-web endpoint). Dropping a call
//! drops its [`AbortGuard`], which aborts the fetch; the caller's `AbortSignal` and timeout
//! abort it too.

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use wasm_bindgen::JsCast as _;

use super::fetch::{post, AbortGuard, BodyReader};
use super::grpc_web_codec::{self as codec, Deframer, Frame, Headers};
use super::{CallOptions, Failure, TransportConfig};
use crate::auth::Metadata;
use crate::{Error, Result};

/// A response being read frame by frame.
struct Body {
    guard: AbortGuard,
    reader: Option<BodyReader>,
    frames: Deframer,
    /// The status arrived (trailers, or a trailers-only head): nothing more is read.
    ended: bool,
}

impl Body {
    /// The next message; `None` once the trailers said OK.
    async fn next_message(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if self.ended {
                return Ok(None);
            }
            match self.frames.next_frame()? {
                Some(Frame::Message(m)) => return Ok(Some(m)),
                Some(Frame::Trailers(t)) => {
                    self.ended = true;
                    codec::status_of(&t)?;
                    return Ok(None);
                }
                None => {}
            }
            let chunk = match &self.reader {
                Some(r) => r.next_chunk(&self.guard).await?,
                None => None,
            };
            let Some(chunk) = chunk else {
                self.ended = true;
                return Err(codec::ended_without_status(self.frames.has_partial()));
            };
            chunk.copy_to(self.frames.space(chunk.length() as usize));
        }
    }
}

/// POSTs one framed request; the head checked, the body ready to read.
async fn open(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    req: &[u8],
    opts: &CallOptions,
) -> std::result::Result<Body, Failure> {
    let guard = AbortGuard::new(opts.signal.as_ref(), opts.timeout)?;
    let mut headers = vec![
        ("content-type".to_string(), codec::CONTENT_TYPE.to_string()),
        ("accept".to_string(), codec::CONTENT_TYPE.to_string()),
        ("x-grpc-web".to_string(), "1".to_string()),
    ];
    headers.extend(md.pairs().map(|(k, v)| (k.to_string(), v.to_string())));
    let body = js_sys::Uint8Array::from(codec::frame(req)?.as_slice());
    let url = format!("{}{method}", cfg.base_url);
    let resp = post(cfg.fetch.as_ref(), &url, &headers, &body, &guard).await?;
    let head = response_headers(&resp);
    let server_date = head.get("date").map(str::to_string);
    let trailers_only = match codec::check_head(resp.status(), head) {
        Ok(t) => t.is_some(),
        Err(error) => return Err(Failure { error, server_date }),
    };
    let reader = if trailers_only {
        None
    } else {
        BodyReader::new(&resp, &guard)?
    };
    Ok(Body {
        guard,
        reader,
        frames: Deframer::default(),
        ended: trailers_only,
    })
}

/// The fields of a fetch response's head.
fn response_headers(resp: &web_sys::Response) -> Headers {
    let mut pairs = Vec::new();
    if let Ok(Some(it)) = js_sys::try_iter(&resp.headers()) {
        for entry in it.flatten() {
            let entry: js_sys::Array = entry.unchecked_into();
            if let (Some(k), Some(v)) = (entry.get(0).as_string(), entry.get(1).as_string()) {
                pairs.push((k, v));
            }
        }
    }
    Headers::from_pairs(pairs)
}

/// A unary call: the response message as protobuf bytes.
pub(super) async fn unary(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    req: &[u8],
    opts: &CallOptions,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut body = open(cfg, method, md, req, opts).await?;
    let first = body.next_message().await?;
    let Some(message) = first else {
        return Err(Error::Decode(format!("{method}: unary call answered with no message")).into());
    };
    if body.next_message().await?.is_some() {
        return Err(
            Error::Decode(format!("{method}: unary call answered with two messages")).into(),
        );
    }
    Ok(message)
}

/// A server stream: each message as protobuf bytes; the stream ends with the trailers' error,
/// if any. Dropping it aborts the fetch.
pub(super) async fn server_streaming(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    req: &[u8],
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure> {
    let body = open(cfg, method, md, req, opts).await?;
    let stream = futures::stream::unfold(Some(body), |state| async move {
        let mut body = state?;
        match body.next_message().await {
            Ok(Some(m)) => Some((Ok(m), Some(body))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(stream.boxed_local())
}
