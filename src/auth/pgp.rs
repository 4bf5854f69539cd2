//! OpenPGP keys (feature `full`): omnictl user keys and service-account keys.
//!
//! Keys are v4 EdDSA-legacy (algorithm 22) like omnictl's, so GnuPG 2.2+, OpenPGP.js and
//! gopenpgp all read them. Signatures are binary detached v4 signatures with SHA-256 and
//! creation-time, issuer key-id and issuer-fingerprint subpackets.
//!
//! Signing key choice follows go-crypto (`Entity.SigningKey`, used by gopenpgp and so by
//! omnictl and Omni): the newest subkey whose binding allows signing, else the primary key if
//! its self-signature allows signing. The key id is always the primary fingerprint; Omni finds
//! the signing (sub)key through the key ring.

use std::fmt;

use base64::Engine as _;
use futures::future::LocalBoxFuture;
use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, KeyType, SecretKeyParamsBuilder,
    SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    PacketTrait, Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData,
};
use pgp::ser::Serialize as _;
use pgp::types::{
    CompressionAlgorithm, Duration as PgpDuration, KeyDetails, KeyVersion, Password, SigningKey,
    Timestamp,
};
use zeroize::Zeroizing;

use super::{
    check_window, Signer, MAX_SERVICE_ACCOUNT_KEY_LIFETIME_SECS, MAX_USER_KEY_LIFETIME_SECS,
};
use crate::{Error, Result};

fn key_err(what: &str, e: impl fmt::Display) -> Error {
    Error::Key(format!("{what}: {e}"))
}

/// A key the caller gave that cannot be loaded: bad input (`InvalidArgument`), not a refusal
/// by the server (`Unauthenticated` is for keys that load but may not sign: expired, revoked).
fn load_err(what: impl fmt::Display) -> Error {
    Error::InvalidArgument(format!("key: {what}"))
}

fn timestamp(now: i64) -> Result<Timestamp> {
    u32::try_from(now)
        .map(Timestamp::from_secs)
        .map_err(|_| Error::InvalidArgument(format!("time out of OpenPGP range: {now}")))
}

/// Which secret key packet signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SigningChoice {
    Primary,
    Subkey(usize),
}

/// An OpenPGP private key with the identity it signs as.
///
/// Secret material is zeroized on drop (rpgp's secret parameters are `ZeroizeOnDrop`) and never
/// shown by `Debug`.
pub struct PgpKey {
    key: SignedSecretKey,
    signing: SigningChoice,
    identity: String,
    fingerprint: String,
    not_before: i64,
    not_after: Option<i64>,
}

impl fmt::Debug for PgpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpKey")
            .field("identity", &self.identity)
            .field("fingerprint", &self.fingerprint)
            .field("signing", &self.signing)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `Name (comment) <email>`, like go-crypto's `packet.NewUserId`.
fn user_id(name: &str, comment: &str, email: &str) -> Result<String> {
    for (what, v) in [("name", name), ("comment", comment), ("email", email)] {
        if v.contains(['(', ')', '<', '>', '\0']) {
            return Err(Error::InvalidArgument(format!(
                "key {what} must not contain ()<> or NUL: {v:?}"
            )));
        }
    }
    if email.is_empty() || email.contains(char::is_whitespace) || !email.contains('@') {
        return Err(Error::InvalidArgument(format!(
            "key e-mail must look like user@domain: {email:?}"
        )));
    }
    let mut uid = name.to_string();
    if !comment.is_empty() {
        if !uid.is_empty() {
            uid.push(' ');
        }
        uid.push('(');
        uid.push_str(comment);
        uid.push(')');
    }
    if !uid.is_empty() {
        uid.push(' ');
    }
    uid.push('<');
    uid.push_str(email);
    uid.push('>');
    Ok(uid)
}

