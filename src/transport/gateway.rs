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

use super::fetch::{post, text, text_js, AbortGuard, BodyReader};
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

/// One stream line, decoded in one pass straight into the message type.
#[derive(Deserialize)]
#[serde(bound = "M: serde::de::DeserializeOwned")]
struct Line<M> {
    result: Option<M>,
    error: Option<StatusJson>,
}

/// Only the error of a stream line (the result is skipped without being built).
#[derive(Deserialize)]
struct LineError {
    error: Option<StatusJson>,
}

/// Decodes one stream line into the message (or the error it carries).
pub(super) fn decode_line<M: serde::de::DeserializeOwned>(method: &str, line: &[u8]) -> Result<M> {
    match serde_json::from_slice::<Line<M>>(line) {
        Ok(Line { error: Some(s), .. }) => Err(status_error(s)),
        Ok(Line {
            result: Some(r), ..
        }) => Ok(r),
        Ok(_) => Err(Error::Decode(format!(
            "{method}: stream line has neither result nor error"
        ))),
        Err(e) => Err(Error::Decode(format!("{method} stream message: {e}"))),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The engine's `JSON.parse` of a JS string (no copy through linear memory).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub(crate) fn json_parse(
        text: &wasm_bindgen::JsValue,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>;
}

/// Parses one stream line with the engine's `JSON.parse`; the line's `result` (an error line
/// is the error it carries).
pub(super) fn parse_line_js(method: &str, line: &[u8]) -> Result<wasm_bindgen::JsValue> {
    let bad = || Error::Decode(format!("{method} stream message: not JSON"));
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let v = js_sys::JSON::parse(text).map_err(|_| bad())?;
    let result = js_sys::Reflect::get(&v, &"result".into()).unwrap_or_default();
    if result.is_undefined() || result.is_null() {
        // an error line, or neither: the serde reading says which
        decode_line::<serde_json::Value>(method, line)?;
        return Err(Error::Decode(format!(
            "{method}: stream line has no result"
        )));
    }
    Ok(result)
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

/// A unary call: the response message as protojson text, still in the engine's string (a
/// large answer is never copied into linear memory unless the caller decodes it there).
pub(super) async fn unary(
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<js_sys::JsString, Failure> {
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
    Ok(text_js(&resp, &guard).await?)
}

struct LineStream {
    guard: AbortGuard,
    reader: Option<BodyReader>,
    /// Received bytes; `buf[start..]` is not yet handed out.
    buf: Vec<u8>,
    start: usize,
    done: bool,
}

impl LineStream {
    /// The next complete line (without `\n`), or `None` at the end of the body. Lines are
    /// handed out as ranges of one buffer, which is compacted only when a chunk arrives (a
    /// chunk of many lines is not copied once per line).
    async fn next_line(&mut self) -> Result<Option<std::ops::Range<usize>>> {
        loop {
            if let Some(pos) = self.buf[self.start..].iter().position(|b| *b == b'\n') {
                let line = self.start..self.start + pos;
                self.start += pos + 1;
                if self.buf[line.clone()].iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(line));
            }
            if self.done {
                let rest = self.start..self.buf.len();
                self.start = self.buf.len();
                if self.buf[rest.clone()].iter().all(u8::is_ascii_whitespace) {
                    return Ok(None);
                }
                return Ok(Some(rest));
            }
            let Some(reader) = &self.reader else {
                self.done = true;
                continue;
            };
            self.buf.drain(..self.start);
            self.start = 0;
            if !reader.next_into(&self.guard, &mut self.buf).await? {
                self.done = true;
            }
        }
    }
}

/// A server stream: each message as its protojson line (see [`decode_line`]).
pub(super) async fn server_streaming(
    base: &str,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<Vec<u8>>>, Failure> {
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
    let reader = BodyReader::new(&resp, &guard)?;
    let state = LineStream {
        guard,
        reader,
        buf: Vec::new(),
        start: 0,
        done: false,
    };
    // Lines are handed out undecoded (the caller decodes each straight into its message type);
    // only the first is checked here for an error, so that errors sent before any message
    // reach the open/retry logic as errors.
    let stream = futures::stream::unfold(Some((state, true)), |state| async move {
        let (mut state, first) = state?;
        match state.next_line().await {
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
            Ok(Some(range)) => {
                let line = &state.buf[range];
                if first {
                    if let Ok(LineError { error: Some(s) }) = serde_json::from_slice(line) {
                        return Some((Err(status_error(s)), None));
                    }
                }
                let line = line.to_vec();
                Some((Ok(line), Some((state, false))))
            }
        }
    });
    Ok(stream.boxed_local())
}
