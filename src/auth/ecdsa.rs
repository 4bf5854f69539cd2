//! Plain ECDSA P-256 keys, the web UI's key type (`RegisterPublicKey.public_key.plain_key`).
//!
//! In wasm the key is a WebCrypto `CryptoKeyPair` from `globalThis.crypto.subtle` (browsers,
//! Node 20, workerd), non-extractable by default. Natively the `p256` crate stands in, so the
//! same API can be unit-tested.
//!
//! - public key: SPKI, PEM `PUBLIC KEY`, 64-character lines;
//! - key id: base64url (padded) of SHA-256 over the uncompressed point `0x04‖X‖Y`;
//! - signature: ECDSA with SHA-256, raw `r‖s` (64 bytes), as WebCrypto returns it.
//!
//! Service accounts cannot use these keys; user keys live at most 8 hours.

use std::fmt;

use base64::Engine as _;
use futures::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use super::{Signer, ECDSA_KEY_LIFETIME_SECS, MAX_USER_KEY_LIFETIME_SECS};
use crate::{Error, Result};

/// An ECDSA P-256 signing key with its identity and validity window.
pub struct EcdsaKey {
    identity: String,
    key_id: String,
    public_key_pem: String,
    not_before: i64,
    not_after: i64,
    inner: imp::Inner,
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaKey")
            .field("identity", &self.identity)
            .field("key_id", &self.key_id)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn validate_window(not_before: i64, not_after: i64) -> Result<()> {
    if not_before >= not_after {
        return Err(Error::Key(
            "ECDSA key: not_before must be before not_after".into(),
        ));
    }
    if not_after - not_before > i64::from(MAX_USER_KEY_LIFETIME_SECS) {
        return Err(Error::Key(format!(
            "ECDSA key lifetime exceeds Omni's maximum of {MAX_USER_KEY_LIFETIME_SECS} s"
        )));
    }
    Ok(())
}

fn lifetime_window(now: i64, lifetime_secs: Option<u32>) -> Result<(i64, i64)> {
    let lifetime = lifetime_secs.unwrap_or(ECDSA_KEY_LIFETIME_SECS);
    if lifetime == 0 {
        return Err(Error::InvalidArgument(
            "key lifetime must be positive".into(),
        ));
    }
    let window = (now, now.saturating_add(i64::from(lifetime)));
    validate_window(window.0, window.1)?;
    Ok(window)
}

/// base64url (padded) SHA-256 of the uncompressed point.
fn key_id_for_point(point: &[u8]) -> Result<String> {
    if point.len() != 65 || point.first() != Some(&0x04) {
        return Err(Error::Key(
            "ECDSA public key is not an uncompressed P-256 point".into(),
        ));
    }
    Ok(base64::engine::general_purpose::URL_SAFE.encode(Sha256::digest(point)))
}

/// PEM-wrap an SPKI DER public key (64-character lines, trailing newline).
fn spki_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

impl EcdsaKey {
    fn assemble(
        identity: &str,
        point: &[u8],
        spki_der: &[u8],
        not_before: i64,
        not_after: i64,
        inner: imp::Inner,
    ) -> Result<Self> {
        validate_window(not_before, not_after)?;
        Ok(EcdsaKey {
            identity: identity.to_string(),
            key_id: key_id_for_point(point)?,
            public_key_pem: spki_pem(spki_der),
            not_before,
            not_after,
            inner,
        })
    }

    /// The public key as PEM (`PUBLIC KEY`, SPKI): `RegisterPublicKey.public_key.plain_key.key_pem`.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Replace the identity (e.g. once the server returned the canonical e-mail).
    pub fn with_identity(mut self, identity: &str) -> Self {
        self.identity = identity.to_string();
        self
    }
}

impl Signer for EcdsaKey {
    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn not_before(&self) -> Option<i64> {
        Some(self.not_before)
    }

    fn not_after(&self) -> Option<i64> {
        Some(self.not_after)
    }

    fn sign<'a>(&'a self, payload: &'a [u8], _now: i64) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
        Box::pin(self.inner.sign(payload))
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{CryptoKey, CryptoKeyPair, SubtleCrypto};

