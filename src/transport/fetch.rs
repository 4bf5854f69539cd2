//! `fetch` plumbing for wasm: the global `fetch` (no `window`, so it works in browsers, Node and
//! workerd), an abort guard that really aborts the request when the call is dropped, cancelled
//! by the caller's `AbortSignal` or timed out, and timers.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, RequestInit, Response};

use super::cancel::CancelToken;
use crate::{Code, Error, Result};

#[wasm_bindgen]
extern "C" {
    /// `fetch(url, init)`. Not `fetch(new Request(url, init))`: Node's fetch copies a Request
    /// it is given, and the copy stops following the signal once the original is collected
    /// (nodejs/undici#4068), so an aborted call could keep its connection open.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

const NONE: u8 = 0;
const CANCELLED: u8 = 1;
const TIMED_OUT: u8 = 2;

/// Owns an `AbortController` for one request. Dropping it aborts the fetch (a no-op when the
/// request already finished), so an abandoned call never keeps a connection open.
pub(crate) struct AbortGuard {
    ctrl: AbortController,
    reason: Rc<Cell<u8>>,
    timer: Option<(JsValue, Closure<dyn FnMut()>)>,
    /// Aborts the fetch when the call's token fires (unregistered on drop).
    _link: Option<super::cancel::CancelHook>,
}

impl AbortGuard {
    pub(crate) fn new(cancel: Option<&CancelToken>, timeout: Option<Duration>) -> Result<Self> {
        let ctrl = AbortController::new().map_err(js_err)?;
        let reason = Rc::new(Cell::new(NONE));
        let mut guard = AbortGuard {
            ctrl,
            reason,
            timer: None,
            _link: None,
        };
        if let Some(token) = cancel {
            if token.is_cancelled() {
                return Err(Error::Cancelled("aborted before the call started".into()));
            }
            let ctrl = guard.ctrl.clone();
            let reason = guard.reason.clone();
            guard._link = Some(token.on_cancel(move || {
                if reason.get() == NONE {
                    reason.set(CANCELLED);
                }
                ctrl.abort();
            }));
        }
        if let Some(t) = timeout {
            let ctrl = guard.ctrl.clone();
            let reason = guard.reason.clone();
            let on_timeout = Closure::<dyn FnMut()>::new(move || {
                if reason.get() == NONE {
                    reason.set(TIMED_OUT);
                }
                ctrl.abort();
            });
            let ms = i32::try_from(t.as_millis()).unwrap_or(i32::MAX);
            let handle = set_timeout(on_timeout.as_ref().unchecked_ref(), ms);
            guard.timer = Some((handle, on_timeout));
        }
        Ok(guard)
    }

    pub(crate) fn signal(&self) -> AbortSignal {
        self.ctrl.signal()
    }

    /// The error to report when a JS promise of this request rejected.
    pub(crate) fn error_for(&self, e: JsValue, what: &str) -> Error {
        match self.reason.get() {
            CANCELLED => Error::Cancelled(format!("{what}: aborted by the caller")),
            TIMED_OUT => Error::status(Code::DeadlineExceeded, format!("{what}: timed out")),
            _ => Error::Transport(format!("{what}: {}", describe(&e))),
        }
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        self.ctrl.abort();
        if let Some((handle, _)) = self.timer.take() {
            clear_timeout(&handle);
        }
    }
}

/// A readable text for a JS exception or rejection value.
pub(crate) fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let msg: String = err.message().into();
        let cause = Reflect::get(err, &"cause".into())
            .ok()
            .filter(|c| !c.is_undefined() && !c.is_null())
            .map(|c| describe(&c));
        match cause {
            Some(c) if !c.is_empty() => format!("{msg} ({c})"),
            _ => msg,
        }
    } else if let Some(s) = e.as_string() {
        s
    } else {
        format!("{e:?}")
    }
}

pub(crate) fn js_err(e: JsValue) -> Error {
    Error::Transport(describe(&e))
}

/// POST `body` (a string or bytes) to `url` with `headers` through `fetch` (the global one
/// unless given); resolves to the response (any status).
pub(crate) async fn post(
    fetch: Option<&Function>,
    url: &str,
    headers: &[(String, String)],
    body: &JsValue,
    guard: &AbortGuard,
) -> Result<Response> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    init.set_signal(Some(&guard.signal()));
    let h = web_sys::Headers::new().map_err(js_err)?;
    for (k, v) in headers {
        h.append(k, v)
            .map_err(|e| Error::InvalidArgument(format!("header {k}: {}", describe(&e))))?;
    }
    init.set_headers(&h);
    let what = || format!("POST {url}");
    let pending = match fetch {
        None => global_fetch(url, &init),
        // a caller's fetch may throw instead of rejecting, or return a plain value
        Some(f) => Promise::resolve(
            &f.call2(&JsValue::UNDEFINED, &JsValue::from_str(url), &init)
                .map_err(|e| guard.error_for(e, &what()))?,
        ),
    };
    let resp = JsFuture::from(pending)
        .await
        .map_err(|e| guard.error_for(e, &what()))?;
    response(resp)
}

