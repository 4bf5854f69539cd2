//! How a command reaches Omni (upstream `client/pkg/omnictl/internal/access/client.go`): a
//! service-account key from the environment, else the omniconfig context's identity signing
//! with its stored key, else the interactive login that stores one.

use std::rc::Rc;

use super::global::Global;
use super::paths::{home, omniconfig_path};
use super::Host;
use crate::auth::PgpKey;
use crate::client::{OmniClient, PublicKeyMaterial};
use crate::config::{resolve, OmniConfig};
use crate::transport::{CallOptions, Protocol};
use crate::{Code, Error, Result};

/// omnictl's scheme for plain connections, as the HTTP the transports speak.
fn http_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("grpc://") {
        format!("http://{rest}")
    } else if let Some(rest) = url.strip_prefix("grpcs://") {
        format!("https://{rest}")
    } else {
        url.to_string()
    }
}

/// The key file of `identity` in `context` (`<dir>/<context>-<identity>.pgp`), where the keys
/// directory is `--siderov1-keys-dir`, else `$SIDEROV1_KEYS_DIR`, else `$HOME/.talos/keys`;
/// reading falls back to the deprecated `$XDG_DATA_HOME/omni/keys` when only that exists.
fn key_paths(
    g: &Global,
    context: &str,
    identity: &str,
    host: &dyn Host,
) -> Result<(String, String)> {
    let name = format!("{context}-{identity}.pgp");
    let dir = g
        .siderov1_keys_dir
        .clone()
        .filter(|d| !d.is_empty())
        .or_else(|| host.env("SIDEROV1_KEYS_DIR").filter(|d| !d.is_empty()))
        .unwrap_or_else(|| format!("{}/.talos/keys", home(host)));
    let main = format!("{dir}/{name}");
    let data = host
        .env("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("{}/.local/share", home(host)));
    let legacy = format!("{data}/omni/keys/{name}");
    let read = if host.read_file(&main)?.is_none() && host.read_file(&legacy)?.is_some() {
        legacy
    } else {
        main.clone()
    };
    Ok((read, main))
}

/// A connected client for the command line's global flags.
pub(super) async fn client(g: &Global, host: &dyn Host) -> Result<OmniClient> {
    client_at(g, host).await.map(|(c, _)| c)
}

/// [`client`] and the endpoint it reaches (as omnictl's `client.Endpoint()`).
pub(super) async fn client_at(g: &Global, host: &dyn Host) -> Result<(OmniClient, String)> {
    let path = omniconfig_path(g.omniconfig.as_deref(), host)?;
    let cfg = match host.read_file(&path)? {
        Some(text) => Some(OmniConfig::parse(&text)?),
        None => None,
    };
    let env = |name: &str| {
        if name == crate::config::ENDPOINT_ENV {
            if let Some(e) = &g.endpoint {
                return Some(e.clone());
            }
        }
        host.env(name)
    };
    let r = resolve(cfg.as_ref(), g.context.as_deref(), &env)?;
    let endpoint = http_url(&r.url);
    let protocol = if g.transport == "grpc-web" {
        Protocol::GrpcWeb
    } else {
        Protocol::Gateway
    };
    let builder = || -> Result<_> {
        let b = OmniClient::builder(&endpoint)
            .protocol(protocol)
            .allow_insecure_http(g.insecure_http);
        host.configure(b, g.insecure_skip_tls_verify)
    };
    if let Some(key) = &r.service_account_key {
        return Ok((builder()?.service_account_key(key)?.build()?, endpoint));
    }
    let (Some(identity), Some(context)) = (r.identity.as_deref(), r.context.as_deref()) else {
        return Err(Error::InvalidArgument(
            "no credentials: set OMNI_SERVICE_ACCOUNT_KEY, or an identity in the omniconfig context".into(),
        ));
    };
    let (read, write) = key_paths(g, context, identity, host)?;
    if let Some(armored) = host.read_file(&read)? {
        match PgpKey::from_armored(&armored, None, identity) {
            Ok(key) if key.expires_at().is_none_or(|t| t > host.now_unix()) => {
                return Ok((builder()?.signer(Rc::new(key)).build()?, endpoint));
            }
            // expired or unreadable: log in again, as omnictl does
            _ => host.remove_file(&read)?,
        }
    }
    let key = PgpKey::generate_user_key(identity, None, host.now_unix())?;
    let public = key.armored_public_key()?;
    let private = key.armored_private_key()?;
    let client = builder()?.signer(Rc::new(key)).build()?;
    let login = client.login();
    let reg = login
        .register(
            &PublicKeyMaterial::Pgp(public),
            identity,
            &CallOptions::default(),
        )
        .await?;
    host.stderr(&format!(
        "Please visit the page below to log in to Omni as {identity}:\n{}\n",
        reg.login_url
    ));
    loop {
        match login
            .await_confirmation(&reg.public_key_id, &CallOptions::default())
            .await
        {
            Ok(()) => break,
            Err(e) if e.code() == Code::DeadlineExceeded => continue,
            Err(e) => return Err(e),
        }
    }
    host.write_file(&write, &private, 0o600)?;
    Ok((client, endpoint))
}