    use super::EcdsaKey;
    use crate::{Error, Result};

    pub(super) struct Inner {
        pair: CryptoKeyPair,
    }

    fn js_err(what: &str, e: JsValue) -> Error {
        let msg = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| "unknown error".into());
        Error::Key(format!("WebCrypto {what}: {msg}"))
    }

    pub(super) fn subtle() -> Result<SubtleCrypto> {
        let global = js_sys::global();
        let crypto = Reflect::get(&global, &JsValue::from_str("crypto"))
            .map_err(|e| js_err("globalThis.crypto", e))?;
        if crypto.is_undefined() || crypto.is_null() {
            return Err(Error::Key("globalThis.crypto is not available".into()));
        }
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))
            .map_err(|e| js_err("crypto.subtle", e))?;
        if subtle.is_undefined() || subtle.is_null() {
            return Err(Error::Key(
                "crypto.subtle is not available (insecure context?)".into(),
            ));
        }
        Ok(subtle.unchecked_into())
    }

    pub(super) fn object(pairs: &[(&str, &str)]) -> Result<Object> {
        let o = Object::new();
        for (k, v) in pairs {
            Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v))
                .map_err(|e| js_err("algorithm", e))?;
        }
        Ok(o)
    }

    async fn export(subtle: &SubtleCrypto, format: &str, key: &CryptoKey) -> Result<Vec<u8>> {
        let promise = subtle
            .export_key(format, key)
            .map_err(|e| js_err("exportKey", e))?;
        let buf = JsFuture::from(promise)
            .await
            .map_err(|e| js_err("exportKey", e))?;
        let buf: ArrayBuffer = buf.dyn_into().map_err(|e| js_err("exportKey result", e))?;
        Ok(Uint8Array::new(&buf).to_vec())
    }

    impl Inner {
        pub(super) async fn sign(&self, payload: &[u8]) -> Result<Vec<u8>> {
            let subtle = subtle()?;
            let alg = object(&[("name", "ECDSA"), ("hash", "SHA-256")])?;
            let promise = subtle
                .sign_with_object_and_u8_array(&alg, &self.pair.get_private_key(), payload)
                .map_err(|e| js_err("sign", e))?;
            let sig = JsFuture::from(promise)
                .await
                .map_err(|e| js_err("sign", e))?;
            let sig: ArrayBuffer = sig.dyn_into().map_err(|e| js_err("sign result", e))?;
            Ok(Uint8Array::new(&sig).to_vec())
        }
    }

    impl EcdsaKey {
        /// Generate a P-256 key pair with WebCrypto, valid from `now` for `lifetime_secs`
        /// (default 7 h 50 min, at most 8 h). `extractable = false` keeps the private key
        /// inside the JS engine (it can still be stored in IndexedDB).
        pub async fn generate(
            identity: &str,
            extractable: bool,
            lifetime_secs: Option<u32>,
            now: i64,
        ) -> Result<Self> {
            let (not_before, not_after) = super::lifetime_window(now, lifetime_secs)?;
            let subtle = subtle()?;
            let alg = object(&[("name", "ECDSA"), ("namedCurve", "P-256")])?;
            let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
            let promise = subtle
                .generate_key_with_object(&alg, extractable, &usages)
                .map_err(|e| js_err("generateKey", e))?;
            let pair = JsFuture::from(promise)
                .await
                .map_err(|e| js_err("generateKey", e))?;
            Self::from_crypto_key_pair(pair.unchecked_into(), identity, not_before, not_after).await
        }

        /// Wrap an existing WebCrypto ECDSA P-256 key pair (e.g. loaded from IndexedDB) with
        /// the validity window it was registered with.
        pub async fn from_crypto_key_pair(
            pair: CryptoKeyPair,
            identity: &str,
            not_before: i64,
            not_after: i64,
        ) -> Result<Self> {
            let subtle = subtle()?;
            let public = pair.get_public_key();
            let point = export(&subtle, "raw", &public).await?;
            let spki = export(&subtle, "spki", &public).await?;
            Self::assemble(
                identity,
                &point,
                &spki,
                not_before,
                not_after,
                Inner { pair },
            )
        }

        /// The WebCrypto key pair (to persist it).
        pub fn crypto_key_pair(&self) -> &CryptoKeyPair {
            &self.inner.pair
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    use p256::pkcs8::EncodePublicKey;

    use super::EcdsaKey;
    use crate::{Error, Result};

    pub(super) struct Inner {
        key: SigningKey,
    }

    impl Inner {
        pub(super) async fn sign(&self, payload: &[u8]) -> Result<Vec<u8>> {
            let sig: Signature = self.key.sign(payload);
            Ok(sig.to_bytes().to_vec())
        }
    }

    impl EcdsaKey {
        /// Generate a P-256 key pair (native stand-in for WebCrypto), valid from `now` for
        /// `lifetime_secs` (default 7 h 50 min, at most 8 h). `extractable` is ignored natively.
        pub async fn generate(
            identity: &str,
            extractable: bool,
            lifetime_secs: Option<u32>,
            now: i64,
        ) -> Result<Self> {
            let _ = extractable;
            let (not_before, not_after) = super::lifetime_window(now, lifetime_secs)?;
            let key = SigningKey::random(&mut rand_core::OsRng);
            Self::from_signing_key(key, identity, not_before, not_after)
        }

        /// Wrap a `p256` signing key with its validity window.
        pub fn from_signing_key(
            key: SigningKey,
            identity: &str,
            not_before: i64,
            not_after: i64,
        ) -> Result<Self> {
            let verifying = key.verifying_key();
            let point = verifying.to_encoded_point(false);
            let spki = verifying
                .to_public_key_der()
                .map_err(|e| Error::Key(format!("cannot encode ECDSA public key: {e}")))?;
            Self::assemble(
                identity,
                point.as_bytes(),
                spki.as_bytes(),
                not_before,
                not_after,
                Inner { key },
            )
        }

        /// The public half, for verification in tests.
        pub fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
            *self.inner.key.verifying_key()
        }
    }
}

