//! The two HTTP protocols over any [`HttpClient`]: what is sent and how the answer is read.
//! Omni's JSON gateway (`POST /api/<pkg.Service>/<Method>`, protojson, metadata as
//! `Grpc-Metadata-*` headers, streams as newline-delimited `{"result"}`/`{"error"}` lines) and
//! gRPC-web (binary frames, status in trailers). The byte-level rules live in the pure codecs
//! ([`super::gateway_codec`], [`super::grpc_web_codec`]); this module only drives them with the
//! bytes the client delivers, so the same code runs over `fetch` in wasm and over any client
//! natively.

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

use super::gateway_codec::{self as gw, LineBuffer};
use super::grpc_web_codec::{self as gwc, Deframer, Frame, Headers};
use super::http::{HttpClient, HttpRequest, HttpResponse};
use super::{CallOptions, Failure};
use crate::auth::Metadata;
use crate::{Error, Result};

/// POSTs a gateway call; a status other than 200 is the error its body carries (with the
/// server's `Date`, for clock-skew learning).
async fn gateway_open(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<HttpResponse, Failure> {
    let request = HttpRequest {
        url: gw::url(base, method),
        headers: gw::request_headers(md),
        body: body.as_bytes().to_vec(),
    };
    let mut resp = http.post(request, opts).await?;
    if resp.status != 200 {
        let server_date = resp.header("date").map(str::to_string);
        let text = resp.read_all().await?;
        return Err(Failure {
            error: gw::error_from_body(resp.status, &String::from_utf8_lossy(&text)),
            server_date,
        });
    }
    Ok(resp)
}

/// A gateway unary call: the answer as protojson. (In wasm the transport keeps unary answers
/// in the engine's string instead: `gateway::unary`.)
#[cfg(not(target_arch = "wasm32"))]
pub(super) async fn gateway_unary(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<serde_json::Value, Failure> {
    let mut resp = gateway_open(http, base, method, md, body, opts).await?;
    let bytes = resp.read_all().await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Decode(format!("{method} response: {e}")).into())
}

/// A gateway server stream: each message as its line, undecoded (see
/// [`gw::line_result`]). Only the first line is checked for an error here, so that errors sent
/// before any message reach the open/retry logic as errors; later error lines are the
/// caller's to read.
pub(super) async fn gateway_lines(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure> {
    let resp = gateway_open(http, base, method, md, body, opts).await?;
    struct Lines {
        resp: HttpResponse,
        lines: LineBuffer,
        done: bool,
        first: bool,
    }
    let state = Lines {
        resp,
        lines: LineBuffer::default(),
        done: false,
        first: true,
    };
    let stream = futures::stream::unfold(Some(state), |state| async move {
        let mut s = state?;
        loop {
            if let Some(range) = s.lines.next_line(s.done) {
                let line = s.lines.get(range);
                if s.first {
                    s.first = false;
                    if let Some(e) = gw::line_error(line) {
                        return Some((Err(e), None));
                    }
                }
                let line = line.to_vec();
                return Some((Ok(line), Some(s)));
            }
            if s.done {
                return None;
            }
            match s.resp.body.read_into(s.lines.append_to()).await {
                Ok(more) => s.done = !more,
                Err(e) => return Some((Err(e), None)),
            }
        }
    });
    Ok(stream.boxed_local())
}

/// A gRPC-web response being read frame by frame.
struct Frames {
    resp: HttpResponse,
    frames: Deframer,
    /// The status arrived (trailers, or a trailers-only head): nothing more is read.
    ended: bool,
}

impl Frames {
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
                    gwc::status_of(&t)?;
                    return Ok(None);
                }
                None => {}
            }
            if !self.resp.body.read_into(self.frames.append_to()).await? {
                self.ended = true;
                return Err(gwc::ended_without_status(self.frames.has_partial()));
            }
        }
    }
}

/// POSTs one framed gRPC-web request; the head checked, the body ready to read.
async fn grpc_web_open(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    message: &[u8],
    opts: &CallOptions,
) -> std::result::Result<Frames, Failure> {
    let mut headers = vec![
        ("content-type".to_string(), gwc::CONTENT_TYPE.to_string()),
        ("accept".to_string(), gwc::CONTENT_TYPE.to_string()),
        ("x-grpc-web".to_string(), "1".to_string()),
    ];
    headers.extend(md.pairs().map(|(k, v)| (k.to_string(), v.to_string())));
    let request = HttpRequest {
        url: format!("{base}{method}"),
        headers,
        body: gwc::frame(message)?,
    };
    let resp = http.post(request, opts).await?;
    let server_date = resp.header("date").map(str::to_string);
    let head = Headers::from_pairs(resp.headers.iter().cloned());
    let trailers_only = match gwc::check_head(resp.status, head) {
        Ok(t) => t.is_some(),
        Err(error) => return Err(Failure { error, server_date }),
    };
    Ok(Frames {
        resp,
        frames: Deframer::default(),
        ended: trailers_only,
    })
}

