//! Omni's grpc-gateway JSON API: `POST /api/<pkg.Service>/<Method>` over global `fetch`.
//!
//! Requests are protojson; metadata travels as `Grpc-Metadata-<key>` headers. Unary answers
//! are one JSON message; streams are newline-delimited `{"result": …}` / `{"error": …}` lines,
//! decoded as they arrive (never buffering the whole body). Errors come as an HTTP status with
//! a `google.rpc.Status` JSON body, an `{"error": …}` line before any message, or a trailing
//! `{"error": …}` line after messages (all three shapes are handled).

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;
use serde::Deserialize;

use super::fetch::{post, text, AbortGuard, BodyReader};
use super::{CallOptions, Failure};
use crate::auth::Metadata;
use crate::{Code, Error, Result};

#[derive(Deserialize)]
struct StatusJson {
    #[serde(default)]
    code: i32,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: Option<StatusJson>,
    #[serde(default)]
    code: Option<i32>,
    #[serde(default)]
    message: Option<String>,
}

/// One stream line; the message is decoded by the caller.
#[derive(Deserialize)]
struct Line {
    result: Option<serde_json::Value>,
    error: Option<StatusJson>,
}

fn status_error(s: StatusJson) -> Error {
    Error::status(Code::from_i32(s.code), s.message)
}

/// The error a non-200 response (or its body) stands for.
fn error_from_body(http_status: u16, body: &str) -> Error {
    let first_line = body.lines().next().unwrap_or_default();
    if let Ok(env) = serde_json::from_str::<ErrorEnvelope>(first_line) {
        if let Some(s) = env.error {
            return status_error(s);
        }
        if let Some(code) = env.code {
            return Error::status(Code::from_i32(code), env.message.unwrap_or_default());
        }
    }
    let text: String = body.chars().take(200).collect();
    Error::status(
        Code::from_http_status(http_status),
        format!("HTTP {http_status}: {}", text.trim()),
    )
}

fn headers(md: &Metadata) -> Vec<(String, String)> {
    let mut out = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    for (k, v) in md.pairs() {
        out.push((format!("grpc-metadata-{k}"), v.to_string()));
    }
    out
}

fn url(base: &str, method: &str) -> String {
    format!("{base}/api{method}")
}

/// A unary call: the response message as a protojson value.
pub(super) async fn unary(
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<serde_json::Value, Failure> {
    let guard = AbortGuard::new(opts.signal.as_ref(), opts.timeout)?;
    let resp = post(&url(base, method), &headers(md), body, &guard).await?;
    let date = resp.headers().get("date").ok().flatten();
    let status = resp.status();
    let text = text(&resp, &guard).await?;
    if status != 200 {
        return Err(Failure {
            error: error_from_body(status, &text),
            server_date: date,
        });
    }
    serde_json::from_str(&text).map_err(|e| Error::Decode(format!("{method} response: {e}")).into())
}

struct LineStream {
    guard: AbortGuard,
    reader: Option<BodyReader>,
    buf: Vec<u8>,
    done: bool,
}

impl LineStream {
    /// The next complete line (without `\n`), or `None` at the end of the body.
    async fn next_line(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let rest = self.buf.split_off(pos + 1);
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.pop();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(line));
            }
            if self.done {
                if self.buf.iter().all(u8::is_ascii_whitespace) {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.buf)));
            }
            let Some(reader) = &self.reader else {
                self.done = true;
                continue;
            };
            match reader.next(&self.guard).await? {
                Some(chunk) => self.buf.extend_from_slice(&chunk),
                None => self.done = true,
            }
        }
    }
}

/// A server stream: each message as a protojson value.
pub(super) async fn server_streaming(
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<serde_json::Value>>, Failure> {
    let guard = AbortGuard::new(opts.signal.as_ref(), opts.timeout)?;
    let resp = post(&url(base, method), &headers(md), body, &guard).await?;
    let status = resp.status();
    if status != 200 {
        let date = resp.headers().get("date").ok().flatten();
        let text = text(&resp, &guard).await?;
        return Err(Failure {
            error: error_from_body(status, &text),
            server_date: date,
        });
    }
    let reader = BodyReader::new(&resp)?;
    let state = LineStream {
        guard,
        reader,
        buf: Vec::new(),
        done: false,
    };
    let method = method.to_string();
    let stream = futures::stream::unfold(Some(state), move |state| {
        let method = method.clone();
        async move {
            let mut state = state?;
            match state.next_line().await {
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
                Ok(Some(line)) => match serde_json::from_slice::<Line>(&line) {
                    Ok(Line { error: Some(s), .. }) => Some((Err(status_error(s)), None)),
                    Ok(Line {
                        result: Some(r), ..
                    }) => Some((Ok(r), Some(state))),
                    Ok(_) => Some((
                        Err(Error::Decode(format!(
                            "{method}: stream line has neither result nor error"
                        ))),
                        None,
                    )),
                    Err(e) => Some((
                        Err(Error::Decode(format!("{method} stream message: {e}"))),
                        None,
                    )),
                },
            }
        }
    });
    Ok(stream.boxed_local())
}