/// WebCrypto in Node (wasm-bindgen-test-runner): the real key path.
#[cfg(all(test, target_arch = "wasm32"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod wasm_tests {
    use base64::Engine as _;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::auth::{sign_grpc, Metadata, PAYLOAD_HEADER, SIGNATURE_HEADER};

    #[wasm_bindgen_test]
    async fn auth_webcrypto_ecdsa_key_signs_verifiably() {
        let key = EcdsaKey::generate("user@example.com", false, None, 1_000)
            .await
            .unwrap();
        assert_eq!(key.key_id().len(), 44);
        assert!(key
            .public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(!key.crypto_key_pair().get_private_key().extractable());
        let mut md = Metadata::new();
        sign_grpc(&key, "/cosi.resource.State/Get", &mut md, 2_000)
            .await
            .unwrap();
        let header = md.first(SIGNATURE_HEADER).unwrap();
        let fields: Vec<_> = header.split(' ').collect();
        assert_eq!(fields[..3], ["siderov1", "user@example.com", key.key_id()]);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(fields[3])
            .unwrap();
        assert_eq!(raw.len(), 64);
        let subtle = imp::subtle().unwrap();
        let alg = imp::object(&[("name", "ECDSA"), ("hash", "SHA-256")]).unwrap();
        let ok = JsFuture::from(
            subtle
                .verify_with_object_and_u8_array_and_u8_array(
                    &alg,
                    &key.crypto_key_pair().get_public_key(),
                    &raw,
                    md.first(PAYLOAD_HEADER).unwrap().as_bytes(),
                )
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(ok.as_bool(), Some(true));
        // Same key, wrapped again from the pair: same id.
        let again = EcdsaKey::from_crypto_key_pair(
            key.crypto_key_pair().clone(),
            "user@example.com",
            1_000,
            2_000,
        )
        .await
        .unwrap();
        assert_eq!(again.key_id(), key.key_id());
    }

    /// Measurement, not a check: `-- --include-ignored` prints ms per signed request.
    #[wasm_bindgen_test]
    #[ignore]
    async fn auth_bench_sign_grpc() {
        const N: u32 = 200;
        async fn time_requests(signer: &dyn crate::auth::Signer, start: i64) -> f64 {
            // Warm up first (V8 tiers wasm up lazily), then time N signed requests.
            let mut ms = 0.0;
            for _round in 0..2 {
                let t0 = js_sys::Date::now();
                for i in 0..N {
                    let mut md = Metadata::new();
                    sign_grpc(
                        signer,
                        "/cosi.resource.State/List",
                        &mut md,
                        start + i64::from(i),
                    )
                    .await
                    .unwrap();
                }
                ms = (js_sys::Date::now() - t0) / f64::from(N);
            }
            ms
        }
        let ecdsa = EcdsaKey::generate("u@example.com", false, None, 1_000)
            .await
            .unwrap();
        let ecdsa_ms = time_requests(&ecdsa, 2_000).await;
        wasm_bindgen_test::console_log!(
            "bench: ECDSA P-256 (WebCrypto) sign_grpc {ecdsa_ms:.3} ms/request"
        );
        #[cfg(feature = "full")]
        {
            let pgp = crate::auth::PgpKey::generate_user_key("u@example.com", None, 1_767_225_600)
                .unwrap();
            let pgp_ms = time_requests(&pgp, 1_767_225_700).await;
            wasm_bindgen_test::console_log!(
                "bench: PGP Ed25519 (rpgp) sign_grpc {pgp_ms:.3} ms/request"
            );
        }
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    async fn auth_pgp_generate_and_sign_in_wasm() {
        let key =
            crate::auth::PgpKey::generate_user_key("u@example.com", None, 1_767_225_600).unwrap();
        let mut md = Metadata::new();
        sign_grpc(&key, "/cosi.resource.State/List", &mut md, 1_767_225_700)
            .await
            .unwrap();
        assert!(md
            .first(SIGNATURE_HEADER)
            .unwrap()
            .starts_with(&format!("siderov1 u@example.com {} ", key.fingerprint())));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::auth::{sign_grpc, Metadata, PAYLOAD_HEADER, SIGNATURE_HEADER};
    use futures::executor::block_on;
    use p256::ecdsa::signature::Verifier as _;

    #[test]
    fn auth_ecdsa_key_signs_grpc_payloads_verifiably() {
        let key = block_on(EcdsaKey::generate("user@example.com", false, None, 1_000)).unwrap();
        assert_eq!(key.not_after(), Some(1_000 + 7 * 3600 + 50 * 60));
        assert_eq!(key.key_id().len(), 44);
        assert!(key.key_id().ends_with('='));
        assert!(!key.key_id().contains(['+', '/']));
        let pem = key.public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let mut md = Metadata::new();
        md.append("runtime", "Omni");
        block_on(sign_grpc(
            &key,
            "/omni.resources.ResourceService/List",
            &mut md,
            2_000,
        ))
        .unwrap();
        let header = md.first(SIGNATURE_HEADER).unwrap();
        let fields: Vec<_> = header.split(' ').collect();
        assert_eq!(fields[..3], ["siderov1", "user@example.com", key.key_id()]);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(fields[3])
            .unwrap();
        assert_eq!(raw.len(), 64);
        let sig = p256::ecdsa::Signature::from_slice(&raw).unwrap();
        key.verifying_key()
            .verify(md.first(PAYLOAD_HEADER).unwrap().as_bytes(), &sig)
            .unwrap();
        // Key id = base64url(sha256(uncompressed point)).
        let point = key.verifying_key().to_encoded_point(false);
        assert_eq!(key.key_id(), key_id_for_point(point.as_bytes()).unwrap());
    }

    #[test]
    fn auth_ecdsa_lifetime_limits_and_redaction() {
        assert!(block_on(EcdsaKey::generate("u@x", false, Some(8 * 3600 + 1), 0)).is_err());
        assert!(block_on(EcdsaKey::generate("u@x", false, Some(0), 0)).is_err());
        let key = block_on(EcdsaKey::generate("u@x", false, Some(8 * 3600), 0)).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("<redacted>"));
        assert!(!dbg.contains("SigningKey"));
        let mut md = Metadata::new();
        assert!(matches!(
            block_on(sign_grpc(&key, "/a.B/C", &mut md, 8 * 3600)),
            Err(Error::Key(_))
        ));
    }
}
