//! `Signer`: `siderov1` signing on its own, for callers with their own transport.

use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::error::{invalid, js, to_js};
#[cfg(feature = "full")]
use crate::auth::Signer as _;
use crate::auth::{self, EcdsaKey, Metadata, SharedSigner};
use crate::transport::runtime::now_secs;

#[derive(Clone)]
pub(crate) enum KeyHandle {
    #[cfg(feature = "full")]
    Pgp(Rc<auth::PgpKey>),
    Ecdsa(Rc<EcdsaKey>),
}

impl KeyHandle {
    pub(crate) fn shared(&self) -> SharedSigner {
        match self {
            #[cfg(feature = "full")]
            KeyHandle::Pgp(k) => k.clone(),
            KeyHandle::Ecdsa(k) => k.clone(),
        }
    }
}

/// Signs Omni requests (`siderov1`) with an OpenPGP key (service accounts, omnictl keys) or a
/// WebCrypto ECDSA P-256 key (what Omni's web UI registers). The private key never leaves
/// this object; its `toString()` shows no key material.
#[wasm_bindgen(js_name = Signer)]
pub struct JsSigner {
    pub(crate) key: KeyHandle,
    service_account_key: Option<zeroize::Zeroizing<String>>,
}

impl JsSigner {
    pub(crate) fn shared(&self) -> SharedSigner {
        self.key.shared()
    }

    /// The public half, as `RegisterPublicKey` takes it.
    pub(crate) fn public_key_material(&self) -> crate::Result<crate::client::PublicKeyMaterial> {
        use crate::client::PublicKeyMaterial;
        Ok(match &self.key {
            #[cfg(feature = "full")]
            KeyHandle::Pgp(k) => PublicKeyMaterial::Pgp(k.armored_public_key()?),
            KeyHandle::Ecdsa(k) => PublicKeyMaterial::Plain {
                pem: k.public_key_pem().to_string(),
                not_before: auth::Signer::not_before(k.as_ref()).unwrap_or_default(),
                not_after: auth::Signer::not_after(k.as_ref()).unwrap_or_default(),
            },
        })
    }
}

fn headers_object(pairs: impl IntoIterator<Item = (String, String)>) -> Result<JsValue, JsValue> {
    let obj = Object::new();
    for (k, v) in pairs {
        Reflect::set(&obj, &k.into(), &v.into())?;
    }
    Ok(obj.into())
}

fn metadata_from_js(v: &JsValue) -> Result<Metadata, JsValue> {
    let mut md = Metadata::new();
    if v.is_undefined() || v.is_null() {
        return Ok(md);
    }
    let obj: &Object = v
        .dyn_ref::<Object>()
        .ok_or_else(|| invalid("metadata must be an object of strings or string arrays"))?;
    for entry in Object::entries(obj).iter() {
        let pair = js_sys::Array::from(&entry);
        let key = pair
            .get(0)
            .as_string()
            .ok_or_else(|| invalid("metadata keys must be strings"))?;
        let value = pair.get(1);
        if let Some(s) = value.as_string() {
            md.append(&key, s);
        } else if js_sys::Array::is_array(&value) {
            for item in js_sys::Array::from(&value).iter() {
                let s = item
                    .as_string()
                    .ok_or_else(|| invalid(format!("metadata {key:?}: values must be strings")))?;
                md.append(&key, s);
            }
        } else {
            return Err(invalid(format!(
                "metadata {key:?}: value must be a string or string[]"
            )));
        }
    }
    Ok(md)
}

#[wasm_bindgen(js_class = Signer)]
impl JsSigner {
    /// A signer from the `OMNI_SERVICE_ACCOUNT_KEY` string omnictl uses.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = fromServiceAccountKey)]
    pub fn from_service_account_key(key: &str) -> Result<JsSigner, JsValue> {
        let sa = js(auth::ServiceAccountKey::parse(key))?;
        let pgp = js(sa.signer())?;
        js(pgp.check_valid_at(now_secs()))?;
        Ok(JsSigner {
            key: KeyHandle::Pgp(Rc::new(pgp)),
            service_account_key: None,
        })
    }

    /// A signer from an ASCII-armored OpenPGP private key and the identity (e-mail) it is
    /// registered for; `passphrase` unlocks a protected key.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = fromArmoredKey)]
    pub fn from_armored_key(
        armored: &str,
        identity: &str,
        passphrase: Option<String>,
    ) -> Result<JsSigner, JsValue> {
        let pgp = js(auth::PgpKey::from_armored(
            armored,
            passphrase.as_deref(),
            identity,
        ))?;
        js(pgp.check_valid_at(now_secs()))?;
        Ok(JsSigner {
            key: KeyHandle::Pgp(Rc::new(pgp)),
            service_account_key: None,
        })
    }

