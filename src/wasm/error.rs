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
    err.into()
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

/// Serialize a Rust value into a plain JS object (maps as objects, not `Map`).
pub(crate) fn to_value<T: serde::Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&ser)
        .map_err(|e| to_js(&Error::Decode(format!("to JS: {e}"))))
}

/// Deserialize a JS value (plain object) into a Rust value. Top-level keys whose value is
/// `undefined` are treated as absent (`{ dryRun: undefined }` means "not given").
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    v: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    let v = without_undefined(v);
    serde_wasm_bindgen::from_value(v).map_err(|e| invalid(format!("{what}: {e}")))
}

fn without_undefined(v: JsValue) -> JsValue {
    use wasm_bindgen::JsCast as _;
    if js_sys::Array::is_array(&v) || v.is_function() {
        return v;
    }
    let Some(obj) = v.dyn_ref::<js_sys::Object>() else {
        return v;
    };
    let entries = js_sys::Object::entries(obj);
    if !entries
        .iter()
        .any(|e| js_sys::Array::from(&e).get(1).is_undefined())
    {
        return v;
    }
    let copy = js_sys::Object::new();
    for e in entries.iter() {
        let pair = js_sys::Array::from(&e);
        let value = pair.get(1);
        if !value.is_undefined() {
            let _ = js_sys::Reflect::set(&copy, &pair.get(0), &value);
        }
    }
    copy.into()
}
