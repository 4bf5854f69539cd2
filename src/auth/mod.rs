//! Keys and `siderov1` request signing.
//!
//! Omni authenticates every call by a signature over a small JSON payload that binds the gRPC
//! method, the time and a fixed set of metadata entries (`x-sidero-payload`), made with a key
//! the server knows (`PublicKeys.omni.sidero.dev`, id = key id). This module owns:
//!
//! - [`Signer`]: anything that can sign bytes, with an identity, a key id and a validity window.
//!   Implementations: `PgpKey` (feature `full`; omnictl keys and service accounts) and
//!   [`EcdsaKey`] (WebCrypto ECDSA P-256 in wasm, the web UI's key type).
//! - [`sign_grpc`] / [`sign_http`]: add the `x-sidero-*` entries to a request.
//! - [`Metadata`]: the ordered, case-normalised metadata map transports send.
//! - [`SkewClock`]: learn the server's clock from `Date` headers.
//!
//! Nothing here reads a clock: every function that needs the time takes `now` (Unix seconds).

use std::rc::Rc;

use base64::Engine as _;
use futures::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

mod clock;
mod ecdsa;
mod metadata;
mod payload;
#[cfg(feature = "full")]
mod pgp;

pub use clock::{parse_http_date, SkewClock};
pub use ecdsa::EcdsaKey;
pub use metadata::Metadata;
pub use payload::{
    grpc_payload, PAYLOAD_HEADER, SIGNATURE_HEADER, SIGNATURE_VERSION, SIGNED_HEADERS,
    TIMESTAMP_HEADER,
};
#[cfg(feature = "full")]
pub use pgp::{
    PgpKey, ServiceAccountKey, INFRA_PROVIDER_PREFIX, INFRA_PROVIDER_SUFFIX, SERVICE_ACCOUNT_SUFFIX,
};

/// Seconds in an hour.
const HOUR: u32 = 3600;

/// Default lifetime of a generated OpenPGP user key (omnictl: 4 h).
pub const USER_KEY_LIFETIME_SECS: u32 = 4 * HOUR;
/// Longest lifetime Omni accepts for a user key (PGP or ECDSA): 8 h.
pub const MAX_USER_KEY_LIFETIME_SECS: u32 = 8 * HOUR;
/// Default lifetime of a generated service-account key (omnictl `--ttl`: 365 days).
pub const SERVICE_ACCOUNT_KEY_LIFETIME_SECS: u32 = 365 * 24 * HOUR;
/// Longest lifetime Omni accepts for a service-account key: 365 days.
pub const MAX_SERVICE_ACCOUNT_KEY_LIFETIME_SECS: u32 = 365 * 24 * HOUR;
/// Default lifetime of a generated ECDSA key (the web UI: 7 h 50 min).
pub const ECDSA_KEY_LIFETIME_SECS: u32 = 7 * HOUR + 50 * 60;
/// Clock skew tolerated for a key's start of validity (Omni allows ±5 minutes).
pub const ALLOWED_CLOCK_SKEW_SECS: i64 = 300;

/// Something that signs `siderov1` payloads.
///
/// Signing is asynchronous because WebCrypto is; futures are not `Send` (wasm).
pub trait Signer {
    /// The identity written into the signature header (user e-mail, or the service-account
    /// name). Never contains spaces.
    fn identity(&self) -> &str;

    /// The key id the server looks the public key up by (PGP fingerprint, lower-case hex; or
    /// base64url SHA-256 of the ECDSA point).
    fn key_id(&self) -> &str;

    /// Start of validity (Unix seconds), when known.
    fn not_before(&self) -> Option<i64>;

    /// End of validity (Unix seconds); `None` if the key never expires.
    fn not_after(&self) -> Option<i64>;

    /// Sign `payload`; `now` is the signature time (Unix seconds).
    fn sign<'a>(&'a self, payload: &'a [u8], now: i64) -> LocalBoxFuture<'a, Result<Vec<u8>>>;

    /// `Err(Error::Key)` unless the key is usable at `now`.
    ///
    /// A key is refused from its expiry on (renew it), and before its start minus
    /// [`ALLOWED_CLOCK_SKEW_SECS`].
    fn check_valid_at(&self, now: i64) -> Result<()> {
        check_window(self.not_before(), self.not_after(), now)
    }

    /// Whether the key should be replaced at `now`: it expires within `margin_secs` (or has
    /// expired). Keys that never expire are never due. Omni cannot extend a key, so renewing is
    /// registering a new one (and having it confirmed) before this one stops signing.
    fn renewal_due(&self, now: i64, margin_secs: i64) -> bool {
        self.not_after()
            .is_some_and(|end| now.saturating_add(margin_secs.max(0)) >= end)
    }
}