    /// Generate an OpenPGP user key like omnictl's login key (EdDSA, default 4 h, at most
    /// 8 h). Register it with `RegisterPublicKey` before use.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = generatePgp)]
    pub fn generate_pgp(email: &str, lifetime_seconds: Option<u32>) -> Result<JsSigner, JsValue> {
        let key = js(auth::PgpKey::generate_user_key(
            email,
            lifetime_seconds,
            now_secs(),
        ))?;
        Ok(JsSigner {
            key: KeyHandle::Pgp(Rc::new(key)),
            service_account_key: None,
        })
    }

    /// Generate a service-account key pair (default 365 days). `serviceAccountKey()` then
    /// returns the `OMNI_SERVICE_ACCOUNT_KEY` string and `publicKey()` the armored public key
    /// to pass to `CreateServiceAccount`.
    #[cfg(feature = "full")]
    #[wasm_bindgen(js_name = generateServiceAccount)]
    pub fn generate_service_account(
        name: &str,
        lifetime_seconds: Option<u32>,
    ) -> Result<JsSigner, JsValue> {
        let (sa, key) = js(auth::ServiceAccountKey::generate(
            name,
            lifetime_seconds,
            now_secs(),
        ))?;
        let encoded = js(sa.encode())?;
        Ok(JsSigner {
            key: KeyHandle::Pgp(Rc::new(key)),
            service_account_key: Some(encoded),
        })
    }

    /// Generate a WebCrypto ECDSA P-256 key (non-extractable by default; lifetime default
    /// 7 h 50 min, at most 8 h), as Omni's web UI does.
    #[wasm_bindgen(js_name = generateEcdsa)]
    pub async fn generate_ecdsa(
        identity: String,
        extractable: Option<bool>,
        lifetime_seconds: Option<u32>,
    ) -> Result<JsSigner, JsValue> {
        let key = js(EcdsaKey::generate(
            &identity,
            extractable.unwrap_or(false),
            lifetime_seconds,
            now_secs(),
        )
        .await)?;
        Ok(JsSigner {
            key: KeyHandle::Ecdsa(Rc::new(key)),
            service_account_key: None,
        })
    }

    /// Wrap an existing WebCrypto ECDSA P-256 `CryptoKeyPair` (e.g. from IndexedDB) with the
    /// validity window (Unix seconds) it was registered with.
    #[wasm_bindgen(js_name = fromCryptoKeyPair)]
    pub async fn from_crypto_key_pair(
        pair: web_sys::CryptoKeyPair,
        identity: String,
        not_before: f64,
        not_after: f64,
    ) -> Result<JsSigner, JsValue> {
        let key = js(EcdsaKey::from_crypto_key_pair(
            pair,
            &identity,
            not_before as i64,
            not_after as i64,
        )
        .await)?;
        Ok(JsSigner {
            key: KeyHandle::Ecdsa(Rc::new(key)),
            service_account_key: None,
        })
    }

    /// The identity written into signatures (e-mail or service-account name).
    #[wasm_bindgen(getter)]
    pub fn identity(&self) -> String {
        self.key.shared().identity().to_string()
    }

