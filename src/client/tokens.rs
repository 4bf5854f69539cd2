//! Join tokens (`omnictl jointoken ...`), the SideroLink connection mode of machines
//! (`omnictl configure machine`) and infra providers (`omnictl infraprovider ...`): the
//! resource side of those commands (the RPC side is in `rpc.rs`).

use serde::Serialize;
use serde_json::{json, Value};

use super::OmniClient;
use crate::resource::{Resource, ResourceMetadata};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

const JOIN_TOKEN: &str = "JoinTokens.omni.sidero.dev";
const JOIN_TOKEN_STATUS: &str = "JoinTokenStatuses.omni.sidero.dev";
const DEFAULT_JOIN_TOKEN: &str = "DefaultJoinTokens.omni.sidero.dev";
const SIDEROLINK_API_CONFIG: &str = "SiderolinkAPIConfigs.omni.sidero.dev";
const GRPC_TUNNEL_CONFIG: &str = "GRPCTunnelConfigs.omni.sidero.dev";
const MACHINE: &str = "Machines.omni.sidero.dev";
const INFRA_PROVIDER: &str = "InfraProviders.omni.sidero.dev";
const INFRA_PROVIDER_STATUS: &str = "InfraProviderCombinedStatuses.omni.sidero.dev";

/// A join token as `omnictl jointoken list` shows it (from its JoinTokenStatus).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinTokenInfo {
    /// The token (also its id).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE`, `REVOKED`, `EXPIRED` or `UNKNOWN`.
    pub state: String,
    /// Expiry (RFC 3339), `None` = never.
    pub expiration: Option<String>,
    /// Machines that joined with it.
    pub use_count: u64,
    /// It is the default token.
    pub is_default: bool,
    /// Machines that would lose their connection if the token went away.
    pub warnings: Vec<JoinTokenWarning>,
}

/// A machine that depends on a join token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JoinTokenWarning {
    /// The machine id.
    pub machine: String,
    /// Why.
    pub message: String,
}

