//! Service accounts (`omnictl serviceaccount create|renew|list|destroy`). The key pair is
//! generated inside the library; only the public key is sent. The private key comes back once,
//! as the `OMNI_SERVICE_ACCOUNT_KEY` string.

use serde::Serialize;

use super::Management;
use crate::proto::management as pb;
use crate::transport::{CallKind, CallOptions};
use crate::Result;

/// One public key of a service account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountKeyInfo {
    /// Key id (fingerprint).
    pub id: String,
    /// Creation time (RFC 3339), when known.
    pub created: Option<String>,
    /// Expiry (RFC 3339), when known.
    pub expiration: Option<String>,
    /// Last use (RFC 3339), when known.
    pub last_used: Option<String>,
}

/// A service account as `ListServiceAccounts` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountInfo {
    /// The user-facing name (`automation`, `infra-provider:aws`).
    pub name: String,
    /// Its role.
    pub role: String,
    /// Last activity, as the server words it.
    pub last_active: String,
    /// Its public keys.
    pub keys: Vec<ServiceAccountKeyInfo>,
}

fn rfc3339(t: Option<&pbjson_types::Timestamp>) -> Option<String> {
    t.and_then(|t| serde_json::to_value(t).ok())
        .and_then(|v| v.as_str().map(str::to_string))
}

/// A key just issued to a service account: its `OMNI_SERVICE_ACCOUNT_KEY` (show it once) and
/// the id Omni knows its public key by. `Debug` never shows the key.
#[cfg(feature = "full")]
pub struct IssuedKey {
    /// The `OMNI_SERVICE_ACCOUNT_KEY` value (base64 JSON with the armored private key).
    pub key: zeroize::Zeroizing<String>,
    /// The public key's id (`CreateServiceAccountResponse.public_key_id`).
    pub public_key_id: String,
}

#[cfg(feature = "full")]
impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("key", &"<redacted>")
            .field("public_key_id", &self.public_key_id)
            .finish()
    }
}

impl Management {
    /// Create a service account; returns its `OMNI_SERVICE_ACCOUNT_KEY` (show it once).
    /// `role = None` with `use_user_role` gives it the caller's role (omnictl's default);
    /// `ttl_secs` defaults to 365 days.
    ///
    /// # Errors
    /// `ALREADY_EXISTS`, `PERMISSION_DENIED` (Admin only), invalid names or roles.
    #[cfg(feature = "full")]
    pub async fn create_service_account(
        &self,
        name: &str,
        role: Option<&str>,
        use_user_role: bool,
        ttl_secs: Option<u32>,
        opts: &CallOptions,
    ) -> Result<IssuedKey> {
        let now = self.client.transport().server_now();
        let (sa, key) = crate::auth::ServiceAccountKey::generate(name, ttl_secs, now)?;
        let req = pb::CreateServiceAccountRequest {
            armored_pgp_public_key: key.armored_public_key()?,
            use_user_role: use_user_role && role.is_none(),
            role: role.unwrap_or_default().to_string(),
            name: name.to_string(),
        };
        let resp: pb::CreateServiceAccountResponse = self
            .call("CreateServiceAccount", "", &req, CallKind::Write, opts)
            .await?;
        Ok(IssuedKey {
            key: sa.encode()?,
            public_key_id: resp.public_key_id,
        })
    }

    /// Add a new key to a service account; returns the new `OMNI_SERVICE_ACCOUNT_KEY`.
    /// (Omni keeps older keys valid until they expire.)
    ///
    /// # Errors
    /// `NOT_FOUND`, `PERMISSION_DENIED`.
    #[cfg(feature = "full")]
    pub async fn renew_service_account(
        &self,
        name: &str,
        ttl_secs: Option<u32>,
        opts: &CallOptions,
    ) -> Result<IssuedKey> {
        let now = self.client.transport().server_now();
        let (sa, key) = crate::auth::ServiceAccountKey::generate(name, ttl_secs, now)?;
        let req = pb::RenewServiceAccountRequest {
            name: name.to_string(),
            armored_pgp_public_key: key.armored_public_key()?,
        };
        let resp: pb::RenewServiceAccountResponse = self
            .call("RenewServiceAccount", "", &req, CallKind::Write, opts)
            .await?;
        Ok(IssuedKey {
            key: sa.encode()?,
            public_key_id: resp.public_key_id,
        })
    }

    /// Renew a service account so that the new key **replaces** `old_key` (its
    /// `OMNI_SERVICE_ACCOUNT_KEY`): Omni's `RenewServiceAccount` only adds a key, so the old key
    /// then revokes itself (`RevokePublicKey`, signed with the old key — the only way Omni lets
    /// a key be removed before it expires). Returns the new `OMNI_SERVICE_ACCOUNT_KEY`.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` when `old_key` is not a key of `name`; renew errors (nothing revoked
    /// then); a revoke error (the new key is valid then, and so is the old one).
    #[cfg(feature = "full")]
    pub async fn replace_service_account_key(
        &self,
        name: &str,
        old_key: &str,
        ttl_secs: Option<u32>,
        opts: &CallOptions,
    ) -> Result<zeroize::Zeroizing<String>> {
        let old = crate::auth::ServiceAccountKey::parse(old_key)?;
        if old.name() != name {
            return Err(crate::Error::InvalidArgument(format!(
                "the old key belongs to service account {:?}, not {name:?}",
                old.name()
            )));
        }
        let old_signer = old.signer()?;
        let old_id = crate::auth::Signer::key_id(&old_signer).to_string();
        let new_key = self.renew_service_account(name, ttl_secs, opts).await?.key;
        let as_old = self
            .client
            .transport()
            .with_signer(std::rc::Rc::new(old_signer));
        let req = crate::proto::auth::RevokePublicKeyRequest {
            public_key_id: old_id,
        };
        let _: pbjson_types::Empty = as_old
            .unary(
                "/auth.AuthService/RevokePublicKey",
                crate::auth::Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await?;
        Ok(new_key)
    }

    /// Every service account with its keys.
    ///
    /// # Errors
    /// `PERMISSION_DENIED` (Admin only).
    pub async fn list_service_accounts(
        &self,
        opts: &CallOptions,
    ) -> Result<Vec<ServiceAccountInfo>> {
        let resp: pb::ListServiceAccountsResponse = self
            .call(
                "ListServiceAccounts",
                "",
                &pbjson_types::Empty {},
                CallKind::Read,
                opts,
            )
            .await?;
        Ok(resp
            .service_accounts
            .into_iter()
            .map(|s| ServiceAccountInfo {
                name: s.name,
                role: s.role,
                last_active: s.last_active,
                keys: s
                    .pgp_public_keys
                    .into_iter()
                    .map(|k| ServiceAccountKeyInfo {
                        id: k.id,
                        created: rfc3339(k.created.as_ref()),
                        expiration: rfc3339(k.expiration.as_ref()),
                        last_used: rfc3339(k.last_used.as_ref()),
                    })
                    .collect(),
            })
            .collect())
    }

    /// Destroy a service account and all its keys.
    ///
    /// # Errors
    /// `NOT_FOUND`, `PERMISSION_DENIED`.
    pub async fn destroy_service_account(&self, name: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::DestroyServiceAccountRequest {
            name: name.to_string(),
        };
        let _: pbjson_types::Empty = self
            .call("DestroyServiceAccount", "", &req, CallKind::Write, opts)
            .await?;
        Ok(())
    }
}
