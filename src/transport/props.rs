//! Properties of engine objects read and written by fixed names. Each name crosses into the
//! engine once and is kept as a JS string: a watch event reads and writes a dozen properties,
//! and building the key from UTF-8 every time cost more than the reads themselves.

use std::cell::RefCell;

use js_sys::Reflect;
use wasm_bindgen::JsValue;

thread_local! {
    static NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `name` as a JS string.
pub(crate) fn with_name<R>(name: &'static str, f: impl FnOnce(&JsValue) -> R) -> R {
    NAMES.with(|names| {
        if let Ok(cached) = names.try_borrow() {
            if let Some((_, v)) = cached.iter().find(|(k, _)| *k == name) {
                return f(v);
            }
        }
        let v = JsValue::from_str(name);
        let r = f(&v);
        if let Ok(mut cache) = names.try_borrow_mut() {
            cache.push((name, v));
        }
        r
    })
}

/// `obj[name]`; `undefined` when it cannot be read.
pub(crate) fn get(obj: &JsValue, name: &'static str) -> JsValue {
    with_name(name, |k| Reflect::get(obj, k).unwrap_or_default())
}

/// `obj[name] = value`; `false` when it cannot be written.
pub(crate) fn set(obj: &JsValue, name: &'static str, value: &JsValue) -> bool {
    with_name(name, |k| Reflect::set(obj, k, value).unwrap_or(false))
}
