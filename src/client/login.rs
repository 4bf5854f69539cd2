//! `auth.AuthService`: registering a user key and waiting for its confirmation — the
//! interactive login omnictl does (and, with a WebCrypto key, what Omni's web UI does).
//!
//! Flow: [`Login::register`] sends the public key (unsigned), the person opens the returned
//! `login_url` and signs in to Omni, which confirms the key; [`Login::await_confirmation`]
//! returns once that happened; then a client built with the same signer can make calls.

use base64::Engine as _;

use crate::auth::{Metadata, Signer};
use crate::proto::auth as pb;
use crate::transport::{CallKind, CallOptions};
use crate::{Error, Result};

use super::OmniClient;

const SVC: &str = "/auth.AuthService/";

/// The public half of a key to register.
#[derive(Clone, Debug)]
pub enum PublicKeyMaterial {
    /// An ASCII-armored OpenPGP public key (omnictl-style keys).
    Pgp(String),
    /// A PEM SPKI ECDSA P-256 key with its validity window (Unix seconds), as the web UI uses.
    Plain {
        /// `-----BEGIN PUBLIC KEY-----` PEM.
        pem: String,
        /// Start of validity.
        not_before: i64,
        /// End of validity (at most 8 h after the start).
        not_after: i64,
    },
}

/// The answer to a registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Where the person confirms the key (Omni's `/authenticate?flow=cli&public-key-id=…`).
    pub login_url: String,
    /// The key id (what signatures name).
    pub public_key_id: String,
}

/// How the caller of [`Login::confirm`] proves who they are: a credential of Omni's identity
/// provider, sent the way Omni's web UI sends it (upstream `frontend/src/pages/authenticate.vue`).
/// `Debug` never shows the credential.
#[derive(Clone)]
pub enum ConfirmWith {
    /// An Auth0 or OIDC ID token (sent as `authorization: Bearer <token>`).
    IdToken(String),
    /// A SAML session id (sent as `saml-session`).
    SamlSession(String),
}

impl std::fmt::Debug for ConfirmWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfirmWith::IdToken(_) => "IdToken(<redacted>)",
            ConfirmWith::SamlSession(_) => "SamlSession(<redacted>)",
        })
    }
}

/// The metadata (and cookie) name of the key id's signature Omni's workload proxy checks
/// (upstream `workloadproxy.PublicKeyIDSignatureBase64Cookie`).
const WORKLOAD_PROXY_SIGNATURE: &str = "publicKeyIdSignatureBase64";

/// Key registration of one client.
#[derive(Clone, Debug)]
pub struct Login {
    client: OmniClient,
}

impl OmniClient {
    /// Key registration (`auth.AuthService`): the interactive login flow.
    pub fn login(&self) -> Login {
        Login {
            client: self.clone(),
        }
    }
}

fn ts(secs: i64) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: secs,
        nanos: 0,
    }
}