/// Re-issue `sig` (a self-signature made by the builder) with creation time `created` and,
/// when given, key and signature lifetimes.
fn reissue_config(
    sig: &Signature,
    created: Timestamp,
    lifetime: Option<u32>,
) -> Result<SignatureConfig> {
    let mut cfg = sig
        .config()
        .cloned()
        .ok_or_else(|| Error::Key("generated self-signature has no config".into()))?;
    cfg.hashed_subpackets.retain(|p| {
        !matches!(
            p.data,
            SubpacketData::SignatureCreationTime(_)
                | SubpacketData::KeyExpirationTime(_)
                | SubpacketData::SignatureExpirationTime(_)
        )
    });
    let sub = |d| Subpacket::regular(d).map_err(|e| key_err("subpacket", e));
    cfg.hashed_subpackets
        .insert(0, sub(SubpacketData::SignatureCreationTime(created))?);
    if let Some(secs) = lifetime {
        cfg.hashed_subpackets
            .push(sub(SubpacketData::KeyExpirationTime(
                PgpDuration::from_secs(secs),
            ))?);
        if sig.typ() != Some(SignatureType::SubkeyBinding) {
            cfg.hashed_subpackets
                .push(sub(SubpacketData::SignatureExpirationTime(
                    PgpDuration::from_secs(secs),
                ))?);
        }
    }
    Ok(cfg)
}

