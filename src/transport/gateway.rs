//! Omni's grpc-gateway JSON API: `POST /api/<pkg.Service>/<Method>` over global `fetch`.
//!
//! Requests are protojson; metadata travels as `Grpc-Metadata-<key>` headers. Unary answers
//! are one JSON message; streams are newline-delimited `{"result": …}` / `{"error": …}` lines,
//! decoded as they arrive (never buffering the whole body). Errors come as an HTTP status with
//! a `google.rpc.Status` JSON body, an `{"error": …}` line before any message, or a trailing
//! `{"error": …}` line after messages (all three shapes are handled).

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

use super::fetch::{post, text, text_js, AbortGuard, BodyReader};
use super::gateway_codec as codec;
use super::{CallOptions, Failure, TransportConfig};
use crate::auth::Metadata;
use crate::{Error, Result};

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The engine's `JSON.parse` of a JS string (no copy through linear memory).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub(crate) fn json_parse(
        text: &wasm_bindgen::JsValue,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>;
}

/// The `result` of one stream line the engine parsed; an error line is the error it carries.
fn line_value(method: &str, line: &js_sys::JsString) -> Result<wasm_bindgen::JsValue> {
    use super::props::get;
    let bad = || Error::Decode(format!("{method} stream message: not JSON"));
    let v = json_parse(line).map_err(|_| bad())?;
    let result = get(&v, "result");
    if !result.is_undefined() && !result.is_null() {
        return Ok(result);
    }
    let error = get(&v, "error");
    if error.is_object() {
        let code = get(&error, "code").as_f64().unwrap_or_default();
        let message = get(&error, "message").as_string().unwrap_or_default();
        return Err(codec::status_error(code as i32, message));
    }
    Err(Error::Decode(format!(
        "{method}: stream line has neither result nor error"
    )))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The engine's `TextDecoder`, bound so that its text stays a JS string (web-sys's
    /// binding copies it into linear memory).
    type TextDecoder;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> std::result::Result<TextDecoder, wasm_bindgen::JsValue>;
    /// `decode(input, options)`; both `undefined` flushes what a streaming decode held back.
    #[wasm_bindgen(method, catch)]
    fn decode(
        this: &TextDecoder,
        input: &wasm_bindgen::JsValue,
        options: &wasm_bindgen::JsValue,
    ) -> std::result::Result<js_sys::JsString, wasm_bindgen::JsValue>;
}

/// A body read as JS text: decoded as chunks arrive, split at newlines by the engine.
struct EngineLines {
    guard: AbortGuard,
    reader: Option<BodyReader>,
    decoder: TextDecoder,
    /// `{ stream: true }`
    streaming: wasm_bindgen::JsValue,
    /// The complete lines of the last chunk; `lines[next..]` are not yet handed out.
    lines: js_sys::Array,
    next: u32,
    /// The incomplete line at the end of the last chunk.
    carry: js_sys::JsString,
    done: bool,
    method: String,
}

impl EngineLines {
    async fn next_line(&mut self) -> Result<Option<js_sys::JsString>> {
        use wasm_bindgen::JsCast as _;
        loop {
            while self.next < self.lines.length() {
                let line: js_sys::JsString = self.lines.get(self.next).unchecked_into();
                self.next += 1;
                // (grpc-gateway writes `{…}\n`; anything else is checked for blankness)
                if line.length() == 0
                    || (line.char_code_at(0) != f64::from(b'{') && line.trim().length() == 0)
                {
                    continue;
                }
                return Ok(Some(line));
            }
            if self.done {
                return Ok(None);
            }
            let chunk = match &self.reader {
                Some(r) => r.next_chunk(&self.guard).await?,
                None => None,
            };
            let text = match chunk {
                Some(bytes) => self.decoder.decode(&bytes, &self.streaming),
                None => {
                    self.done = true;
                    let none = wasm_bindgen::JsValue::UNDEFINED;
                    self.decoder.decode(&none, &none)
                }
            }
            .map_err(|_| Error::Decode("stream body is not UTF-8".into()))?;
            let all = if self.carry.length() == 0 {
                text
            } else {
                self.carry.concat(&text)
            };
            self.lines = all.split("\n");
            self.next = 0;
            self.carry = if self.done {
                js_sys::JsString::from("")
            } else {
                self.lines.pop().unchecked_into()
            };
        }
    }
}

/// A server stream read by the engine (see [`EngineLines`]): each message as the `result` of
/// its line, parsed by `JSON.parse`; an error line ends the stream with its error.
pub(super) async fn server_streaming_js(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<LocalBoxStream<'static, Result<wasm_bindgen::JsValue>>, Failure> {
    let (resp, guard) = open(cfg, method, md, body, opts).await?;
    let reader = BodyReader::new(&resp, &guard)?;
    let decoder = TextDecoder::new()
        .map_err(|_| Error::Transport("no TextDecoder in this runtime".into()))?;
    let streaming: wasm_bindgen::JsValue = js_sys::Object::new().into();
    if !super::props::set(&streaming, "stream", &true.into()) {
        return Err(Error::Transport("TextDecoder options".into()).into());
    }
    let state = EngineLines {
        guard,
        reader,
        decoder,
        streaming,
        lines: js_sys::Array::new(),
        next: 0,
        carry: js_sys::JsString::from(""),
        done: false,
        method: method.to_string(),
    };
    let stream = futures::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        match state.next_line().await {
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
            Ok(Some(line)) => match line_value(&state.method, &line) {
                Ok(v) => Some((Ok(v), Some(state))),
                Err(e) => Some((Err(e), None)),
            },
        }
    });
    Ok(stream.boxed_local())
}

/// POSTs a call; a response other than 200 is the error its body carries.
async fn open(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<(web_sys::Response, AbortGuard), Failure> {
    let guard = AbortGuard::new(opts.cancel.as_ref(), opts.timeout)?;
    let resp = post(
        cfg.fetch.as_ref(),
        &codec::url(&cfg.base_url, method),
        &codec::request_headers(md),
        &wasm_bindgen::JsValue::from_str(body),
        &guard,
    )
    .await?;
    let status = resp.status();
    if status != 200 {
        let date = resp.headers().get("date").ok().flatten();
        let text = text(&resp, &guard).await?;
        return Err(Failure {
            error: codec::error_from_body(status, &text),
            server_date: date,
        });
    }
    Ok((resp, guard))
}

/// A unary call: the response message as protojson text, still in the engine's string (a
/// large answer is never copied into linear memory unless the caller decodes it there).
pub(super) async fn unary(
    cfg: &TransportConfig,
    method: &str,
    md: &Metadata,
    body: &str,
    opts: &CallOptions,
) -> std::result::Result<js_sys::JsString, Failure> {
    let (resp, guard) = open(cfg, method, md, body, opts).await?;
    Ok(text_js(&resp, &guard).await?)
}
