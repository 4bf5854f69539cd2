//! Errors crossing into JS: an `Error` named `OmniError` with `.code` (gRPC code name),
//! `.grpcCode` (number) and, for version conflicts, `.currentVersion`.

use wasm_bindgen::JsValue;

use crate::Error;

/// Convert a core error into the JS `OmniError` the package documents.
pub(crate) fn to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("OmniError");
    let obj: &JsValue = err.as_ref();
    let _ = js_sys::Reflect::set(obj, &"code".into(), &e.code().name().into());
    let _ = js_sys::Reflect::set(obj, &"grpcCode".into(), &e.code().as_i32().into());
    if let Error::Status {
        current_version: Some(v),
        ..
    } = e
    {
        let _ = js_sys::Reflect::set(obj, &"currentVersion".into(), &v.as_str().into());
    }
    // a template's problems, each with where it is (as `TemplateError.errors`)
    if let Error::Template(t) = e {
        if let Ok(list) = to_value(&issues(t)) {
            let _ = js_sys::Reflect::set(obj, &"errors".into(), &list);
        }
    }
    err.into()
}

/// One template problem, with where it is (unknown positions are absent, as the
/// declarations' optional fields say, not `null`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Issue {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
}

pub(crate) fn issues(e: &crate::template::TemplateErrors) -> Vec<Issue> {
    e.errors
        .iter()
        .map(|x| Issue {
            message: x.message.clone(),
            document: x.document,
            line: x.line,
            column: x.column,
        })
        .collect()
}

/// `Result` adapter for `#[wasm_bindgen]` functions.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(crate) fn js<T>(r: crate::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| to_js(&e))
}

/// An `OmniError` with code `INVALID_ARGUMENT` for bad input from JS.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(crate) fn invalid(msg: impl Into<String>) -> JsValue {
    to_js(&Error::InvalidArgument(msg.into()))
}

/// Serialize a Rust value into a plain JS value: one JSON text handed to the engine's
/// `JSON.parse` (one boundary crossing, instead of building the object property by property).
pub(crate) fn to_value<T: serde::Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text =
        serde_json::to_string(v).map_err(|e| to_js(&Error::Decode(format!("to JS: {e}"))))?;
    js_sys::JSON::parse(&text).map_err(|_| to_js(&Error::Decode("to JS: invalid JSON".into())))
}

/// Deserialize a JS value (plain data) into a Rust value through `JSON.stringify`: keys whose
/// value is `undefined` (and functions, e.g. an `AbortSignal`'s) are absent, as JS callers mean.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    v: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    let text = if v.is_undefined() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(&v)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| invalid(format!("{what}: not JSON-compatible data")))?
    };
    // through a JSON value: its per-type deserializer is the compact one (options are small)
    let value: serde_json::Value =
        serde_json::from_slice(text.as_bytes()).map_err(|e| invalid(format!("{what}: {e}")))?;
    serde_json::from_value(value).map_err(|e| invalid(format!("{what}: {e}")))
}
