//! Users, public keys and `siderov1` signature verification, as Omni does it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use base64::Engine as _;
use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, KeyType, SecretKeyParamsBuilder,
    SignedPublicKey, SignedSecretKey,
};
use pgp::packet::{PacketTrait, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, Password};
use sha2::Digest;
use tonic::metadata::MetadataMap;
use tonic::Status;

/// The ten metadata names that the payload signs, in go-api-signature's order.
pub const SIGNED_HEADERS: [&str; 10] = [
    "x-sidero-timestamp",
    "nodes",
    "selectors",
    "fieldSelectors",
    "runtime",
    "context",
    "cluster",
    "namespace",
    "uid",
    "authorization",
];

pub const SKEW_SECS: i64 = 300;
pub const USER_KEY_MAX_SECS: i64 = 8 * 3600;
pub const SA_KEY_MAX_SECS: i64 = 365 * 24 * 3600;
pub const SA_DOMAIN: &str = "serviceaccount.omni.sidero.dev";
pub const INFRA_SA_DOMAIN: &str = "infra-provider.serviceaccount.omni.sidero.dev";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Role {
    None,
    InfraProvider,
    Reader,
    Auditor,
    Operator,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "None" | "" => Role::None,
            "InfraProvider" => Role::InfraProvider,
            "Reader" => Role::Reader,
            "Auditor" => Role::Auditor,
            "Operator" => Role::Operator,
            "Admin" => Role::Admin,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "None",
            Role::InfraProvider => "InfraProvider",
            Role::Reader => "Reader",
            Role::Auditor => "Auditor",
            Role::Operator => "Operator",
            Role::Admin => "Admin",
        }
    }
}

#[derive(Clone)]
pub enum KeyMaterial {
    Pgp(Box<SignedPublicKey>),
    Ecdsa(p256::ecdsa::VerifyingKey),
}

#[derive(Clone)]
pub struct KeyRecord {
    pub id: String,
    pub identity: String,
    pub material: KeyMaterial,
    pub armored: String,
    pub created: i64,
    pub expires: i64,
    pub confirmed: bool,
    /// Role stored on the key; the effective role is min(key, user).
    pub role: Role,
    pub last_used: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub service_account: bool,
    pub last_active: Option<i64>,
}

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub identity: String,
    pub user_id: String,
    pub role: Role,
    pub key_id: String,
}

#[derive(Default)]
struct Inner {
    users: BTreeMap<String, User>,
    keys: BTreeMap<String, KeyRecord>,
    /// Identity-provider credentials the sim issued (`/_sim/id-token`, `/_sim/saml-session`):
    /// ID token or SAML session → verified e-mail. Omni verifies an Auth0/OIDC JWT or looks up a
    /// SAML session; the sim stands in for the provider with opaque values it remembers.
    id_tokens: BTreeMap<String, String>,
    saml_sessions: BTreeMap<String, String>,
}

#[derive(Default)]
pub struct Directory {
    inner: Mutex<Inner>,
    pub confirmed: tokio::sync::Notify,
}

fn invalid() -> Status {
    Status::unauthenticated("invalid signature")
}

