//! omni-wasm: drive a Sidero Labs Omni instance from WebAssembly.
//!
//! # Feature flags
//!
//! - `templates`: cluster templates only (validate, render, diff, export); no transport, no crypto.
//! - `browser`: protobuf types, transports (gateway, gRPC-web), WebCrypto ECDSA keys; the client's
//!   template calls go through a [`template::TemplateEngine`] (without `templates`, only its
//!   interface is compiled).
//! - `full` (default): `browser` + OpenPGP keys (service accounts, omnictl keys); in wasm also
//!   the config-file exports (kubeconfig/talosconfig merges, omniconfig editing) that the CLI
//!   and Node scripts use.
//! - `cli` (default): the `omni-wasm` command line, omnictl's commands on a `cli::Host`; its
//!   wasm is a Node-only build of its own (the npm bin), never part of `full`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![warn(missing_docs)]

pub mod error;
#[cfg(feature = "browser")]
pub(crate) mod gopath;
#[cfg(any(feature = "templates", feature = "browser"))]
pub(crate) mod goyaml;
/// Cluster templates: the engine (feature `templates`) and the interface the client uses.
#[cfg(feature = "templates")]
pub mod template;
/// Cluster templates: only the interface the client uses (this build has no engine).
#[cfg(not(feature = "templates"))]
#[path = "template/api.rs"]
pub mod template;

#[cfg(feature = "browser")]
pub mod auth;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "browser")]
pub mod client;
#[cfg(feature = "browser")]
pub mod config;
pub(crate) mod order;
#[cfg(feature = "browser")]
pub mod proto;
#[cfg(feature = "browser")]
pub mod resource;
#[cfg(any(feature = "templates", feature = "browser"))]
pub(crate) mod semver;
#[cfg(feature = "browser")]
pub(crate) mod time;
#[cfg(feature = "browser")]
pub mod transport;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Code, Error, Result};

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