/// How long before its expiry a person's key is renewed by default: 30 minutes (Omni's keys
/// live at most 8 hours).
pub const DEFAULT_RENEWAL_MARGIN_SECS: i64 = 30 * 60;

/// A signer shared by clients and handles.
pub type SharedSigner = Rc<dyn Signer>;

pub(crate) fn check_window(
    not_before: Option<i64>,
    not_after: Option<i64>,
    now: i64,
) -> Result<()> {
    if let Some(nb) = not_before {
        if now.saturating_add(ALLOWED_CLOCK_SKEW_SECS) < nb {
            return Err(Error::Key(format!(
                "key is not valid yet (valid from {nb}, now {now})"
            )));
        }
    }
    if let Some(na) = not_after {
        if now >= na {
            return Err(Error::Key(format!(
                "key expired at {na} (now {now}); generate or register a new key"
            )));
        }
    }
    Ok(())
}

fn check_header_field(what: &str, value: &str) -> Result<()> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidArgument(format!(
            "{what} must be non-empty printable ASCII without spaces: {value:?}"
        )));
    }
    Ok(())
}

/// `siderov1 <identity> <key-id> <base64 signature>`.
pub fn signature_header(identity: &str, key_id: &str, signature: &[u8]) -> Result<String> {
    check_header_field("identity", identity)?;
    check_header_field("key id", key_id)?;
    let sig = base64::engine::general_purpose::STANDARD.encode(signature);
    Ok(format!("{SIGNATURE_VERSION} {identity} {key_id} {sig}"))
}

/// Sign a gRPC call: set `x-sidero-timestamp`, `x-sidero-payload` and `x-sidero-signature` in
/// `metadata` for the full method path `method` (e.g. `/cosi.resource.State/List`; over the
/// gateway, the URL path without `/api`).
///
/// Stale payload/signature entries are removed first, so a request can be re-signed (retries).
/// `now` is the server's time estimate in Unix seconds (see [`SkewClock`]).
///
/// # Errors
///
/// [`Error::Key`] if the key is expired or not yet valid, or signing fails;
/// [`Error::InvalidArgument`] for a bad method or identity.
pub async fn sign_grpc(
    signer: &dyn Signer,
    method: &str,
    metadata: &mut Metadata,
    now: i64,
) -> Result<()> {
    if !method.starts_with('/') || !method.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidArgument(format!(
            "gRPC method must be a path like /pkg.Service/Method: {method:?}"
        )));
    }
    check_header_field("identity", signer.identity())?;
    signer.check_valid_at(now)?;
    metadata.set(TIMESTAMP_HEADER, now.to_string());
    metadata.remove(PAYLOAD_HEADER);
    metadata.remove(SIGNATURE_HEADER);
    let payload = grpc_payload(method, metadata)?;
    let signature = signer.sign(&payload, now).await?;
    let header = signature_header(signer.identity(), signer.key_id(), &signature)?;
    let payload = String::from_utf8(payload)
        .map_err(|_| Error::InvalidArgument("signature payload is not UTF-8".into()))?;
    metadata.set(PAYLOAD_HEADER, payload);
    metadata.set(SIGNATURE_HEADER, header);
    Ok(())
}

/// The request URI (path + query) the HTTP signature covers; accepts a full URL too.
fn request_uri(uri: &str) -> String {
    let uri = uri.split('#').next().unwrap_or_default();
    let rest = match uri.find("://") {
        Some(i) => {
            let after = uri.get(i + 3..).unwrap_or_default();
            match after.find(['/', '?']) {
                Some(j) => after.get(j..).unwrap_or_default(),
                None => "",
            }
        }
        None => uri,
    };
    if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    }
}

/// The bytes an HTTP `siderov1` signature covers:
/// `<METHOD>\n<request URI>\n<now>\n<hex sha256(body)>`.
pub fn http_payload(method: &str, uri: &str, body: &[u8], now: i64) -> Vec<u8> {
    let digest = Sha256::digest(body);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    format!(
        "{}\n{}\n{now}\n{hex}",
        method.to_ascii_uppercase(),
        request_uri(uri)
    )
    .into_bytes()
}