impl Directory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn user(&self, email: &str) -> Option<User> {
        self.lock().users.get(&email.to_lowercase()).cloned()
    }

    pub fn users(&self) -> Vec<User> {
        self.lock().users.values().cloned().collect()
    }

    pub fn upsert_user(&self, email: &str, role: Role, service_account: bool) -> User {
        let mut g = self.lock();
        let email = email.to_lowercase();
        let u = g.users.entry(email.clone()).or_insert_with(|| User {
            id: uuid_like(&email),
            email: email.clone(),
            role,
            service_account,
            last_active: None,
        });
        u.role = role;
        u.clone()
    }

    pub fn remove_user(&self, email: &str) -> Option<User> {
        let mut g = self.lock();
        let email = email.to_lowercase();
        let u = g.users.remove(&email);
        g.keys.retain(|_, k| k.identity != email);
        u
    }

    pub fn add_key(&self, k: KeyRecord) {
        self.lock().keys.insert(k.id.clone(), k);
    }

    pub fn key(&self, id: &str) -> Option<KeyRecord> {
        self.lock().keys.get(id).cloned()
    }

    pub fn keys_of(&self, identity: &str) -> Vec<KeyRecord> {
        self.lock()
            .keys
            .values()
            .filter(|k| k.identity == identity)
            .cloned()
            .collect()
    }

    /// A new ID token (or SAML session) whose verified e-mail is `email`.
    pub fn issue_credential(&self, email: &str, saml: bool) -> String {
        let mut g = self.lock();
        let n = g.id_tokens.len() + g.saml_sessions.len();
        let value = format!(
            "{}.{}",
            if saml { "saml" } else { "idt" },
            uuid_like(&format!("{email}/{n}/{}", std::process::id()))
        );
        let map = if saml {
            &mut g.saml_sessions
        } else {
            &mut g.id_tokens
        };
        map.insert(value.clone(), email.to_lowercase());
        value
    }

    /// The verified e-mail of a request, as Omni's JWT and SAML interceptors establish it
    /// (`authorization: Bearer <token>`, `saml-session: <id>`; upstream
    /// `internal/pkg/auth/interceptor/jwt.go`, `saml.go`): `Ok(None)` without either; an
    /// unknown token is `UNAUTHENTICATED "invalid jwt"`.
    pub fn verified_email(&self, md: &MetadataMap) -> Result<Option<String>, Status> {
        let g = self.lock();
        if let Some(v) = md.get("authorization").and_then(|v| v.to_str().ok()) {
            let token = v.strip_prefix("Bearer ").unwrap_or_default();
            return match g.id_tokens.get(token) {
                Some(email) => Ok(Some(email.clone())),
                None => Err(Status::unauthenticated("invalid jwt")),
            };
        }
        if let Some(v) = md.get("saml-session").and_then(|v| v.to_str().ok()) {
            return match g.saml_sessions.get(v) {
                Some(email) => Ok(Some(email.clone())),
                None => Err(Status::unauthenticated("invalid saml session")),
            };
        }
        Ok(None)
    }

    pub fn remove_key(&self, id: &str) -> Option<KeyRecord> {
        self.lock().keys.remove(id)
    }

    pub fn confirm(&self, id: &str) -> bool {
        let ok = match self.lock().keys.get_mut(id) {
            Some(k) => {
                k.confirmed = true;
                true
            }
            None => false,
        };
        self.confirmed.notify_waiters();
        ok
    }

    /// Verifies the `siderov1` signature of a request (§4.2–4.4).
    pub fn verify(&self, md: &MetadataMap, method: &str, now: i64) -> Result<Caller, Status> {
        let sig_hdr = md
            .get("x-sidero-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(invalid)?;
        let fields: Vec<&str> = sig_hdr.split(' ').collect();
        if fields.len() < 4 {
            // Omni's parser indexes the fourth field directly and panics.
            return Err(Status::internal("malformed signature header"));
        }
        let (scheme, key_id, sig_b64) = (fields[0], fields[2], fields[3]);
        if scheme != "siderov1" {
            return Err(invalid());
        }
        let ts: i64 = md
            .get("x-sidero-timestamp")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(invalid)?;
        if (now - ts).abs() > SKEW_SECS {
            return Err(invalid());
        }
        let payload = md
            .get("x-sidero-payload")
            .map(|v| v.as_bytes().to_vec())
            .ok_or_else(invalid)?;
        #[derive(serde::Deserialize)]
        struct Payload {
            #[serde(default)]
            headers: BTreeMap<String, Option<Vec<String>>>,
            method: String,
        }
        let p: Payload = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if p.method != method {
            return Err(invalid());
        }
        for h in SIGNED_HEADERS {
            let signed = p.headers.get(h).cloned().flatten();
            // Metadata keys are lower-case; `fieldSelectors` is looked up verbatim
            // and therefore never found (upstream quirk).
            let got: Option<Vec<String>> = if h.chars().any(|c| c.is_ascii_uppercase()) {
                None
            } else {
                let vals: Vec<String> = md
                    .get_all(h)
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_string))
                    .collect();
                if vals.is_empty() {
                    None
                } else {
                    Some(vals)
                }
            };
            if signed != got {
                return Err(invalid());
            }
        }
        let key = self.key(key_id).ok_or_else(invalid)?;
        if !key.confirmed || now >= key.expires {
            return Err(invalid());
        }
        let sig = base64::engine::general_purpose::STANDARD
            .decode(sig_b64)
            .map_err(|_| invalid())?;
        verify_sig(&key.material, &payload, &sig).map_err(|_| invalid())?;
        let user = self.user(&key.identity).ok_or_else(invalid)?;
        {
            let mut g = self.lock();
            if let Some(k) = g.keys.get_mut(key_id) {
                k.last_used = Some(now);
            }
            if let Some(u) = g.users.get_mut(&key.identity) {
                u.last_active = Some(now);
            }
        }
        Ok(Caller {
            identity: key.identity.clone(),
            user_id: user.id,
            role: key.role.min(user.role),
            key_id: key.id,
        })
    }
}

