//! go-yaml compatible YAML: the positioned parser, scalar rules and byte-exact emitter that the
//! template module already has.
//!
//! These modules are private to `crate::template`; until it re-exports them as `pub(crate)`,
//! the same files are compiled here a second time through `#[path]`. Replace this file with
//! `pub(crate) use crate::template::{emit, node, scalar};` once that is done.
#![allow(dead_code, unreachable_pub)]

#[path = "../template/emit.rs"]
pub(crate) mod emit;
#[path = "../template/node.rs"]
pub(crate) mod node;
#[path = "../template/scalar.rs"]
pub(crate) mod scalar;
