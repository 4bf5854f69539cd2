//! `auth.AuthService`: key registration and confirmation (§1.5, §4.7).

use std::sync::Arc;
use std::time::Duration;

use tonic::{Request, Response, Status};

use crate::auth::{self, KeyMaterial, KeyRecord, Role};
use crate::pb::auth::{
    auth_service_server::AuthService, AwaitPublicKeyConfirmationRequest, ConfirmPublicKeyRequest,
    RegisterPublicKeyRequest, RegisterPublicKeyResponse, RevokePublicKeyRequest,
};
use crate::Core;

pub struct AuthSvc {
    pub core: Arc<Core>,
}

/// How long AwaitPublicKeyConfirmation waits (Omni: 5 minutes).
pub const AWAIT_TIMEOUT: Duration = Duration::from_secs(300);

#[tonic::async_trait]
impl AuthService for AuthSvc {
    async fn register_public_key(
        &self,
        req: Request<RegisterPublicKeyRequest>,
    ) -> Result<Response<RegisterPublicKeyResponse>, Status> {
        self.core
            .enter(req.metadata(), "/auth.AuthService/RegisterPublicKey", false)
            .await?;
        let r = req.into_inner();
        // upstream auth.go: the key is validated first (validate.go), then the identity is
        // looked up; an unknown identity gets the same answer with nothing stored
        let email = r
            .identity
            .map(|i| i.email.to_lowercase())
            .unwrap_or_default();
        let pk = r.public_key.unwrap_or_default();
        let now = self.core.now_secs();
        let (material, id, armored, created, expires) = if let Some(plain) = pk.plain_key {
            let nb = plain.not_before.map(|t| t.seconds).unwrap_or(0);
            let na = plain.not_after.map(|t| t.seconds).unwrap_or(0);
            let (vk, id) = auth::validate_plain_key(&plain.key_pem, nb, na, now)?;
            (KeyMaterial::Ecdsa(vk), id, plain.key_pem, nb, na)
        } else if !pk.webauthn_data.is_empty() {
            return Err(Status::unimplemented("unimplemented"));
        } else if !pk.pgp_data.is_empty() {
            // every PGP refusal is a plain error upstream (gRPC Unknown)
            let text = String::from_utf8(pk.pgp_data)
                .map_err(|_| Status::unknown("failed to parse PGP key: not armored text"))?;
            let info = auth::validate_pgp_key(&text, auth::USER_KEY_MAX_SECS, now)
                .map_err(Status::unknown)?;
            (
                KeyMaterial::Pgp(Box::new(info.key)),
                info.fingerprint,
                text,
                info.created,
                info.expires,
            )
        } else {
            return Err(Status::invalid_argument("no public key data provided"));
        };
        let login_url = format!(
            "{}/authenticate?flow=cli&public-key-id={}",
            self.core.url(),
            id
        );
        // Unknown users get the same answer but nothing is stored (anti-enumeration).
        if let Some(user) = self.core.dir.user(&email) {
            if self.core.dir.key(&id).is_none() {
                let role = if r.skip_user_role {
                    Role::parse(&r.role).ok_or_else(|| {
                        Status::unknown(format!(
                            "failed to parse role for public key: unknown role {:?}",
                            r.role
                        ))
                    })?
                } else {
                    user.role
                };
                self.core.dir.add_key(KeyRecord {
                    id: id.clone(),
                    identity: email,
                    material,
                    armored,
                    created,
                    expires,
                    confirmed: false,
                    role,
                    last_used: None,
                });
            }
        }
        Ok(Response::new(RegisterPublicKeyResponse {
            login_url,
            public_key_id: id,
        }))
    }

    async fn await_public_key_confirmation(
        &self,
        req: Request<AwaitPublicKeyConfirmationRequest>,
    ) -> Result<Response<()>, Status> {
        self.core
            .enter(
                req.metadata(),
                "/auth.AuthService/AwaitPublicKeyConfirmation",
                false,
            )
            .await?;
        let id = req.into_inner().public_key_id;
        let wait = async {
            loop {
                let n = self.core.dir.confirmed.notified();
                tokio::pin!(n);
                n.as_mut().enable();
                if self.core.dir.key(&id).is_some_and(|k| k.confirmed) {
                    return;
                }
                n.await;
            }
        };
        tokio::time::timeout(AWAIT_TIMEOUT, wait)
            .await
            .map_err(|_| {
                Status::deadline_exceeded("timed out waiting for the public key confirmation")
            })?;
        Ok(Response::new(()))
    }