/// Omni's workload proxy's check of its cookies (upstream `workloadproxy/accessvalidator.go`):
/// the key exists and has not expired, and the signature is the key id signed with that key.
pub fn check_workload_proxy_cookie(
    dir: &Directory,
    public_key_id: &str,
    signature_base64: &str,
    now: i64,
) -> Result<String, String> {
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(signature_base64)
        .map_err(|e| e.to_string())?;
    let key = dir.key(public_key_id).ok_or_else(|| {
        format!(
            "resource PublicKeys.omni.sidero.dev(default/{public_key_id}@undefined) doesn't exist"
        )
    })?;
    if key.expires <= now {
        return Err("key is expired".into());
    }
    verify_sig(&key.material, public_key_id.as_bytes(), &sig)?;
    Ok(key.identity)
}

fn verify_sig(m: &KeyMaterial, data: &[u8], sig: &[u8]) -> Result<(), String> {
    match m {
        KeyMaterial::Pgp(k) => {
            let (s, _) = DetachedSignature::from_bytes_many(sig)
                .map_err(|e| e.to_string())?
                .next()
                .ok_or("no signature")?
                .map_err(|e| e.to_string())
                .map(|s| (s, ()))?;
            if s.verify(&k.primary_key, data).is_ok() {
                return Ok(());
            }
            for sk in &k.public_subkeys {
                if s.verify(&sk.key, data).is_ok() {
                    return Ok(());
                }
            }
            Err("bad signature".into())
        }
        KeyMaterial::Ecdsa(vk) => {
            use p256::ecdsa::signature::Verifier;
            let s = p256::ecdsa::Signature::from_slice(sig).map_err(|e| e.to_string())?;
            vk.verify(data, &s).map_err(|e| e.to_string())
        }
    }
}

/// A stable UUID-shaped id derived from a string.
pub fn uuid_like(s: &str) -> String {
    let h = sha2::Sha256::digest(s.as_bytes());
    let x: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Facts of a validated PGP public key.
pub struct PgpKeyInfo {
    pub key: SignedPublicKey,
    pub fingerprint: String,
    pub email: String,
    pub created: i64,
    pub expires: i64,
}

/// Validates an armored PGP public key like Omni (§4.5).
pub fn validate_pgp_key(armored: &str, max_lifetime: i64, now: i64) -> Result<PgpKeyInfo, String> {
    if armored.contains("PRIVATE KEY") {
        return Err("key contains private key material".into());
    }
    let (key, _) =
        SignedPublicKey::from_string(armored).map_err(|e| format!("failed to parse key: {e}"))?;
    key.verify_bindings()
        .map_err(|e| format!("invalid key: {e}"))?;
    if !key.details.revocation_signatures.is_empty() {
        return Err("key is revoked".into());
    }
    let user = key
        .details
        .users
        .iter()
        .find(|u| u.is_primary())
        .or_else(|| key.details.users.first())
        .ok_or("key has no user id")?;
    let uid = String::from_utf8_lossy(user.id.id()).to_string();
    let email =
        parse_email(&uid).ok_or_else(|| format!("user id {uid:?} is not an email address"))?;
    let lifetime = user
        .signatures
        .iter()
        .filter_map(|s| s.key_expiration_time())
        .map(|d| std::time::Duration::from(d).as_secs() as i64)
        .next_back()
        .unwrap_or(0);
    if lifetime == 0 {
        return Err("key does not have a lifetime".into());
    }
    let created = i64::from(key.primary_key.created_at().as_secs());
    let expires = created + lifetime;
    if expires > now + max_lifetime + 60 {
        return Err("key lifetime is too long".into());
    }
    let skew = SKEW_SECS.min(lifetime / 2);
    if expires + skew < now {
        return Err("key expired".into());
    }
    Ok(PgpKeyInfo {
        fingerprint: format!("{:x}", key.primary_key.fingerprint()),
        key,
        email: email.to_lowercase(),
        created,
        expires,
    })
}

/// The address of `Name <a@b>`, `<a@b>` or `a@b` (what Go's `net/mail` accepts, roughly).
pub fn parse_email(uid: &str) -> Option<String> {
    let re =
        regex::Regex::new(r"^(?:[^<>]*<([^<>@\s]+@[^<>@\s]+)>|([^<>@\s]+@[^<>@\s]+))$").ok()?;
    let c = re.captures(uid.trim())?;
    c.get(1)
        .or_else(|| c.get(2))
        .map(|m| m.as_str().to_string())
}

/// Validates a plain ECDSA P-256 key (web UI keys, §4.5) and returns (key, id).
pub fn validate_plain_key(
    pem: &str,
    not_before: i64,
    not_after: i64,
    now: i64,
) -> Result<(p256::ecdsa::VerifyingKey, String), PlainKeyError> {
    use p256::pkcs8::DecodePublicKey;
    // upstream validate.go over go-api-signature plain.ParseKey: a key that does not parse is
    // a plain error (gRPC Unknown); the time checks are InvalidArgument with these texts
    if !pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
        return Err(PlainKeyError::Parse(
            "failed to decode PEM block containing public key".into(),
        ));
    }
    let vk = p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
        .map_err(|e| PlainKeyError::Parse(format!("x509: {e}")))?;
    if not_before >= not_after {
        return Err(PlainKeyError::Invalid(
            "public key 'not_before' is after 'not_after'",
        ));
    }
    if now < not_before - SKEW_SECS {
        return Err(PlainKeyError::Invalid("public key 'not_before' > now"));
    }
    if now >= not_after + SKEW_SECS {
        return Err(PlainKeyError::Invalid("public key is expired"));
    }
    if not_after - not_before > USER_KEY_MAX_SECS {
        return Err(PlainKeyError::Invalid(
            "public key expiration time exceeds max allowed lifetime",
        ));
    }
    Ok((vk, plain_key_id(&vk)))
}