/// Sign a plain HTTP request (go-api-signature `message.HTTP`, used for image-factory
/// downloads; Omni's API does not need it). Returns the headers to add:
/// `x-sidero-timestamp` and `x-sidero-signature`.
///
/// `uri` is the request URI (path + query) or a full URL, from which path and query are taken.
///
/// # Errors
///
/// As [`sign_grpc`].
pub async fn sign_http(
    signer: &dyn Signer,
    method: &str,
    uri: &str,
    body: &[u8],
    now: i64,
) -> Result<Vec<(String, String)>> {
    check_header_field("HTTP method", method)?;
    check_header_field("identity", signer.identity())?;
    signer.check_valid_at(now)?;
    let payload = http_payload(method, uri, body, now);
    let signature = signer.sign(&payload, now).await?;
    let header = signature_header(signer.identity(), signer.key_id(), &signature)?;
    Ok(vec![
        (TIMESTAMP_HEADER.to_string(), now.to_string()),
        (SIGNATURE_HEADER.to_string(), header),
    ])
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use std::cell::RefCell;

    /// A fake signer that records what it signed and returns fixed bytes.
    struct Fake {
        seen: RefCell<Vec<Vec<u8>>>,
        not_after: Option<i64>,
    }

    impl Signer for Fake {
        fn identity(&self) -> &str {
            "automation"
        }
        fn key_id(&self) -> &str {
            "0123456789abcdef0123456789abcdef01234567"
        }
        fn not_before(&self) -> Option<i64> {
            Some(1_000)
        }
        fn not_after(&self) -> Option<i64> {
            self.not_after
        }
        fn sign<'a>(&'a self, payload: &'a [u8], _now: i64) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
            self.seen.borrow_mut().push(payload.to_vec());
            Box::pin(async { Ok(vec![1, 2, 3, 250]) })
        }
    }

    fn fake() -> Fake {
        Fake {
            seen: RefCell::new(Vec::new()),
            not_after: Some(2_000_000_000),
        }
    }

    #[test]
    fn auth_sign_grpc_sets_headers_and_signs_the_golden_payload() {
        let f = fake();
        let mut md = Metadata::new();
        md.set(PAYLOAD_HEADER, "stale");
        md.set(SIGNATURE_HEADER, "stale");
        md.set(TIMESTAMP_HEADER, "1");
        block_on(sign_grpc(
            &f,
            "/cosi.resource.State/List",
            &mut md,
            1767225600,
        ))
        .unwrap();
        let golden = r#"{"headers":{"authorization":null,"cluster":null,"context":null,"fieldSelectors":null,"namespace":null,"nodes":null,"runtime":null,"selectors":null,"uid":null,"x-sidero-timestamp":["1767225600"]},"method":"/cosi.resource.State/List"}"#;
        assert_eq!(f.seen.borrow().as_slice(), [golden.as_bytes().to_vec()]);
        assert_eq!(md.get(TIMESTAMP_HEADER).unwrap(), ["1767225600"]);
        assert_eq!(md.get(PAYLOAD_HEADER).unwrap(), [golden]);
        assert_eq!(
            md.get(SIGNATURE_HEADER).unwrap(),
            ["siderov1 automation 0123456789abcdef0123456789abcdef01234567 AQID+g=="]
        );
        // Exactly four space-separated fields.
        assert_eq!(md.first(SIGNATURE_HEADER).unwrap().split(' ').count(), 4);
    }

    #[test]
    fn auth_sign_grpc_refuses_expired_keys_and_bad_methods() {
        let f = Fake {
            not_after: Some(5_000),
            ..fake()
        };
        let mut md = Metadata::new();
        let err = block_on(sign_grpc(&f, "/a.B/C", &mut md, 5_000)).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{err}");
        let err = block_on(sign_grpc(&f, "/a.B/C", &mut md, 1_000 - 301)).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{err}");
        block_on(sign_grpc(&f, "/a.B/C", &mut md, 1_000 - 300)).unwrap();
        let err = block_on(sign_grpc(&f, "a.B/C", &mut md, 2_000)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(f.seen.borrow().len() == 1);
    }

    #[test]
    fn auth_sign_http_payload_and_headers() {
        let f = fake();
        let headers = block_on(sign_http(
            &f,
            "get",
            "https://factory.talos.dev/image/abc/v1.9.0/metal-amd64.iso?x=1#frag",
            b"",
            1767225600,
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(f.seen.borrow()[0].clone()).unwrap(),
            "GET\n/image/abc/v1.9.0/metal-amd64.iso?x=1\n1767225600\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(headers[0], (TIMESTAMP_HEADER.into(), "1767225600".into()));
        assert!(headers[1].1.starts_with("siderov1 automation "));
        assert_eq!(request_uri("https://h"), "/");
        assert_eq!(request_uri("https://h?q"), "/?q");
        assert_eq!(request_uri("/p?q"), "/p?q");
    }

    #[test]
    fn auth_signature_header_rejects_spaces() {
        assert!(signature_header("a b", "k", b"x").is_err());
        assert!(signature_header("a", "", b"x").is_err());
    }
}
