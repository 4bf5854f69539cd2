//! go-yaml compatible YAML: the positioned parser, scalar rules and byte-exact emitter of the
//! template module, shared here.

pub(crate) use crate::template::{emit, node, scalar};