/// A detached binary signature over `payload` made with `key` at `created`.
fn sign_detached_with<K: SigningKey>(
    key: &K,
    payload: &[u8],
    created: Timestamp,
) -> Result<Vec<u8>> {
    let sub = |d| Subpacket::regular(d).map_err(|e| key_err("subpacket", e));
    let mut cfg = match key.version() {
        KeyVersion::V6 => SignatureConfig::v6(
            rand::thread_rng(),
            SignatureType::Binary,
            key.algorithm(),
            HashAlgorithm::Sha256,
        )
        .map_err(|e| key_err("signature", e))?,
        _ => SignatureConfig::v4(
            SignatureType::Binary,
            key.algorithm(),
            HashAlgorithm::Sha256,
        ),
    };
    cfg.hashed_subpackets = vec![
        sub(SubpacketData::SignatureCreationTime(created))?,
        sub(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
    ];
    if key.version() != KeyVersion::V6 {
        cfg.hashed_subpackets
            .push(sub(SubpacketData::IssuerKeyId(key.legacy_key_id()))?);
    }
    let sig = cfg
        .sign(key, &Password::empty(), payload)
        .map_err(|e| key_err("cannot sign", e))?;
    DetachedSignature::new(sig)
        .to_bytes()
        .map_err(|e| key_err("cannot encode signature", e))
}

fn secs_after(created: Timestamp, d: Option<PgpDuration>) -> Option<i64> {
    d.map(|d| d.as_secs())
        .filter(|&s| s > 0)
        .map(|s| i64::from(created.as_secs()) + i64::from(s))
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl PgpKey {
    /// Load an ASCII-armored private key (`-----BEGIN PGP PRIVATE KEY BLOCK-----`), unlocking
    /// it with `passphrase` if it is protected. `identity` is what the signature header names
    /// (user e-mail, or service-account name).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the text is not a private key, its self-signatures do not
    /// verify, it has no signing-capable key, or it is locked and the passphrase is missing or
    /// wrong; [`Error::Key`] if it is revoked. Messages never contain key material.
    pub fn from_armored(armored: &str, passphrase: Option<&str>, identity: &str) -> Result<Self> {
        let (mut key, _) = SignedSecretKey::from_string(armored)
            .map_err(|e| load_err(format_args!("not an armored OpenPGP private key: {e}")))?;
        key.verify_bindings()
            .map_err(|e| load_err(format_args!("key self-signatures do not verify: {e}")))?;
        if !key.details.revocation_signatures.is_empty() {
            return Err(Error::Key("key is revoked".into()));
        }
        let signing = choose_signing_key(&key)?;
        if let Some(pw) = passphrase {
            let pw = Password::from(pw);
            key.primary_key
                .remove_password(&pw)
                .map_err(|_| load_err("wrong passphrase for private key"))?;
            for sub in key.secret_subkeys.iter_mut() {
                // Subkeys under another passphrase stay locked; only the signing one matters.
                let _ = sub.key.remove_password(&pw);
            }
        }
        let locked = match signing {
            SigningChoice::Primary => key.primary_key.secret_params().is_encrypted(),
            SigningChoice::Subkey(i) => key
                .secret_subkeys
                .get(i)
                .is_none_or(|s| s.key.secret_params().is_encrypted()),
        };
        if locked {
            return Err(load_err(
                "private key is passphrase-protected; pass its passphrase",
            ));
        }
        Self::from_key(key, signing, identity)
    }

    fn from_key(key: SignedSecretKey, signing: SigningChoice, identity: &str) -> Result<Self> {
        let primary = key.primary_key.public_key();
        let created = primary.created_at();
        let fingerprint = format!("{:x}", primary.fingerprint());
        let own_fp = primary.fingerprint();
        let own_id = primary.legacy_key_id();
        let is_self = |s: &&Signature| {
            s.issuer_fingerprint().iter().any(|f| **f == own_fp)
                || s.issuer_key_id().iter().any(|k| **k == own_id)
        };
        // The primary self-signature: the newest self-certification of the primary user id
        // (falling back to any user id, then to direct-key signatures).
        let mut best: Option<(bool, Timestamp, &Signature)> = None;
        for user in &key.details.users {
            for sig in user.signatures.iter().filter(is_self) {
                let cand = (sig.is_primary(), sig.created().unwrap_or_default(), sig);
                if best.is_none_or(|b| (cand.0, cand.1) >= (b.0, b.1)) {
                    best = Some(cand);
                }
            }
        }
        let self_sig = best.map(|b| b.2).or_else(|| {
            key.details
                .direct_signatures
                .iter()
                .max_by_key(|s| s.created().unwrap_or_default())
        });
        let mut not_after = None;
        if let Some(sig) = self_sig {
            not_after = min_opt(
                secs_after(created, sig.key_expiration_time()),
                secs_after(
                    sig.created().unwrap_or_default(),
                    sig.signature_expiration_time(),
                ),
            );
        }
        if let SigningChoice::Subkey(i) = signing {
            if let Some(sub) = key.secret_subkeys.get(i) {
                let binding = sub
                    .signatures
                    .iter()
                    .max_by_key(|s| s.created().unwrap_or_default());
                let sub_created = sub.key.public_key().created_at();
                not_after = min_opt(
                    not_after,
                    binding.and_then(|b| secs_after(sub_created, b.key_expiration_time())),
                );
            }
        }
        Ok(PgpKey {
            fingerprint,
            not_before: i64::from(created.as_secs()),
            not_after,
            signing,
            identity: identity.to_string(),
            key,
        })
    }

    /// Generate a key the way omnictl does (`pgp.GenerateKey`): v4 EdDSA-legacy primary key
    /// (certify + sign) with a Curve25519 encryption subkey, preferred hash SHA-256, user id
    /// `name (comment) <email>`, created at `now`, with key and self-signature lifetime
    /// `lifetime_secs` (≤ 365 days; Omni accepts ≤ 8 h for user keys). The key signs as `email`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad lifetime or user id parts; [`Error::Key`] if
    /// generation fails.
    pub fn generate(
        email: &str,
        name: &str,
        comment: &str,
        lifetime_secs: u32,
        now: i64,
    ) -> Result<Self> {
        if lifetime_secs == 0 || lifetime_secs > MAX_SERVICE_ACCOUNT_KEY_LIFETIME_SECS {
            return Err(Error::InvalidArgument(format!(
                "key lifetime must be between 1 s and {MAX_SERVICE_ACCOUNT_KEY_LIFETIME_SECS} s"
            )));
        }
        let uid = user_id(name, comment, email)?;
        let created = timestamp(now)?;
        let gen_err = |e: &dyn fmt::Display| key_err("key generation failed", e);
        let subkey = SubkeyParamsBuilder::default()
            .version(KeyVersion::V4)
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_encrypt(pgp::composed::EncryptionCaps::All)
            .created_at(created)
            .build()
            .map_err(|e| gen_err(&e))?;
        let params = SecretKeyParamsBuilder::default()
            .version(KeyVersion::V4)
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .created_at(created)
            .primary_user_id(uid)
            .preferred_hash_algorithms([HashAlgorithm::Sha256].into_iter().collect())
            .preferred_symmetric_algorithms([SymmetricKeyAlgorithm::AES256].into_iter().collect())
            .preferred_compression_algorithms([CompressionAlgorithm::ZLIB].into_iter().collect())
            .subkey(subkey)
            .build()
            .map_err(|e| gen_err(&e))?;
        let mut key = params
            .generate(rand::thread_rng())
            .map_err(|e| gen_err(&e))?;

        // rpgp's builder sets no expiration and stamps signatures with the wall clock:
        // re-issue the self-signatures with `now` and the lifetime.
        let pw = Password::empty();
        for user in key.details.users.iter_mut() {
            let Some(old) = user.signatures.first() else {
                continue;
            };
            let cfg = reissue_config(old, created, Some(lifetime_secs))?;
            let sig = cfg
                .sign_certification(
                    &key.primary_key,
                    key.primary_key.public_key(),
                    &pw,
                    user.id.tag(),
                    &user.id,
                )
                .map_err(|e| gen_err(&e))?;
            user.signatures = vec![sig];
        }
        for sub in key.secret_subkeys.iter_mut() {
            let Some(old) = sub.signatures.first() else {
                continue;
            };
            let cfg = reissue_config(old, created, Some(lifetime_secs))?;
            let sig = cfg
                .sign_subkey_binding(
                    &key.primary_key,
                    key.primary_key.public_key(),
                    &pw,
                    sub.key.public_key(),
                )
                .map_err(|e| gen_err(&e))?;
            sub.signatures = vec![sig];
        }
        key.verify_bindings().map_err(|e| gen_err(&e))?;
        let signing = choose_signing_key(&key)?;
        Self::from_key(key, signing, email)
    }

    /// A user key like omnictl's interactive login key: lifetime `lifetime_secs` (default 4 h,
    /// at most 8 h), user id `omni-wasm <version> (wasm32) <email>`.
    pub fn generate_user_key(email: &str, lifetime_secs: Option<u32>, now: i64) -> Result<Self> {
        let lifetime = lifetime_secs.unwrap_or(super::USER_KEY_LIFETIME_SECS);
        if lifetime > MAX_USER_KEY_LIFETIME_SECS {
            return Err(Error::InvalidArgument(format!(
                "user keys live at most {MAX_USER_KEY_LIFETIME_SECS} s"
            )));
        }
        let name = format!("omni-wasm {}", crate::VERSION);
        Self::generate(email, &name, "wasm32", lifetime, now)
    }

    /// The same key signing as another identity.
    pub fn with_identity(mut self, identity: &str) -> Self {
        self.identity = identity.to_string();
        self
    }

    /// The primary key's v4 fingerprint, lower-case hex: the key id Omni knows it by.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Creation time of the primary key (Unix seconds).
    pub fn created_at(&self) -> i64 {
        self.not_before
    }

    /// Expiry (Unix seconds), or `None` if the key has no lifetime (Omni refuses such keys).
    pub fn expires_at(&self) -> Option<i64> {
        self.not_after
    }

    /// The ASCII-armored public key, as `RegisterPublicKey.pgp_data` /
    /// `CreateServiceAccount.armored_pgp_public_key` take it.
    pub fn armored_public_key(&self) -> Result<String> {
        self.key
            .to_public_key()
            .to_armored_string(ArmorOptions::default())
            .map_err(|e| key_err("cannot armor public key", e))
    }

    /// The ASCII-armored private key (unencrypted, like omnictl stores it). Handle with care.
    pub fn armored_private_key(&self) -> Result<Zeroizing<String>> {
        self.key
            .to_armored_string(ArmorOptions::default())
            .map(Zeroizing::new)
            .map_err(|e| key_err("cannot armor private key", e))
    }

    /// A binary detached signature over `payload`, created at `now`.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if the key is not valid at `now` or signing fails.
    pub fn sign_detached(&self, payload: &[u8], now: i64) -> Result<Vec<u8>> {
        check_window(Some(self.not_before), self.not_after, now)?;
        let created = timestamp(now)?;
        match self.signing {
            SigningChoice::Primary => sign_detached_with(&self.key.primary_key, payload, created),
            SigningChoice::Subkey(i) => {
                let sub = self
                    .key
                    .secret_subkeys
                    .get(i)
                    .ok_or_else(|| Error::Key("signing subkey vanished".into()))?;
                sign_detached_with(&sub.key, payload, created)
            }
        }
    }
}

/// go-crypto's choice: newest signing-capable subkey, else a signing-capable primary.
fn choose_signing_key(key: &SignedSecretKey) -> Result<SigningChoice> {
    let mut best: Option<(Timestamp, usize)> = None;
    for (i, sub) in key.secret_subkeys.iter().enumerate() {
        let Some(binding) = sub
            .signatures
            .iter()
            .max_by_key(|s| s.created().unwrap_or_default())
        else {
            continue;
        };
        if !binding.key_flags().sign() || !sub.key.public_key().algorithm().can_sign() {
            continue;
        }
        let t = binding.created().unwrap_or_default();
        if best.is_none_or(|(bt, _)| t >= bt) {
            best = Some((t, i));
        }
    }
    if let Some((_, i)) = best {
        return Ok(SigningChoice::Subkey(i));
    }
    let primary_can_sign = key
        .details
        .users
        .iter()
        .flat_map(|u| u.signatures.iter())
        .chain(key.details.direct_signatures.iter())
        .any(|s| s.key_flags().sign());
    if primary_can_sign && key.primary_key.public_key().algorithm().can_sign() {
        Ok(SigningChoice::Primary)
    } else {
        Err(load_err("key has no signing-capable (sub)key"))
    }
}

impl Signer for PgpKey {
    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_id(&self) -> &str {
        &self.fingerprint
    }

    fn not_before(&self) -> Option<i64> {
        Some(self.not_before)
    }

    fn not_after(&self) -> Option<i64> {
        self.not_after
    }

    fn sign<'a>(&'a self, payload: &'a [u8], now: i64) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
        let result = self.sign_detached(payload, now);
        Box::pin(async move { result })
    }
}

/// Suffix of a service account's identity (`<name>@serviceaccount.omni.sidero.dev`).
pub const SERVICE_ACCOUNT_SUFFIX: &str = "@serviceaccount.omni.sidero.dev";
/// Name prefix of infra-provider service accounts.
pub const INFRA_PROVIDER_PREFIX: &str = "infra-provider:";
/// Suffix of an infra-provider service account's identity.
pub const INFRA_PROVIDER_SUFFIX: &str = "@infra-provider.serviceaccount.omni.sidero.dev";

#[derive(serde::Serialize, serde::Deserialize)]
struct RawServiceAccountKey {
    name: String,
    pgp_key: String,
}

/// The `OMNI_SERVICE_ACCOUNT_KEY` credential: base64 of `{"name": ..., "pgp_key": <armored
/// private key>}`.
pub struct ServiceAccountKey {
    name: String,
    pgp_key: Zeroizing<String>,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("name", &self.name)
            .field("pgp_key", &"<redacted>")
            .finish()
    }
}