impl JoinTokenInfo {
    fn from_status(r: &Resource) -> JoinTokenInfo {
        let s = &r.spec;
        let text = |k: &str| {
            s.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let use_count = match s.get("use_count") {
            Some(Value::String(n)) => n.parse().unwrap_or(0),
            Some(v) => v.as_u64().unwrap_or(0),
            None => 0,
        };
        JoinTokenInfo {
            id: r.metadata.id.clone(),
            name: text("name"),
            state: match s.get("state").and_then(Value::as_i64).unwrap_or(0) {
                1 => "ACTIVE",
                2 => "REVOKED",
                3 => "EXPIRED",
                _ => "UNKNOWN",
            }
            .to_string(),
            expiration: s
                .get("expiration_time")
                .and_then(Value::as_str)
                .map(str::to_string),
            use_count,
            is_default: s
                .get("is_default")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            warnings: s
                .get("warnings")
                .and_then(Value::as_array)
                .map(|ws| {
                    ws.iter()
                        .map(|w| JoinTokenWarning {
                            machine: w
                                .get("machine")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            message: w
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// How a machine reaches Omni over SideroLink (`omnictl configure machine
/// --siderolink-connection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiderolinkConnection {
    /// WireGuard over UDP.
    Udp,
    /// WireGuard tunnelled over HTTP/2 (gRPC tunnel).
    HttpTunnel,
    /// Whatever the server enforces by default.
    Auto,
}

impl SiderolinkConnection {
    /// Parse `udp`, `http-tunnel` or `auto`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] with omnictl's message for anything else.
    pub fn parse(s: &str) -> Result<SiderolinkConnection> {
        match s {
            "udp" => Ok(SiderolinkConnection::Udp),
            "http-tunnel" => Ok(SiderolinkConnection::HttpTunnel),
            "auto" => Ok(SiderolinkConnection::Auto),
            other => Err(Error::InvalidArgument(format!(
                "unknown mode {other:?}, should be one of [udp,http-tunnel,auto]"
            ))),
        }
    }
}

/// An infra provider as `omnictl infraprovider list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InfraProviderInfo {
    /// The provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version it reports.
    pub version: String,
    /// Description it reports.
    pub description: String,
    /// Connected now.
    pub connected: bool,
    /// Its last health error.
    pub error: String,
}

/// Join tokens, machine connection settings and infra providers of one client.
#[derive(Clone, Debug)]
pub struct Tokens {
    client: OmniClient,
}

impl OmniClient {
    /// Join tokens, machine connection settings and infra providers.
    pub fn tokens(&self) -> Tokens {
        Tokens {
            client: self.clone(),
        }
    }
}

impl Tokens {
    /// Every join token with its state (`omnictl jointoken list`), sorted by id.
    ///
    /// # Errors
    /// Server errors.
    pub async fn list_join_tokens(&self, opts: &CallOptions) -> Result<Vec<JoinTokenInfo>> {
        let h = self
            .client
            .resources_in(JOIN_TOKEN_STATUS, "default")
            .await?;
        let mut out: Vec<JoinTokenInfo> = h
            .list(&Default::default(), opts)
            .await?
            .iter()
            .map(JoinTokenInfo::from_status)
            .collect();
        crate::order::sort_by_str(&mut out, |t| t.id.as_str());
        Ok(out)
    }

    /// One join token's state, including the machines that depend on it (check these
    /// before revoking or deleting, as omnictl does).
    ///
    /// # Errors
    /// `NOT_FOUND`, server errors.
    pub async fn join_token(&self, id: &str, opts: &CallOptions) -> Result<JoinTokenInfo> {
        let h = self
            .client
            .resources_in(JOIN_TOKEN_STATUS, "default")
            .await?;
        Ok(JoinTokenInfo::from_status(&h.get(id, opts).await?))
    }

    /// Resolve `omnictl jointoken ... --token-id | --token-name`: by id, by name (`initial`
    /// also matches an unnamed token), or the default token when both are empty.
    ///
    /// # Errors
    /// `NOT_FOUND` with omnictl's messages.
    pub async fn resolve_join_token(
        &self,
        id: &str,
        name: &str,
        opts: &CallOptions,
    ) -> Result<String> {
        let tokens = self.client.resources_in(JOIN_TOKEN, "default").await?;
        if !id.is_empty() {
            return match tokens.get_opt(id, opts).await? {
                Some(_) => Ok(id.to_string()),
                None => Err(not_found(format!(
                    "join token with ID {id:?} was not found"
                ))),
            };
        }
        if name.is_empty() {
            let d = self
                .client
                .resources_in(DEFAULT_JOIN_TOKEN, "default")
                .await?
                .get("default", opts)
                .await?;
            return Ok(d
                .spec
                .get("token_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string());
        }
        for t in tokens.list(&Default::default(), opts).await? {
            let n = t
                .spec
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if n == name || (name == "initial" && n.is_empty()) {
                return Ok(t.metadata.id);
            }
        }
        Err(not_found(format!(
            "join token with name {name:?} was not found"
        )))
    }

    /// Revoke or un-revoke a join token (`omnictl jointoken revoke|unrevoke`). Machines in
    /// [`JoinTokenInfo::warnings`] lose their connection when it is revoked.
    ///
    /// # Errors
    /// `NOT_FOUND`, permission errors.
    pub async fn set_join_token_revoked(
        &self,
        id: &str,
        revoked: bool,
        opts: &CallOptions,
    ) -> Result<Resource> {
        self.client
            .operations()
            .modify(JOIN_TOKEN, id, opts, |r| {
                set_field(&mut r.spec, "revoked", json!(revoked));
            })
            .await
    }

    /// Give a join token a new expiry `ttl_secs` from now (`omnictl jointoken renew`).
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for a zero TTL, `NOT_FOUND`.
    pub async fn renew_join_token(
        &self,
        id: &str,
        ttl_secs: i64,
        opts: &CallOptions,
    ) -> Result<Resource> {
        if ttl_secs <= 0 {
            return Err(Error::InvalidArgument(
                "ttl should be greater than 0".into(),
            ));
        }
        let at = self.client.transport().server_now() + ttl_secs;
        let stamp = serde_json::to_value(pbjson_types::Timestamp {
            seconds: at,
            nanos: 0,
        })
        .map_err(|e| Error::Decode(e.to_string()))?;
        self.client
            .operations()
            .modify(JOIN_TOKEN, id, opts, |r| {
                set_field(&mut r.spec, "expiration_time", stamp.clone());
            })
            .await
    }

    /// Make a token the default one (`omnictl jointoken make-default`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn make_default_join_token(&self, id: &str, opts: &CallOptions) -> Result<Resource> {
        self.client
            .operations()
            .modify(DEFAULT_JOIN_TOKEN, "default", opts, |r| {
                set_field(&mut r.spec, "token_id", json!(id));
            })
            .await
    }

    /// Tear down and destroy a join token (`omnictl jointoken delete`); `false` when it did
    /// not exist.
    ///
    /// # Errors
    /// Server errors.
    pub async fn delete_join_token(&self, id: &str, opts: &CallOptions) -> Result<bool> {
        let h = self.client.resources_in(JOIN_TOKEN, "default").await?;
        Ok(h.delete(id, opts).await?.destroyed)
    }

    /// The URL machines join with for a token (`omnictl jointoken omni-endpoint`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn join_endpoint(&self, token: &str, opts: &CallOptions) -> Result<String> {
        let cfg = self
            .client
            .resources_in(SIDEROLINK_API_CONFIG, "default")
            .await?
            .get("siderolink-config", opts)
            .await?;
        let url = cfg
            .spec
            .get("machine_api_advertised_url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}jointoken={token}"))
    }

    /// Set how a machine connects (`omnictl configure machine --siderolink-connection`);
    /// returns omnictl's message, or `None` when nothing changed.
    ///
    /// # Errors
    /// `NOT_FOUND` (`machine with id X doesn't exist`), permission errors.
    pub async fn set_siderolink_connection(
        &self,
        machine: &str,
        mode: SiderolinkConnection,
        opts: &CallOptions,
    ) -> Result<Option<String>> {
        let machines = self.client.resources_in(MACHINE, "default").await?;
        if machines.get_opt(machine, opts).await?.is_none() {
            return Err(not_found(format!(
                "machine with id {machine} doesn't exist"
            )));
        }
        let h = self
            .client
            .resources_in(GRPC_TUNNEL_CONFIG, "default")
            .await?;
        const DELAY: &str =
            "It will take around 4m35s for the machine to reconnect back in the new mode.";
        let enabled = match mode {
            SiderolinkConnection::Auto => {
                h.delete(machine, opts).await?;
                return Ok(Some(format!(
                    "deleted grpc tunnel config for the machine {machine}\n{DELAY}\nWARNING: the changes won't be applied until the machine is restarted"
                )));
            }
            SiderolinkConnection::Udp => false,
            SiderolinkConnection::HttpTunnel => true,
        };
        let current = h.get_opt(machine, opts).await?;
        let was = current
            .as_ref()
            .and_then(|r| r.spec.get("enabled").and_then(Value::as_bool))
            .unwrap_or(false);
        match current {
            Some(_) if was == enabled => return Ok(None),
            Some(_) => {
                self.client
                    .operations()
                    .modify(GRPC_TUNNEL_CONFIG, machine, opts, |r| {
                        set_field(&mut r.spec, "enabled", json!(enabled));
                    })
                    .await?;
            }
            None => {
                let md = ResourceMetadata::new("default", GRPC_TUNNEL_CONFIG, machine);
                h.create(&Resource::new(md, json!({ "enabled": enabled })), opts)
                    .await?;
                if !enabled {
                    return Ok(None);
                }
            }
        }
        let verb = if enabled { "enabled" } else { "disabled" };
        Ok(Some(format!(
            "{verb} gRPC tunnel mode for machine {machine}\n{DELAY}"
        )))
    }

    /// Create an infra provider and its service account (`omnictl infraprovider create`);
    /// returns the account's `OMNI_SERVICE_ACCOUNT_KEY` (show it once).
    ///
    /// # Errors
    /// `ALREADY_EXISTS`, permission errors.
    #[cfg(feature = "full")]
    pub async fn create_infra_provider(
        &self,
        name: &str,
        ttl_secs: Option<u32>,
        opts: &CallOptions,
    ) -> Result<zeroize::Zeroizing<String>> {
        let h = self
            .client
            .resources_in(INFRA_PROVIDER, "infra-provider")
            .await?;
        let md = ResourceMetadata::new("infra-provider", INFRA_PROVIDER, name);
        h.create(&Resource::new(md, json!({})), opts).await?;
        self.client
            .management()
            .create_service_account(
                &format!("infra-provider:{name}"),
                Some("InfraProvider"),
                false,
                ttl_secs,
                opts,
            )
            .await
            .map(|k| k.key)
    }

    /// A new key for an infra provider's service account (`omnictl infraprovider renewkey`).
    ///
    /// # Errors
    /// `NOT_FOUND`, permission errors.
    #[cfg(feature = "full")]
    pub async fn renew_infra_provider_key(
        &self,
        name: &str,
        ttl_secs: Option<u32>,
        opts: &CallOptions,
    ) -> Result<zeroize::Zeroizing<String>> {
        self.client
            .management()
            .renew_service_account(&format!("infra-provider:{name}"), ttl_secs, opts)
            .await
            .map(|k| k.key)
    }

    /// Every infra provider with its health (`omnictl infraprovider list`).
    ///
    /// # Errors
    /// Server errors.
    pub async fn list_infra_providers(&self, opts: &CallOptions) -> Result<Vec<InfraProviderInfo>> {
        let h = self
            .client
            .resources_in(INFRA_PROVIDER_STATUS, "ephemeral")
            .await?;
        let mut out: Vec<InfraProviderInfo> = h
            .list(&Default::default(), opts)
            .await?
            .into_iter()
            .map(|r| {
                let s = &r.spec;
                let text = |k: &str| {
                    s.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                let health = s.get("health");
                InfraProviderInfo {
                    id: r.metadata.id.clone(),
                    name: text("name"),
                    version: text("version"),
                    description: text("description"),
                    connected: health
                        .and_then(|h| h.get("connected"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    error: health
                        .and_then(|h| h.get("error"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                }
            })
            .collect();
        crate::order::sort_by_str(&mut out, |t| t.id.as_str());
        Ok(out)
    }

    /// Remove an infra provider (`omnictl infraprovider delete`; its service account stays,
    /// as with omnictl). `false` when it did not exist.
    ///
    /// # Errors
    /// Server errors.
    pub async fn delete_infra_provider(&self, name: &str, opts: &CallOptions) -> Result<bool> {
        let h = self
            .client
            .resources_in(INFRA_PROVIDER, "infra-provider")
            .await?;
        Ok(h.delete(name, opts).await?.destroyed)
    }
}

fn set_field(spec: &mut Value, key: &str, v: Value) {
    if !spec.is_object() {
        *spec = json!({});
    }
    if let Some(m) = spec.as_object_mut() {
        m.insert(key.to_string(), v);
    }
}

fn not_found(message: String) -> Error {
    Error::Status {
        code: Code::NotFound,
        message,
        current_version: None,
    }
}