/// A gRPC-web unary call: the answer as protobuf bytes.
pub(super) async fn grpc_web_unary(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    message: &[u8],
    opts: &CallOptions,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut body = grpc_web_open(http, base, method, md, message, opts).await?;
    let Some(answer) = body.next_message().await? else {
        return Err(Error::Decode(format!("{method}: unary call answered with no message")).into());
    };
    if body.next_message().await?.is_some() {
        return Err(
            Error::Decode(format!("{method}: unary call answered with two messages")).into(),
        );
    }
    Ok(answer)
}

/// A gRPC-web server stream: each message as protobuf bytes; the stream ends with the
/// trailers' error, if any. Dropping it ends the exchange.
pub(super) async fn grpc_web_stream(
    http: &dyn HttpClient,
    base: &str,
    method: &str,
    md: &Metadata,
    message: &[u8],
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure> {
    let body = grpc_web_open(http, base, method, md, message, opts).await?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    //! The protocols over a scripted client: recorded bodies delivered in chunks of every size.

    use std::cell::RefCell;

    use futures::executor::block_on;
    use futures::future::LocalBoxFuture;

    use super::*;
    use crate::transport::http::HttpBody;
    use crate::Code;

    /// Answers every POST with `status`, `headers` and `body` cut into `chunk`-byte reads;
    /// records the requests.
    struct Scripted {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        chunk: usize,
        sent: RefCell<Vec<HttpRequest>>,
    }

    struct Chunks(Vec<Vec<u8>>);

    impl HttpBody for Chunks {
        fn read_into<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> LocalBoxFuture<'a, Result<bool>> {
            Box::pin(async move {
                if self.0.is_empty() {
                    return Ok(false);
                }
                buf.extend_from_slice(&self.0.remove(0));
                Ok(true)
            })
        }
    }

    impl HttpClient for Scripted {
        fn post<'a>(
            &'a self,
            request: HttpRequest,
            _opts: &'a CallOptions,
        ) -> LocalBoxFuture<'a, Result<HttpResponse>> {
            self.sent.borrow_mut().push(request);
            let chunks = self.body.chunks(self.chunk).map(<[u8]>::to_vec).collect();
            let resp = HttpResponse {
                status: self.status,
                headers: self.headers.clone(),
                body: Box::new(Chunks(chunks)),
            };
            Box::pin(async move { Ok(resp) })
        }
    }

    fn scripted(status: u16, headers: &[(&str, &str)], body: &[u8], chunk: usize) -> Scripted {
        Scripted {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
            chunk,
            sent: RefCell::new(Vec::new()),
        }
    }

    fn md() -> Metadata {
        let mut md = Metadata::new();
        md.append("x-sidero-timestamp", "1".to_string());
        md
    }

    fn frame(flag: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![flag];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    const GRPC_WEB: &[(&str, &str)] = &[("content-type", "application/grpc-web+proto")];
    const M: &str = "/cosi.resource.State/List";

    fn collect(s: LocalBoxStream<'static, Result<Vec<u8>>>) -> Vec<Result<Vec<u8>>> {
        block_on(s.collect::<Vec<_>>())
    }

    type Opened = std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure>;

    /// A gRPC-web stream of `M` over `c`, the request body `req`.
    fn web_stream(c: &Scripted, req: &[u8]) -> Opened {
        block_on(grpc_web_stream(
            c,
            "http://h",
            M,
            &md(),
            req,
            &CallOptions::default(),
        ))
    }

    /// A unary gRPC-web call of `M` over `c`, an empty request.
    fn web_unary(c: &Scripted) -> std::result::Result<Vec<u8>, Failure> {
        block_on(grpc_web_unary(
            c,
            "http://h",
            M,
            &md(),
            b"",
            &CallOptions::default(),
        ))
    }

    /// The gateway's line stream of `M` over `c`, the request `{}`.
    fn lines(c: &Scripted) -> Opened {
        block_on(gateway_lines(
            c,
            "http://h",
            M,
            &md(),
            "{}",
            &CallOptions::default(),
        ))
    }

    #[test]
    fn grpc_web_streams_read_frames_across_any_chunking() {
        let mut body = frame(0, b"one");
        body.extend(frame(0, b""));
        body.extend(frame(0, b"three"));
        body.extend(frame(0x80, b"grpc-status: 0\r\n"));
        for chunk in [1, 2, 5, 7, body.len()] {
            let c = scripted(200, GRPC_WEB, &body, chunk);
            let s = web_stream(&c, b"req").unwrap_or_else(|_| panic!("chunk {chunk}"));
            let got: Vec<Vec<u8>> = collect(s).into_iter().map(Result::unwrap).collect();
            assert_eq!(
                got,
                [b"one".to_vec(), Vec::new(), b"three".to_vec()],
                "chunk {chunk}"
            );
            // what was sent: the framed request, gRPC-web headers, the metadata
            let sent = c.sent.borrow();
            assert_eq!(sent[0].url, format!("http://h{M}"));
            assert_eq!(sent[0].body, frame(0, b"req"));
            assert!(sent[0].headers.contains(&("x-grpc-web".into(), "1".into())));
            assert!(sent[0]
                .headers
                .contains(&("x-sidero-timestamp".into(), "1".into())));
        }
    }

    #[test]
    fn grpc_web_failures_keep_their_kind() {
        // a status in the trailers ends the stream with it, after the messages
        let mut body = frame(0, b"m");
        body.extend(frame(
            0x80,
            b"grpc-status: 5\r\ngrpc-message: not%20there\r\n",
        ));
        let c = scripted(200, GRPC_WEB, &body, 3);
        let s = web_stream(&c, b"").unwrap_or_else(|_| panic!());
        let got = collect(s);
        assert_eq!(got[0].as_ref().unwrap(), b"m");
        let e = got[1].as_ref().unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (Code::NotFound, "NOT_FOUND: not there")
        );
        // cut inside a frame: a transport error (the watcher resumes, reads retry)
        let cut = &frame(0, b"message")[..6];
        let c = scripted(200, GRPC_WEB, cut, 2);
        let s = web_stream(&c, b"").unwrap_or_else(|_| panic!());
        assert!(matches!(collect(s)[0], Err(Error::Transport(_))));
        // a proxy's page: the HTTP status's code, with the server's Date kept for skew
        let c = scripted(
            503,
            &[("date", "Sat, 05 Dec 2026 10:00:00 GMT")],
            b"<html>",
            4,
        );
        let Err(f) = web_unary(&c) else {
            panic!("a 503 is an error");
        };
        assert_eq!(f.error.code(), Code::Unavailable);
        assert_eq!(
            f.server_date.as_deref(),
            Some("Sat, 05 Dec 2026 10:00:00 GMT")
        );
        // not gRPC-web at all
        let c = scripted(200, &[("content-type", "text/html")], b"<html>", 4);
        let Err(f) = web_unary(&c) else {
            panic!("HTML is an error");
        };
        assert!(matches!(f.error, Error::Transport(_)), "{}", f.error);
        // a unary answer must be one message
        let mut two = frame(0, b"a");
        two.extend(frame(0, b"b"));
        two.extend(frame(0x80, b"grpc-status: 0\r\n"));
        let c = scripted(200, GRPC_WEB, &two, 100);
        let Err(f) = web_unary(&c) else {
            panic!("two messages is an error");
        };
        assert!(matches!(f.error, Error::Decode(_)), "{}", f.error);
    }

    #[test]
    fn gateway_lines_across_any_chunking_and_errors_before_and_after() {
        let body = b"{\"result\":{\"a\":1}}\n\n{\"result\":{\"a\":2}}\n{\"error\":{\"code\":14,\"message\":\"gone\"}}\n";
        for chunk in [1, 3, 10, body.len()] {
            let c = scripted(200, &[], body, chunk);
            let s = lines(&c).unwrap_or_else(|_| panic!("chunk {chunk}"));
            let got: Vec<Vec<u8>> = collect(s).into_iter().map(Result::unwrap).collect();
            // lines handed out undecoded; a trailing error line is the caller's to read
            assert_eq!(got.len(), 3, "chunk {chunk}");
            assert_eq!(got[1], b"{\"result\":{\"a\":2}}");
            let sent = c.sent.borrow();
            assert_eq!(sent[0].url, format!("http://h/api{M}"));
            assert_eq!(sent[0].body, b"{}");
            assert!(sent[0]
                .headers
                .contains(&("grpc-metadata-x-sidero-timestamp".into(), "1".into())));
        }
        // an error before any message is the stream's first item
        let c = scripted(
            200,
            &[],
            b"{\"error\":{\"code\":7,\"message\":\"no\"}}\n",
            5,
        );
        let s = lines(&c).unwrap_or_else(|_| panic!());
        assert_eq!(
            collect(s)[0].as_ref().unwrap_err().code(),
            Code::PermissionDenied
        );
        // a non-200 answer with a google.rpc.Status body
        let c = scripted(404, &[], b"{\"code\":5,\"message\":\"missing\"}", 5);
        let Err(f) = lines(&c) else {
            panic!("a 404 is an error");
        };
        assert_eq!(f.error.to_string(), "NOT_FOUND: missing");
    }
}