/// A fetch answer as a `Response`: one of this realm's, or one that looks like it (a double,
/// or a `Response` of another realm, such as a test harness's).
fn response(v: JsValue) -> Result<Response> {
    let v = match v.dyn_into::<Response>() {
        Ok(r) => return Ok(r),
        Err(v) => v,
    };
    let has = |name: &str| {
        Reflect::get(&v, &JsValue::from_str(name))
            .map(|x| !x.is_undefined() && !x.is_null())
            .unwrap_or(false)
    };
    let status_is_number = Reflect::get(&v, &JsValue::from_str("status"))
        .map(|s| s.as_f64().is_some())
        .unwrap_or(false);
    if v.is_object() && status_is_number && has("headers") && has("text") {
        Ok(v.unchecked_into())
    } else {
        Err(Error::Transport(
            "fetch did not resolve to a Response".into(),
        ))
    }
}

/// The whole body as text.
pub(crate) async fn text(resp: &Response, guard: &AbortGuard) -> Result<String> {
    Ok(String::from(text_js(resp, guard).await?))
}

/// The whole body as the engine's string (not copied into linear memory).
pub(crate) async fn text_js(resp: &Response, guard: &AbortGuard) -> Result<js_sys::JsString> {
    let p = resp.text().map_err(js_err)?;
    let v = JsFuture::from(p)
        .await
        .map_err(|e| guard.error_for(e, "reading the response"))?;
    v.dyn_into::<js_sys::JsString>()
        .map_err(|_| Error::Transport("response text is not a string".into()))
}

/// Resolves when a request's signal fires: one listener for the whole life of a stream, shared
/// by every read (one per read would leave a listener, a promise and two closures per chunk to
/// the garbage collector, and cost a JS round trip each).
type Cancel = futures::future::Shared<futures::future::LocalBoxFuture<'static, ()>>;

/// Reads a response body chunk by chunk.
pub(crate) struct BodyReader {
    reader: web_sys::ReadableStreamDefaultReader,
    cancel: Cancel,
}

impl BodyReader {
    /// A reader of `resp`'s body whose reads end when `guard`'s signal fires.
    pub(crate) fn new(resp: &Response, guard: &AbortGuard) -> Result<Option<Self>> {
        use futures::FutureExt as _;
        let Some(body) = resp.body() else {
            return Ok(None);
        };
        let cancel = aborted(Some(guard.signal()))
            .map(|_| ())
            .boxed_local()
            .shared();
        let reader = body
            .get_reader()
            .dyn_into::<web_sys::ReadableStreamDefaultReader>()
            .map_err(|_| Error::Transport("response body has no default reader".into()))?;
        Ok(Some(BodyReader { reader, cancel }))
    }

    /// The next chunk as the engine holds it; `None` at the end.
    pub(crate) async fn next_chunk(&self, guard: &AbortGuard) -> Result<Option<Uint8Array>> {
        // Race the read with the request's own signal: Node's fetch (undici, Node 20) leaves a
        // read() pending for ever when the request is aborted after the body has fully
        // arrived but before its end was read.
        let read = JsFuture::from(self.reader.read());
        let abort = self.cancel.clone();
        futures::pin_mut!(read, abort);
        let v = match futures::future::select(read, abort).await {
            futures::future::Either::Left((v, _)) => {
                v.map_err(|e| guard.error_for(e, "reading the response stream"))?
            }
            futures::future::Either::Right(_) => {
                // (the guard aborts the fetch when dropped; the pending read is left behind)
                return Err(guard.error_for(JsValue::NULL, "reading the response stream"));
            }
        };
        if super::props::get(&v, "done").is_truthy() {
            return Ok(None);
        }
        super::props::get(&v, "value")
            .dyn_into::<Uint8Array>()
            .map(Some)
            .map_err(|_| Error::Transport("stream chunk is not bytes".into()))
    }

    /// Appends the next chunk to `buf`; `false` at the end.
    pub(crate) async fn next_into(&self, guard: &AbortGuard, buf: &mut Vec<u8>) -> Result<bool> {
        let Some(bytes) = self.next_chunk(guard).await? else {
            return Ok(false);
        };
        let at = buf.len();
        buf.resize(at + bytes.length() as usize, 0);
        bytes.copy_to(&mut buf[at..]);
        Ok(true)
    }
}

