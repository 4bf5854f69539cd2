//! The in-memory transport: calls a Rust closure with the request as protojson.
//!
//! It plays the role `tower_test` plays for kube: unit tests assert on the exact method,
//! metadata (including signatures) and request body, with no server.

use std::rc::Rc;

use crate::auth::Metadata;
use crate::Result;

/// What a memory handler answers: the response messages as protojson values (one for unary
/// calls, any number for streams), or an error.
pub type MemoryReply = Result<Vec<serde_json::Value>>;

/// The handler behind [`super::Protocol::Memory`]: `(method, metadata, request JSON)`.
pub type MemoryHandler = Rc<dyn Fn(&str, &Metadata, serde_json::Value) -> MemoryReply>;

pub(super) fn call(
    handler: &MemoryHandler,
    method: &str,
    md: &Metadata,
    request: serde_json::Value,
) -> Result<Vec<serde_json::Value>> {
    handler(method, md, request)
}
