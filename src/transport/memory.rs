//! The in-memory transport: calls a Rust closure with the request as protojson.
//!
//! It plays the role `tower_test` plays for kube: unit tests assert on the exact method,
//! metadata (including signatures) and request body, with no server.

use std::rc::Rc;

use serde::Serialize;

use crate::auth::Metadata;
use crate::{Error, Result};

/// What a memory handler answers: the response messages as protojson values (one for unary
/// calls, any number for streams), or an error.
pub type MemoryReply = Result<Vec<serde_json::Value>>;

/// The handler behind [`super::Protocol::Memory`]: `(method, metadata, request JSON)`.
pub type MemoryHandler = Rc<dyn Fn(&str, &Metadata, serde_json::Value) -> MemoryReply>;

pub(super) fn call<Req: Serialize>(
    handler: &MemoryHandler,
    method: &str,
    md: &Metadata,
    request: &Req,
) -> Result<Vec<serde_json::Value>> {
    let body = serde_json::to_value(request)
        .map_err(|e| Error::InvalidArgument(format!("{method} request: {e}")))?;
    handler(method, md, body)
}
