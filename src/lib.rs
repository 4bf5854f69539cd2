//! omni-wasm: drive a Sidero Labs Omni instance from WebAssembly.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(feature = "browser")]
pub mod proto;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
