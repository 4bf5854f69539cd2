//! What a gRPC-web failure means. `tonic` turns every error of the fetch client into a status
//! with code `Unknown` whose source is the client's own error; that source tells a network
//! failure (worth retrying) from a body that is not gRPC-web (not worth it) from a real status.

use crate::{Code, Error};

/// The library error for a status a gRPC-web call ended with.
pub(super) fn error_of(status: &tonic::Status) -> Error {
    match client_error(status) {
        Some(e) => classify(e),
        None => Error::status(Code::from_i32(status.code() as i32), status.message()),
    }
}

/// The fetch client's error behind `status`, if it came from there.
fn client_error(status: &tonic::Status) -> Option<&tonic_web_wasm_client::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(e) = source {
        if let Some(found) = e.downcast_ref::<tonic_web_wasm_client::Error>() {
            return Some(found);
        }
        source = e.source();
    }
    None
}

fn classify(e: &tonic_web_wasm_client::Error) -> Error {
    use tonic_web_wasm_client::Error as W;
    match e {
        // fetch itself failed: network, DNS, TLS, CORS, connection reset
        W::JsError(m) => Error::Transport(format!("fetch failed: {m}")),
        // an answer that is not gRPC-web: typically a proxy's error page (502/503), so a
        // transient transport failure; the message says what to check when it is not
        W::InvalidContentType(ct) => Error::Transport(format!(
            "the server did not answer gRPC-web (content-type {ct:?}); is a gRPC-web proxy in front of Omni?"
        )),
        W::MissingContentTypeHeader | W::MissingResponseBody => {
            Error::Transport(format!("the server did not answer gRPC-web: {e}"))
        }
        W::TonicStatusError(s) => Error::status(Code::from_i32(s.code() as i32), s.message()),
        // a gRPC-web answer that does not parse: retrying gets the same bytes
        other => Error::Decode(format!("gRPC-web response: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_web_wasm_client::Error as W;

    fn through_tonic(e: W) -> tonic::Status {
        // what tonic does with a transport service's error
        tonic::Status::from_error(Box::new(e))
    }

    #[test]
    fn network_failures_are_retryable_transport_errors() {
        let e = error_of(&through_tonic(W::JsError(
            "TypeError: Failed to fetch".into(),
        )));
        assert!(matches!(e, Error::Transport(_)), "{e:?}");
        assert!(e.is_retryable());
        // (the old classification looked for "fetch" in the text; this one does not need it)
        let e = error_of(&through_tonic(W::JsError("NetworkError".into())));
        assert!(e.is_retryable(), "{e:?}");
    }

    #[test]
    fn malformed_bodies_are_not_retried() {
        for w in [W::MalformedResponse, W::HeaderParsingError] {
            let e = error_of(&through_tonic(w));
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
            assert!(!e.is_retryable(), "{e:?}");
        }
    }

    #[test]
    fn a_proxy_page_says_what_to_check() {
        let e = error_of(&through_tonic(W::InvalidContentType("text/html".into())));
        assert!(e.to_string().contains("gRPC-web proxy"), "{e}");
        assert!(e.is_retryable());
    }

    #[test]
    fn server_statuses_keep_their_code_even_with_fetch_in_the_text() {
        let s = tonic::Status::unknown("could not fetch the machine config");
        let e = error_of(&s);
        assert_eq!(e.code(), Code::Unknown, "{e:?}");
        let e = error_of(&tonic::Status::permission_denied("no"));
        assert_eq!(e.code(), Code::PermissionDenied);
        let e = error_of(&through_tonic(W::TonicStatusError(
            tonic::Status::deadline_exceeded("Request timed out"),
        )));
        assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
    }
}