    /// The key id (PGP fingerprint, or the ECDSA key id Omni computes).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.key.shared().key_id().to_string()
    }

    /// `"pgp"` or `"ecdsa"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        match &self.key {
            #[cfg(feature = "full")]
            KeyHandle::Pgp(_) => "pgp",
            KeyHandle::Ecdsa(_) => "ecdsa",
        }
        .to_string()
    }

    /// Start of validity, Unix seconds (or `undefined`).
    #[wasm_bindgen(getter, js_name = notBefore)]
    pub fn not_before(&self) -> Option<f64> {
        self.key.shared().not_before().map(|v| v as f64)
    }

    /// End of validity, Unix seconds (or `undefined` for keys that never expire).
    #[wasm_bindgen(getter, js_name = notAfter)]
    pub fn not_after(&self) -> Option<f64> {
        self.key.shared().not_after().map(|v| v as f64)
    }

    /// Whether the key expires within `marginSeconds` (default 1 800: 30 minutes) or has
    /// expired: then sign in again with a new key (Omni cannot extend one). Never for keys
    /// without an expiry.
    #[wasm_bindgen(js_name = needsRenewal)]
    pub fn needs_renewal(&self, margin_seconds: Option<f64>) -> bool {
        let margin = margin_seconds.map_or(auth::DEFAULT_RENEWAL_MARGIN_SECS, |m| m as i64);
        self.key.shared().renewal_due(now_secs(), margin)
    }

    /// The public key: armored OpenPGP, or PEM SPKI for ECDSA keys.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Result<String, JsValue> {
        match &self.key {
            #[cfg(feature = "full")]
            KeyHandle::Pgp(k) => js(k.armored_public_key()),
            KeyHandle::Ecdsa(k) => Ok(k.public_key_pem().to_string()),
        }
    }

    /// For keys made by `generateServiceAccount`: the `OMNI_SERVICE_ACCOUNT_KEY` string.
    /// Treat it as a secret: show it once, never log it.
    #[wasm_bindgen(js_name = serviceAccountKey)]
    pub fn service_account_key(&self) -> Option<String> {
        self.service_account_key.as_ref().map(|s| s.to_string())
    }

    /// For OpenPGP keys: the ASCII-armored private key (unencrypted), to store it where the
    /// caller decides, as omnictl keeps `~/.talos/keys/<context>-<identity>.pgp`. An explicit
    /// export: nothing else ever hands the private key out. `undefined` for ECDSA keys (use
    /// `cryptoKeyPair()`).
    #[wasm_bindgen(js_name = exportArmoredPrivateKey)]
    pub fn export_armored_private_key(&self) -> Result<Option<String>, JsValue> {
        match &self.key {
            #[cfg(feature = "full")]
            KeyHandle::Pgp(k) => Ok(Some(js(k.armored_private_key())?.to_string())),
            KeyHandle::Ecdsa(_) => Ok(None),
        }
    }

    /// For ECDSA keys: the WebCrypto `CryptoKeyPair` (to store it in IndexedDB).
    #[wasm_bindgen(js_name = cryptoKeyPair)]
    pub fn crypto_key_pair(&self) -> Option<web_sys::CryptoKeyPair> {
        match &self.key {
            KeyHandle::Ecdsa(k) => Some(k.crypto_key_pair().clone()),
            #[cfg(feature = "full")]
            KeyHandle::Pgp(_) => None,
        }
    }

    /// Sign a gRPC call: returns the three metadata entries to add (`x-sidero-timestamp`,
    /// `x-sidero-payload`, `x-sidero-signature`). `metadata` holds the call's other metadata
    /// (`{ runtime: "Omni", cluster: "prod" }`); signed ones must be sent exactly as given.
    /// Over Omni's `/api` gateway, send each as a `Grpc-Metadata-<name>` header and use the
    /// URL path without `/api` as `method`.
    #[wasm_bindgen(js_name = signGrpc, unchecked_return_type = "Promise<Record<string, string>>")]
    pub async fn sign_grpc(&self, method: String, metadata: JsValue) -> Result<JsValue, JsValue> {
        let mut md = metadata_from_js(&metadata)?;
        let signer = self.key.shared();
        js(auth::sign_grpc(signer.as_ref(), &method, &mut md, now_secs()).await)?;
        let pick = |k: &str| md.first(k).unwrap_or_default().to_string();
        headers_object([
            (
                auth::TIMESTAMP_HEADER.to_string(),
                pick(auth::TIMESTAMP_HEADER),
            ),
            (auth::PAYLOAD_HEADER.to_string(), pick(auth::PAYLOAD_HEADER)),
            (
                auth::SIGNATURE_HEADER.to_string(),
                pick(auth::SIGNATURE_HEADER),
            ),
        ])
    }

    /// Sign a plain HTTP request (`x-sidero-timestamp` and `x-sidero-signature` over method,
    /// request URI, time and body SHA-256), e.g. for image-factory downloads.
    #[wasm_bindgen(js_name = signHttp, unchecked_return_type = "Promise<Record<string, string>>")]
    pub async fn sign_http(
        &self,
        method: String,
        url: String,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | undefined")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        let bytes = if body.is_undefined() || body.is_null() {
            Vec::new()
        } else if let Some(s) = body.as_string() {
            s.into_bytes()
        } else if let Some(u) = body.dyn_ref::<js_sys::Uint8Array>() {
            u.to_vec()
        } else {
            return Err(invalid("body must be a Uint8Array or a string"));
        };
        let signer = self.key.shared();
        let headers = auth::sign_http(signer.as_ref(), &method, &url, &bytes, now_secs())
            .await
            .map_err(|e| to_js(&e))?;
        headers_object(headers)
    }

    /// A description without key material.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!(
            "Signer({} {} {})",
            self.kind(),
            self.identity(),
            self.key_id()
        )
    }
}