    async fn confirm_public_key(
        &self,
        req: Request<ConfirmPublicKeyRequest>,
    ) -> Result<Response<()>, Status> {
        // upstream internal/backend/grpc/auth.go ConfirmPublicKey: the caller proves who they
        // are with an identity provider's credential (the sim issues its own: /_sim/id-token,
        // /_sim/saml-session), the key must belong to that identity's user
        self.core
            .enter(req.metadata(), "/auth.AuthService/ConfirmPublicKey", false)
            .await?;
        let email = self
            .core
            .dir
            .verified_email(req.metadata())?
            .ok_or_else(|| {
                // auth.Check's plain error, which gRPC reports as Unknown
                Status::unknown("unauthenticated: missing verified email")
            })?;
        let md_signature = req.metadata().get("publickeyidsignaturebase64").cloned();
        let id = req.into_inner().public_key_id;
        if id.is_empty() {
            return Err(Status::invalid_argument("public key id is required"));
        }
        if self.core.dir.user(&email).is_none() {
            return Err(Status::permission_denied(format!(
                "The identity {email:?} is not authorized for this instance"
            )));
        }
        let key = self
            .core
            .dir
            .key(&id)
            .ok_or_else(|| Status::permission_denied("permission denied"))?;
        if key.identity != email {
            return Err(Status::unknown("public key <> id mismatch"));
        }
        self.core.dir.confirm(&id);
        let mut resp = Response::new(());
        // Omni's web UI sends the key id signed with the key; Omni answers with its workload
        // proxy's cookies, as `grpc-gateway-cookies` header metadata that the gateway turns into
        // `Set-Cookie` (upstream auth.go, grpc/cookies)
        if let Some(sig) = md_signature.and_then(|v| v.to_str().ok().map(str::to_string)) {
            let expires = chrono::DateTime::from_timestamp(key.expires, 0)
                .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
                .unwrap_or_default();
            for (name, value) in [
                ("publicKeyId", id.as_str()),
                ("publicKeyIdSignatureBase64", sig.as_str()),
            ] {
                let cookie = format!(
                    "{name}={value}; Path=/; Expires={expires}; HttpOnly; Secure; SameSite=Lax"
                );
                if let Ok(v) = cookie.parse() {
                    resp.metadata_mut().append("grpc-gateway-cookies", v);
                }
            }
        }
        Ok(resp)
    }

    async fn revoke_public_key(
        &self,
        req: Request<RevokePublicKeyRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), "/auth.AuthService/RevokePublicKey")
            .await?;
        let id = req.into_inner().public_key_id;
        match self.core.dir.key(&id) {
            Some(k) if k.identity == caller.identity => {
                self.core.dir.remove_key(&id);
                Ok(Response::new(()))
            }
            Some(_) => Err(Status::permission_denied(
                "public key does not belong to the caller",
            )),
            // upstream returns the state's own not-found error: a plain error (gRPC Unknown)
            None => Err(Status::unknown(format!(
                "resource PublicKeys.omni.sidero.dev(default/{id}@undefined) doesn't exist"
            ))),
        }
    }
}

/// `oidc.OIDCService`: completes an OIDC login for a signed caller.
pub struct OidcSvc {
    pub core: Arc<Core>,
}

#[tonic::async_trait]
impl crate::pb::oidc::oidc_service_server::OidcService for OidcSvc {
    async fn authenticate(
        &self,
        req: Request<crate::pb::oidc::AuthenticateRequest>,
    ) -> Result<Response<crate::pb::oidc::AuthenticateResponse>, Status> {
        let caller = self
            .core
            .signed(req.metadata(), "/oidc.OIDCService/Authenticate")
            .await?;
        let id = req.into_inner().auth_request_id;
        if id.is_empty() {
            return Err(Status::invalid_argument("auth request id is required"));
        }
        let code = crate::auth::uuid_like(&format!("{id}/{}", caller.identity));
        Ok(Response::new(crate::pb::oidc::AuthenticateResponse {
            redirect_url: format!("http://localhost:8000/callback?code={code}&state={id}"),
            auth_code: code,
        }))
    }
}