/// Why a plain key was refused: it does not parse (Omni: `Unknown`), or its validity window is
/// wrong (`InvalidArgument`).
#[derive(Debug)]
pub enum PlainKeyError {
    Parse(String),
    Invalid(&'static str),
}

impl From<PlainKeyError> for tonic::Status {
    fn from(e: PlainKeyError) -> Self {
        match e {
            PlainKeyError::Parse(m) => tonic::Status::unknown(m),
            PlainKeyError::Invalid(m) => tonic::Status::invalid_argument(m),
        }
    }
}

pub fn plain_key_id(vk: &p256::ecdsa::VerifyingKey) -> String {
    let point = vk.to_encoded_point(false);
    base64::engine::general_purpose::URL_SAFE.encode(sha2::Sha256::digest(point.as_bytes()))
}

/// Generates a v4 EdDSA-legacy key with a key lifetime in the self-signature.
pub fn generate_pgp_key(uid: &str, lifetime_secs: u32) -> Result<SignedSecretKey, String> {
    let mut b = SecretKeyParamsBuilder::default();
    b.key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(uid.to_string());
    let params = b.build().map_err(|e| e.to_string())?;
    let mut rng = rand::thread_rng();
    let mut ssk = params.generate(&mut rng).map_err(|e| e.to_string())?;
    let pk = ssk.primary_key.public_key().clone();
    for user in ssk.details.users.iter_mut() {
        let mut sigs = Vec::new();
        for s in &user.signatures {
            let mut cfg = s.config().ok_or("signature without config")?.clone();
            cfg.hashed_subpackets.push(
                Subpacket::regular(SubpacketData::KeyExpirationTime(
                    std::time::Duration::from_secs(u64::from(lifetime_secs))
                        .try_into()
                        .map_err(|_| "bad lifetime")?,
                ))
                .map_err(|e| e.to_string())?,
            );
            let sig = cfg
                .sign_certification(
                    &ssk.primary_key,
                    &pk,
                    &Password::empty(),
                    user.id.tag(),
                    &user.id,
                )
                .map_err(|e| e.to_string())?;
            sigs.push(sig);
        }
        user.signatures = sigs;
    }
    Ok(ssk)
}

pub fn armored_public(ssk: &SignedSecretKey) -> Result<String, String> {
    SignedPublicKey::from(ssk.clone())
        .to_armored_string(ArmorOptions::default())
        .map_err(|e| e.to_string())
}

pub fn armored_secret(ssk: &SignedSecretKey) -> Result<String, String> {
    ssk.to_armored_string(ArmorOptions::default())
        .map_err(|e| e.to_string())
}

/// Identity (e-mail) of a service account from its user-facing name.
pub fn sa_identity(name: &str) -> String {
    match name.strip_prefix("infra-provider:") {
        Some(base) => format!("{base}@{INFRA_SA_DOMAIN}"),
        None => format!("{name}@{SA_DOMAIN}"),
    }
}

/// The user-facing name of a service-account identity.
pub fn sa_name(identity: &str) -> Option<String> {
    if let Some(b) = identity.strip_suffix(&format!("@{INFRA_SA_DOMAIN}")) {
        return Some(format!("infra-provider:{b}"));
    }
    identity
        .strip_suffix(&format!("@{SA_DOMAIN}"))
        .map(str::to_string)
}
