//! The seam between the protocols and the network: one POST, its head, and its body read
//! chunk by chunk. The gateway and gRPC-web protocols (`transport::wire`) are written against
//! [`HttpClient`] only; in wasm it is `fetch` (the global one, or the caller's), natively it is
//! whatever client the caller plugs in (`TransportConfig::http`, `OmniClientBuilder::http_client`) — the crate's own
//! tests run the same protocol code over real HTTP against omni-sim that way.

use std::fmt;
use std::rc::Rc;

use futures::future::LocalBoxFuture;

use super::CallOptions;
use crate::Result;

/// One request: always a `POST` of `body` to `url` with `headers` (lower-case names).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The full URL.
    pub url: String,
    /// Header names (lower case) and values, in order; signatures are among them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // header values carry signatures and tokens: names only
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The body of a response, read as it arrives.
pub trait HttpBody {
    /// Appends the next chunk of the body to `buf`; `Ok(false)` at its end (nothing appended).
    ///
    /// # Errors
    /// The connection failed or was cut ([`crate::Error::Transport`]), or the call was
    /// cancelled or timed out ([`crate::Error::Cancelled`]).
    fn read_into<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> LocalBoxFuture<'a, Result<bool>>;
}

/// A response: status, head and the body still to read. Dropping it ends the exchange.
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Box<dyn HttpBody>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The whole rest of the body.
    ///
    /// # Errors
    /// As [`HttpBody::read_into`].
    pub async fn read_all(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while self.body.read_into(&mut out).await? {}
        Ok(out)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Sends the protocols' requests.
pub trait HttpClient {
    /// POSTs `request` and resolves once the response head has arrived. The client honours
    /// `opts` for the whole exchange, body included (its timeout and cancellation end the
    /// call with [`crate::Error::Cancelled`]); dropping the response ends the exchange.
    ///
    /// # Errors
    /// No response ([`crate::Error::Transport`]), or cancelled ([`crate::Error::Cancelled`]).
    /// An HTTP error status is a response, not an error: the protocols read its body.
    fn post<'a>(
        &'a self,
        request: HttpRequest,
        opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<HttpResponse>>;
}

/// A shared [`HttpClient`].
pub type SharedHttpClient = Rc<dyn HttpClient>;