impl ServiceAccountKey {
    /// Parse the base64 credential string (surrounding whitespace is ignored).
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if it is not base64 of the expected JSON; never echoes the input.
    pub fn parse(encoded: &str) -> Result<Self> {
        let b64 = encoded.trim();
        let json = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64))
                .map_err(|_| load_err("service account key is not valid base64"))?,
        );
        let raw: RawServiceAccountKey = serde_json::from_slice(&json).map_err(|_| {
            load_err("service account key is not JSON with \"name\" and \"pgp_key\"")
        })?;
        if raw.name.is_empty() || raw.pgp_key.is_empty() {
            return Err(load_err("service account key has an empty name or pgp_key"));
        }
        Ok(ServiceAccountKey {
            name: raw.name,
            pgp_key: Zeroizing::new(raw.pgp_key),
        })
    }

    /// A credential from a name and an armored private key.
    pub fn new(name: &str, armored_private_key: Zeroizing<String>) -> Self {
        ServiceAccountKey {
            name: name.to_string(),
            pgp_key: armored_private_key,
        }
    }

    /// Generate a key for service account `name` (`<base>` or `infra-provider:<base>`) the way
    /// `omnictl serviceaccount create` does: user id `<base> (comment) <identity e-mail>`,
    /// lifetime `lifetime_secs` (default 365 days). Returns the credential and the key (whose
    /// [`PgpKey::armored_public_key`] goes into `CreateServiceAccount`).
    pub fn generate(name: &str, lifetime_secs: Option<u32>, now: i64) -> Result<(Self, PgpKey)> {
        let base = name.strip_prefix(INFRA_PROVIDER_PREFIX).unwrap_or(name);
        if base.is_empty() {
            return Err(Error::InvalidArgument(
                "service account name is empty".into(),
            ));
        }
        let lifetime = lifetime_secs.unwrap_or(super::SERVICE_ACCOUNT_KEY_LIFETIME_SECS);
        let key = PgpKey::generate(&Self::identity_for(name), base, "wasm32", lifetime, now)?
            .with_identity(name);
        let sa = ServiceAccountKey::new(name, key.armored_private_key()?);
        Ok((sa, key))
    }

    /// The identity (e-mail / Identity resource id) of service account `name`.
    pub fn identity_for(name: &str) -> String {
        match name.strip_prefix(INFRA_PROVIDER_PREFIX) {
            Some(base) => format!("{base}{INFRA_PROVIDER_SUFFIX}"),
            None => format!("{name}{SERVICE_ACCOUNT_SUFFIX}"),
        }
    }

    /// The service-account name (what the signature header names).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The armored private key. Handle with care.
    pub fn armored_private_key(&self) -> &str {
        &self.pgp_key
    }

    /// The credential string (standard base64, padded, of the JSON).
    pub fn encode(&self) -> Result<Zeroizing<String>> {
        let raw = RawServiceAccountKey {
            name: self.name.clone(),
            pgp_key: self.pgp_key.to_string(),
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&raw)
                .map_err(|_| Error::Key("cannot encode service account key".into()))?,
        );
        let RawServiceAccountKey { pgp_key, .. } = raw;
        drop(Zeroizing::new(pgp_key));
        Ok(Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(json.as_slice()),
        ))
    }

    /// The signer: the key, signing as the service-account name.
    pub fn signer(&self) -> Result<PgpKey> {
        PgpKey::from_armored(&self.pgp_key, None, &self.name)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::auth::{sign_grpc, Metadata, PAYLOAD_HEADER, SIGNATURE_HEADER};
    use futures::executor::block_on;
    use pgp::composed::SignedPublicKey;
    use pgp::packet::SignatureVersion;

    const NOW: i64 = 1_767_225_600;

    fn verify(key: &PgpKey, payload: &[u8], sig: &[u8]) -> Signature {
        let public = SignedPublicKey::from_string(&key.armored_public_key().unwrap())
            .unwrap()
            .0;
        public.verify_bindings().unwrap();
        let det = DetachedSignature::from_bytes(sig).unwrap();
        det.verify(&public.primary_key, payload).unwrap();
        det.signature
    }

    #[test]
    fn auth_pgp_generated_key_has_omnictl_shape() {
        let key = PgpKey::generate(
            "user@example.com",
            "omnictl v1",
            "linux/amd64",
            4 * 3600,
            NOW,
        )
        .unwrap();
        assert_eq!(key.fingerprint().len(), 40);
        assert!(key
            .fingerprint()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(key.created_at(), NOW);
        assert_eq!(key.expires_at(), Some(NOW + 4 * 3600));
        assert_eq!(key.signing, SigningChoice::Primary);
        let public = SignedPublicKey::from_string(&key.armored_public_key().unwrap())
            .unwrap()
            .0;
        assert_eq!(public.primary_key.version(), KeyVersion::V4);
        assert_eq!(
            public.primary_key.algorithm(),
            pgp::crypto::public_key::PublicKeyAlgorithm::EdDSALegacy
        );
        let user = &public.details.users[0];
        assert_eq!(
            user.id.id(),
            b"omnictl v1 (linux/amd64) <user@example.com>".as_slice()
        );
        let cert = &user.signatures[0];
        assert_eq!(
            cert.key_expiration_time().map(|d| d.as_secs()),
            Some(4 * 3600)
        );
        assert_eq!(cert.created().map(|t| t.as_secs()), Some(NOW as u32));
        assert!(cert.is_primary());
        assert_eq!(public.public_subkeys.len(), 1);
        assert_eq!(
            public.public_subkeys[0].signatures[0]
                .key_expiration_time()
                .map(|d| d.as_secs()),
            Some(4 * 3600)
        );
        // Round trip through the armored private key.
        let again = PgpKey::from_armored(
            &key.armored_private_key().unwrap(),
            None,
            "user@example.com",
        )
        .unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert_eq!(again.expires_at(), key.expires_at());
    }

    #[test]
    fn auth_pgp_signature_verifies_and_has_v4_binary_sha256_issuer_subpackets() {
        let key = PgpKey::generate_user_key("user@example.com", None, NOW).unwrap();
        let mut md = Metadata::new();
        block_on(sign_grpc(
            &key,
            "/cosi.resource.State/List",
            &mut md,
            NOW + 60,
        ))
        .unwrap();
        let header = md.first(SIGNATURE_HEADER).unwrap();
        let fields: Vec<_> = header.split(' ').collect();
        assert_eq!(fields.len(), 4);
        assert_eq!(
            fields[..3],
            ["siderov1", "user@example.com", key.fingerprint()]
        );
        let raw = base64::engine::general_purpose::STANDARD
            .decode(fields[3])
            .unwrap();
        // Binary, not armored: starts with a signature packet tag (new or old format).
        assert!(raw[0] == 0xc2 || raw[0] & 0xbc == 0x88, "{:#x}", raw[0]);
        let sig = verify(&key, md.first(PAYLOAD_HEADER).unwrap().as_bytes(), &raw);
        assert_eq!(sig.version(), SignatureVersion::V4);
        assert_eq!(sig.typ(), Some(SignatureType::Binary));
        assert_eq!(sig.hash_alg(), Some(HashAlgorithm::Sha256));
        assert_eq!(sig.created().map(|t| t.as_secs()), Some((NOW + 60) as u32));
        let fp = hex_lower(sig.issuer_fingerprint()[0].as_bytes());
        assert_eq!(fp, key.fingerprint());
        assert_eq!(sig.issuer_key_id().len(), 1);
    }

    fn hex_lower(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn auth_pgp_expired_and_future_keys_are_refused() {
        let key = PgpKey::generate("u@example.com", "", "", 3600, NOW).unwrap();
        assert!(matches!(
            key.sign_detached(b"x", NOW + 3600),
            Err(Error::Key(_))
        ));
        assert!(matches!(
            key.sign_detached(b"x", NOW - 301),
            Err(Error::Key(_))
        ));
        assert!(key.sign_detached(b"x", NOW + 3599).is_ok());
        let mut md = Metadata::new();
        assert!(matches!(
            block_on(sign_grpc(&key, "/a.B/C", &mut md, NOW + 7200)),
            Err(Error::Key(_))
        ));
        assert!(PgpKey::generate("u@example.com", "", "", 0, NOW).is_err());
        assert!(PgpKey::generate_user_key("u@example.com", Some(8 * 3600 + 1), NOW).is_err());
        assert!(PgpKey::generate("not an email", "", "", 60, NOW).is_err());
    }

    #[test]
    fn auth_service_account_key_round_trips_and_signs() {
        let (sa, key) = ServiceAccountKey::generate("automation", None, NOW).unwrap();
        assert_eq!(key.identity(), "automation");
        assert_eq!(key.expires_at(), Some(NOW + 365 * 24 * 3600));
        let encoded = sa.encode().unwrap();
        let json = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["name"], "automation");
        assert!(v["pgp_key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let back = ServiceAccountKey::parse(&format!("  {}\n", encoded.as_str())).unwrap();
        assert_eq!(back.name(), "automation");
        let signer = back.signer().unwrap();
        assert_eq!(signer.fingerprint(), key.fingerprint());
        assert_eq!(signer.identity(), "automation");
        let sig = signer.sign_detached(b"payload", NOW).unwrap();
        verify(&key, b"payload", &sig);
        // Identity of the key's user id.
        let public = SignedPublicKey::from_string(&key.armored_public_key().unwrap())
            .unwrap()
            .0;
        assert_eq!(
            public.details.users[0].id.id(),
            b"automation (wasm32) <automation@serviceaccount.omni.sidero.dev>".as_slice()
        );
        assert_eq!(
            ServiceAccountKey::identity_for("infra-provider:aws-1"),
            "aws-1@infra-provider.serviceaccount.omni.sidero.dev"
        );
        assert!(ServiceAccountKey::parse("not base64 !").is_err());
        assert!(ServiceAccountKey::parse("e30=").is_err()); // "{}"
    }

    #[test]
    fn auth_debug_and_errors_never_show_key_material() {
        let (sa, key) = ServiceAccountKey::generate("automation", Some(3600), NOW).unwrap();
        let armored = key.armored_private_key().unwrap();
        let encoded = sa.encode().unwrap();
        // A distinctive line of the base64 body of the armored key.
        let body_line = armored
            .lines()
            .find(|l| l.len() >= 60 && !l.starts_with("-----"))
            .unwrap()
            .to_string();
        for dbg in [
            format!("{sa:?}"),
            format!("{key:?}"),
            format!("{sa:#?}"),
            format!("{key:#?}"),
        ] {
            assert!(dbg.contains("<redacted>"), "{dbg}");
            assert!(!dbg.contains(&body_line), "{dbg}");
            assert!(!dbg.contains("PRIVATE KEY"), "{dbg}");
            assert!(!dbg.contains(&encoded[..40]), "{dbg}");
        }
        // Errors from a broken key do not echo it.
        let broken = armored.replace(&body_line, &body_line.chars().rev().collect::<String>());
        if let Err(e) = PgpKey::from_armored(&broken, None, "x") {
            let msg = format!("{e} {e:?}");
            assert!(!msg.contains(&body_line[..20]), "{msg}");
        }
        let e = ServiceAccountKey::parse(&encoded[..encoded.len() - 8]).unwrap_err();
        assert!(!format!("{e:?}").contains(&encoded[..20]));
    }

    #[test]
    fn auth_keys_that_do_not_load_are_invalid_arguments_not_unauthenticated() {
        use crate::Code;
        for bad in [
            "",
            "not base64 !",
            "bm90IGpzb24=",
            "eyJuYW1lIjoiIiwicGdwX2tleSI6IiJ9",
        ] {
            let e = ServiceAccountKey::parse(bad).unwrap_err();
            assert_eq!(e.code(), Code::InvalidArgument, "{bad:?}: {e}");
        }
        let e = PgpKey::from_armored("-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx", None, "u@x")
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e}");
        // a key that loads but has expired is what the server would refuse: Unauthenticated
        let key = PgpKey::generate("u@example.com", "", "", 3600, NOW).unwrap();
        let e = key.sign_detached(b"x", NOW + 3600).unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{e}");
    }

    #[test]
    fn auth_passphrase_protected_key_needs_its_passphrase() {
        let key = PgpKey::generate("u@example.com", "", "", 3600, NOW).unwrap();
        let mut locked = key.key.clone();
        locked
            .primary_key
            .set_password(rand::thread_rng(), &Password::from("s3cret"))
            .unwrap();
        let armored = locked.to_armored_string(ArmorOptions::default()).unwrap();
        assert!(matches!(
            PgpKey::from_armored(&armored, None, "u@example.com"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            PgpKey::from_armored(&armored, Some("wrong"), "u@example.com"),
            Err(Error::InvalidArgument(_))
        ));
        let k = PgpKey::from_armored(&armored, Some("s3cret"), "u@example.com").unwrap();
        let sig = k.sign_detached(b"data", NOW).unwrap();
        verify(&key, b"data", &sig);
    }
}
