//! Structured template errors: upstream's text plus document index and position.

use std::fmt;

/// One template error: upstream's message plus where it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// The message, exactly as upstream words it (may span several lines for nested lists).
    pub message: String,
    /// Zero-based index of the YAML document the error belongs to, when it belongs to one.
    pub document: Option<usize>,
    /// 1-based line in the template text.
    pub line: Option<u32>,
    /// 1-based column in the template text.
    pub column: Option<u32>,
}

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

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// The stage an error list comes from; decides how it prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Loading (parsing/decoding): a single error, printed as is.
    Load,
    /// Validation: printed as upstream's `N errors occurred:` list.
    Validate,
    /// Translation (render): printed as a list.
    Render,
    /// Export: a single error.
    Export,
}

/// All errors of one operation, in upstream's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateErrors {
    /// Where the errors come from.
    pub stage: Stage,
    /// The errors, in upstream's order.
    pub errors: Vec<TemplateError>,
}

impl TemplateErrors {
    pub(crate) fn one(stage: Stage, e: TemplateError) -> TemplateErrors {
        TemplateErrors {
            stage,
            errors: vec![e],
        }
    }
}

/// Formats a list of error texts as hashicorp go-multierror does.
pub(crate) fn multi<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = if items.len() == 1 {
        "1 error occurred:\n".to_string()
    } else {
        format!("{} errors occurred:\n", items.len())
    };
    for it in items {
        out.push_str("\t* ");
        out.push_str(it.as_ref());
        out.push('\n');
    }
    out.push('\n');
    out
}

impl fmt::Display for TemplateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Stage::Load | Stage::Export if self.errors.len() == 1 => {
                f.write_str(self.errors.first().map_or("", |e| e.message.as_str()))
            }
            _ => {
                let texts: Vec<&str> = self.errors.iter().map(|e| e.message.as_str()).collect();
                f.write_str(&multi(&texts))
            }
        }
    }
}

impl std::error::Error for TemplateErrors {}
