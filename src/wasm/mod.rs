//! The thin `#[wasm_bindgen]` facade: converts between JS and the core, never decides.
//!
//! Only compiled for `wasm32`; everything here calls into the pure core.

use wasm_bindgen::prelude::*;

/// The library version (the crate's and the npm package's).
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Which optional parts this build contains: `"templates"`, `"browser"` or `"full"`.
#[wasm_bindgen(js_name = buildFlavor)]
pub fn build_flavor() -> String {
    if cfg!(feature = "full") {
        "full"
    } else if cfg!(feature = "browser") {
        "browser"
    } else {
        "templates"
    }
    .to_string()
}

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "browser")]
mod client;
#[cfg(feature = "full")]
mod config;
#[cfg(feature = "browser")]
mod engine;
mod error;
#[cfg(feature = "browser")]
mod management;
#[cfg(feature = "browser")]
mod signer;
#[cfg(feature = "templates")]
mod template;
