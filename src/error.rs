//! One error type for everything that talks to Omni, with a gRPC code.

use std::fmt;

/// The 17 gRPC status codes, as Omni (and every gRPC server) uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// Not an error.
    Ok = 0,
    /// The operation was cancelled (by the caller, usually).
    Cancelled = 1,
    /// Unknown error.
    Unknown = 2,
    /// The request was invalid (validation, bad selector, unknown JSON field, ...).
    InvalidArgument = 3,
    /// The deadline expired.
    DeadlineExceeded = 4,
    /// The resource (or user, machine, ...) does not exist.
    NotFound = 5,
    /// The resource already exists (or a ResourceService version conflict).
    AlreadyExists = 6,
    /// The caller may not do this (role, owner conflict, ...).
    PermissionDenied = 7,
    /// Throttled.
    ResourceExhausted = 8,
    /// The system is not in the state the operation needs (COSI version conflict, pending finalizers, ...).
    FailedPrecondition = 9,
    /// Aborted.
    Aborted = 10,
    /// Out of range.
    OutOfRange = 11,
    /// Not implemented by the server.
    Unimplemented = 12,
    /// Internal server error.
    Internal = 13,
    /// The server (or the network to it) is unavailable; safe to retry reads.
    Unavailable = 14,
    /// Unrecoverable data loss.
    DataLoss = 15,
    /// No valid signature.
    Unauthenticated = 16,
}

impl Code {
    /// Every code, in numeric order.
    pub const ALL: [Code; 17] = [
        Code::Ok,
        Code::Cancelled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    /// The code for a numeric gRPC status; unknown numbers map to [`Code::Unknown`].
    pub fn from_i32(n: i32) -> Code {
        usize::try_from(n)
            .ok()
            .and_then(|i| Code::ALL.get(i).copied())
            .unwrap_or(Code::Unknown)
    }

    /// The numeric gRPC status.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The canonical upper-case name (`NOT_FOUND`), as gRPC and the TypeScript API spell it.
    pub fn name(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::DataLoss => "DATA_LOSS",
            Code::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// The code grpc-gateway derives from an HTTP status when the body carries none.
    pub fn from_http_status(status: u16) -> Code {
        match status {
            200 => Code::Ok,
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::AlreadyExists,
            429 => Code::ResourceExhausted,
            499 => Code::Cancelled,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ => Code::Unknown,
        }
    }

    /// The HTTP status grpc-gateway answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Code::Ok => 200,
            Code::Cancelled => 499,
            Code::Unknown | Code::Internal | Code::DataLoss => 500,
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong in omni-wasm.
///
/// `Display` never contains key material or signed payloads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-OK gRPC status.
    #[error("{code}: {message}")]
    Status {
        /// The gRPC code.
        code: Code,
        /// The server's message.
        message: String,
        /// For version conflicts: the version the server holds now, when known.
        current_version: Option<String>,
    },
    /// No usable answer: fetch failed, stream cut, the body was not what the protocol says.
    #[error("transport: {0}")]
    Transport(String),
    /// The call was cancelled by an `AbortSignal` or a timeout.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// A key could not be loaded or used (never includes the key itself).
    #[error("key: {0}")]
    Key(String),
    /// Bad input from the caller (options, YAML, selector, endpoint, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A spec or message did not decode.
    #[error("decode: {0}")]
    Decode(String),
    /// A cluster template that does not load, validate or render: every problem, with the
    /// document, line and column it is at (code `InvalidArgument`).
    #[error("{0}")]
    Template(crate::template::TemplateErrors),
}

impl Error {
    /// A status error with `code` and `message`.
    pub fn status(code: Code, message: impl Into<String>) -> Self {
        Error::Status {
            code,
            message: message.into(),
            current_version: None,
        }
    }

    /// The gRPC code of this error.
    pub fn code(&self) -> Code {
        match self {
            Error::Status { code, .. } => *code,
            Error::Transport(_) => Code::Unavailable,
            Error::Cancelled(_) => Code::Cancelled,
            Error::Key(_) => Code::Unauthenticated,
            Error::InvalidArgument(_) => Code::InvalidArgument,
            Error::Decode(_) => Code::Internal,
            Error::Template(_) => Code::InvalidArgument,
        }
    }

    /// The error as upstream wraps it into its own messages (Go's `%w`): an invalid
    /// argument's own text, anything else as displayed.
    #[cfg(feature = "browser")]
    pub(crate) fn reason(&self) -> String {
        match self {
            Error::InvalidArgument(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// Safe to retry for reads and watches. Writes are never retried blindly.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code(), Code::Unavailable)
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_numbers_and_http() {
        for c in Code::ALL {
            assert_eq!(Code::from_i32(c.as_i32()), c);
        }
        assert_eq!(Code::from_i32(99), Code::Unknown);
        assert_eq!(Code::FailedPrecondition.http_status(), 400);
        assert_eq!(Code::from_http_status(401), Code::Unauthenticated);
    }
}