/// An `abort` listener on a signal, removed when dropped, so a long-lived signal does not collect
/// one listener per call or stream.
pub(crate) struct AbortListener {
    signal: AbortSignal,
    callback: Function,
    /// The Rust closure behind `callback`, when there is one (it must outlive the listener).
    _closure: Option<Closure<dyn FnMut()>>,
}

impl AbortListener {
    /// Listens with the JS function `callback`; `None` when the signal refuses the listener.
    pub(crate) fn add(signal: &AbortSignal, callback: Function) -> Option<AbortListener> {
        signal
            .add_event_listener_with_callback("abort", &callback)
            .ok()?;
        Some(AbortListener {
            signal: signal.clone(),
            callback,
            _closure: None,
        })
    }

    /// Listens with the Rust closure `f`, kept alive as long as the listener.
    pub(crate) fn closure(
        signal: &AbortSignal,
        f: impl FnMut() + 'static,
    ) -> Option<AbortListener> {
        let closure = Closure::<dyn FnMut()>::new(f);
        let callback: Function = closure.as_ref().unchecked_ref::<Function>().clone();
        let mut listener = AbortListener::add(signal, callback)?;
        listener._closure = Some(closure);
        Some(listener)
    }
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", &self.callback);
    }
}

/// Sleep `d` on a JS timer; ends early with [`Error::Cancelled`] when `cancel` fires (the
/// timer is cleared then).
pub(crate) async fn sleep(d: Duration, cancel: Option<&CancelToken>) -> Result<()> {
    if cancel.is_some_and(CancelToken::is_cancelled) {
        return Err(Error::Cancelled("aborted".into()));
    }
    let ms = i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
    let mut handle = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| handle = set_timeout(&resolve, ms));
    let timer = JsFuture::from(promise);
    let Some(token) = cancel else {
        let _ = timer.await;
        return Ok(());
    };
    let fired = token.cancelled();
    futures::pin_mut!(timer, fired);
    match futures::future::select(timer, fired).await {
        futures::future::Either::Left(_) => Ok(()),
        futures::future::Either::Right(_) => {
            clear_timeout(&handle);
            Err(Error::Cancelled("aborted while waiting to retry".into()))
        }
    }
}

/// Resolves when `signal` fires (never, without a signal). Dropping the future removes its
/// listener.
pub(crate) async fn aborted(signal: Option<AbortSignal>) -> Error {
    let Some(signal) = signal else {
        return futures::future::pending().await;
    };
    if signal.aborted() {
        return Error::Cancelled("aborted by the caller".into());
    }
    let mut listener = None;
    let promise = Promise::new(&mut |resolve, _reject| {
        listener = AbortListener::add(&signal, resolve);
    });
    let _ = JsFuture::from(promise).await;
    drop(listener);
    Error::Cancelled("aborted by the caller".into())
}

/// `fetch` as the protocols' [`HttpClient`](super::http::HttpClient): the caller's `fetch`
/// function, or the global one.
pub(crate) struct Fetch {
    fetch: Option<Function>,
}

impl Fetch {
    pub(crate) fn new(fetch: Option<Function>) -> Fetch {
        Fetch { fetch }
    }
}

/// A fetch response body; dropping it drops the guard, which aborts the fetch.
struct FetchBody {
    guard: AbortGuard,
    reader: Option<BodyReader>,
}

impl super::http::HttpBody for FetchBody {
    fn read_into<'a>(
        &'a mut self,
        buf: &'a mut Vec<u8>,
    ) -> futures::future::LocalBoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            match &self.reader {
                Some(r) => r.next_into(&self.guard, buf).await,
                None => Ok(false),
            }
        })
    }
}

impl super::http::HttpClient for Fetch {
    fn post<'a>(
        &'a self,
        request: super::http::HttpRequest,
        opts: &'a super::CallOptions,
    ) -> futures::future::LocalBoxFuture<'a, Result<super::http::HttpResponse>> {
        Box::pin(async move {
            let guard = AbortGuard::new(opts.cancel.as_ref(), opts.timeout)?;
            let body = Uint8Array::from(request.body.as_slice());
            let resp = post(
                self.fetch.as_ref(),
                &request.url,
                &request.headers,
                &body,
                &guard,
            )
            .await?;
            let headers = response_headers(&resp);
            let reader = BodyReader::new(&resp, &guard)?;
            Ok(super::http::HttpResponse {
                status: resp.status(),
                headers,
                body: Box::new(FetchBody { guard, reader }),
            })
        })
    }
}

/// The fields of a fetch response's head.
fn response_headers(resp: &Response) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if let Ok(Some(it)) = js_sys::try_iter(&resp.headers()) {
        for entry in it.flatten() {
            let entry: js_sys::Array = entry.unchecked_into();
            if let (Some(k), Some(v)) = (entry.get(0).as_string(), entry.get(1).as_string()) {
                pairs.push((k, v));
            }
        }
    }
    pairs
}
