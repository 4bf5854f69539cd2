//! Structured template errors (the types live in [`crate::template`], which the client shares):
//! constructors with a document and a position.

pub(crate) use super::api::multi;
pub use super::api::{Stage, TemplateError, TemplateErrors};

impl TemplateError {
    pub(crate) fn new(message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
            document: None,
            line: None,
            column: None,
        }
    }

    pub(crate) fn at(
        message: impl Into<String>,
        document: Option<usize>,
        pos: Option<crate::goyaml::node::Pos>,
    ) -> TemplateError {
        TemplateError {
            message: message.into(),
            document,
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.col),
        }
    }
}

impl TemplateErrors {
    pub(crate) fn one(stage: Stage, e: TemplateError) -> TemplateErrors {
        TemplateErrors {
            stage,
            errors: vec![e],
        }
    }
}