impl Login {
    /// Register `key` for `email` (unsigned call). Omni answers the same whether or not the
    /// user exists, so an unknown user only shows as a confirmation that never comes.
    ///
    /// # Errors
    /// Invalid keys (`INVALID_ARGUMENT`/`UNKNOWN` from the server), transport errors.
    pub async fn register(
        &self,
        key: &PublicKeyMaterial,
        email: &str,
        opts: &CallOptions,
    ) -> Result<Registration> {
        if email.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "registration needs an e-mail".into(),
            ));
        }
        let public_key = match key {
            PublicKeyMaterial::Pgp(armored) => pb::PublicKey {
                pgp_data: armored.as_bytes().to_vec(),
                ..pb::PublicKey::default()
            },
            PublicKeyMaterial::Plain {
                pem,
                not_before,
                not_after,
            } => pb::PublicKey {
                plain_key: Some(pb::public_key::Plain {
                    key_pem: pem.clone(),
                    not_before: Some(ts(*not_before)),
                    not_after: Some(ts(*not_after)),
                }),
                ..pb::PublicKey::default()
            },
        };
        let req = pb::RegisterPublicKeyRequest {
            public_key: Some(public_key),
            identity: Some(pb::Identity {
                email: email.to_ascii_lowercase(),
            }),
            ..pb::RegisterPublicKeyRequest::default()
        };
        let resp: pb::RegisterPublicKeyResponse = self
            .client
            .transport()
            .unary_with(
                &format!("{SVC}RegisterPublicKey"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
                false,
            )
            .await?;
        Ok(Registration {
            login_url: resp.login_url,
            public_key_id: resp.public_key_id,
        })
    }

    /// Wait until the key is confirmed (unsigned; the server gives up after 5 minutes with
    /// `DEADLINE_EXCEEDED` — call again to keep waiting).
    ///
    /// # Errors
    /// `DEADLINE_EXCEEDED`, transport errors, the call's abort/timeout.
    pub async fn await_confirmation(&self, public_key_id: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::AwaitPublicKeyConfirmationRequest {
            public_key_id: public_key_id.to_string(),
        };
        let _: pbjson_types::Empty = self
            .client
            .transport()
            .unary_with(
                &format!("{SVC}AwaitPublicKeyConfirmation"),
                Metadata::new(),
                &req,
                CallKind::Read,
                opts,
                false,
            )
            .await?;
        Ok(())
    }

    /// Confirm a registered key on behalf of its person, as Omni's web UI does once they signed in
    /// with the identity provider (`auth.AuthService/ConfirmPublicKey`, unsigned; the
    /// credential says who they are). For apps that run their own sign-in against Omni's
    /// identity provider; without one, the person confirms at the registration's `login_url`.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for an empty key id; `UNAUTHENTICATED` for a credential Omni does not
    /// accept; `PERMISSION_DENIED` when the identity is not a user of the instance or the key
    /// is unknown; `UNKNOWN` ("public key <> id mismatch") when the key is someone else's.
    pub async fn confirm(
        &self,
        public_key_id: &str,
        with: &ConfirmWith,
        opts: &CallOptions,
    ) -> Result<()> {
        self.confirm_with(public_key_id, with, None, opts).await
    }

    /// [`Login::confirm`] as Omni's web UI confirms its own key: also sending the key id signed
    /// with that key (`publicKeyIdSignatureBase64`, upstream `authenticate.vue`), from which Omni
    /// sets its workload proxy's cookies in the answer (HttpOnly `publicKeyId` and
    /// `publicKeyIdSignatureBase64`, upstream `auth.go`). A page on Omni's origin (or behind a
    /// same-origin proxy) keeps them and can then open exposed services.
    ///
    /// # Errors
    /// As [`Login::confirm`]; `INVALID_ARGUMENT` when `key` is not the key being confirmed,
    /// [`Error::Key`] when it can't sign.
    pub async fn confirm_for_workload_proxy(
        &self,
        public_key_id: &str,
        with: &ConfirmWith,
        key: &dyn Signer,
        opts: &CallOptions,
    ) -> Result<()> {
        if key.key_id() != public_key_id {
            return Err(Error::InvalidArgument(format!(
                "the workload proxy needs the key being confirmed ({public_key_id:?}), not {:?}",
                key.key_id()
            )));
        }
        let now = self.client.transport().server_now();
        let signature = key.sign(public_key_id.as_bytes(), now).await?;
        let signature = base64::engine::general_purpose::STANDARD.encode(signature);
        self.confirm_with(public_key_id, with, Some(signature), opts)
            .await
    }

    async fn confirm_with(
        &self,
        public_key_id: &str,
        with: &ConfirmWith,
        workload_proxy_signature: Option<String>,
        opts: &CallOptions,
    ) -> Result<()> {
        if public_key_id.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "confirming a key needs its id".into(),
            ));
        }
        let mut md = Metadata::new();
        match with {
            ConfirmWith::IdToken(t) => md.set("authorization", format!("Bearer {t}")),
            ConfirmWith::SamlSession(s) => md.set("saml-session", s.clone()),
        }
        if let Some(sig) = workload_proxy_signature {
            md.set(WORKLOAD_PROXY_SIGNATURE, sig);
        }
        let req = pb::ConfirmPublicKeyRequest {
            public_key_id: public_key_id.to_string(),
        };
        let _: pbjson_types::Empty = self
            .client
            .transport()
            .unary_with(
                &format!("{SVC}ConfirmPublicKey"),
                md,
                &req,
                CallKind::Write,
                opts,
                false,
            )
            .await?;
        Ok(())
    }

    /// Revoke the caller's own key (signed) — the web UI's logout.
    ///
    /// # Errors
    /// Server errors.
    pub async fn revoke(&self, public_key_id: &str, opts: &CallOptions) -> Result<()> {
        let req = pb::RevokePublicKeyRequest {
            public_key_id: public_key_id.to_string(),
        };
        let _: pbjson_types::Empty = self
            .client
            .transport()
            .unary(
                &format!("{SVC}RevokePublicKey"),
                Metadata::new(),
                &req,
                CallKind::Write,
                opts,
            )
            .await?;
        Ok(())
    }
}
