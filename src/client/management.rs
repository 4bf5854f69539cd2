//! `management.ManagementService`: configuration downloads (kubeconfig, talosconfig,
//! omniconfig). Cluster selection travels as the `cluster` metadata entry, as Omni's router
//! reads it.

use crate::auth::Metadata;
use crate::proto::management as pb;
use crate::transport::{CallKind, CallOptions};
use crate::{Error, Result};

use super::OmniClient;

const SVC: &str = "/management.ManagementService/";

/// Parameters of [`Management::kubeconfig`] (omnictl `kubeconfig` flags).
#[derive(Clone, Debug, Default)]
pub struct KubeconfigParams {
    /// The cluster (required).
    pub cluster: String,
    /// A service-account kubeconfig (needs `service_account_user` and a TTL).
    pub service_account: bool,
    /// TTL of a service-account kubeconfig, in seconds.
    pub service_account_ttl_secs: Option<i64>,
    /// Service-account user name.
    pub service_account_user: String,
    /// Service-account groups (omnictl default `system:masters`).
    pub service_account_groups: Vec<String>,
    /// OIDC grant type: "", "auto", "authcode", "authcode-keyboard".
    pub grant_type: String,
    /// Break-glass (admin-only) kubeconfig.
    pub break_glass: bool,
    /// `--oidc-cache-base-dir` written into the kubeconfig's oidc-login exec arguments.
    pub oidc_cache_base_dir: String,
    /// `--oidc-cache-isolation`: a token cache per Omni instance.
    pub oidc_cache_isolation: bool,
}

impl KubeconfigParams {
    /// A user kubeconfig for `cluster`.
    pub fn for_cluster(cluster: &str) -> Self {
        KubeconfigParams {
            cluster: cluster.to_string(),
            ..KubeconfigParams::default()
        }
    }
}

/// The management RPCs of one client.
#[derive(Clone, Debug)]
pub struct Management {
    pub(super) client: OmniClient,
}

pub(super) fn cluster_md(cluster: &str) -> Metadata {
    let mut md = Metadata::new();
    if !cluster.is_empty() {
        md.set("cluster", cluster);
    }
    md
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::Decode(format!("{what} is not UTF-8")))
}

impl OmniClient {
    /// The management RPCs.
    pub fn management(&self) -> Management {
        Management {
            client: self.clone(),
        }
    }
}

impl Management {
    /// A kubeconfig for a cluster (`omnictl kubeconfig`).
    ///
    /// # Errors
    /// [`crate::Code::InvalidArgument`] without a cluster; server errors (NotFound, PermissionDenied).
    pub async fn kubeconfig(&self, p: &KubeconfigParams, opts: &CallOptions) -> Result<String> {
        if p.cluster.is_empty() {
            return Err(Error::InvalidArgument("kubeconfig needs a cluster".into()));
        }
        // a service account is created, break-glass access marks the cluster: writes
        self.client.transport().refuse_write(
            &format!("{SVC}Kubeconfig"),
            p.service_account || p.break_glass,
        )?;
        let req = pb::KubeconfigRequest {
            service_account: p.service_account,
            service_account_ttl: p.service_account_ttl_secs.map(|s| pbjson_types::Duration {
                seconds: s,
                nanos: 0,
            }),
            service_account_user: p.service_account_user.clone(),
            service_account_groups: p.service_account_groups.clone(),
            grant_type: p.grant_type.clone(),
            break_glass: p.break_glass,
            oidc_cache_base_dir: p.oidc_cache_base_dir.clone(),
            oidc_cache_isolation: p.oidc_cache_isolation,
        };
        let resp: pb::KubeconfigResponse = self
            .client
            .transport()
            .unary(
                &format!("{SVC}Kubeconfig"),
                cluster_md(&p.cluster),
                &req,
                CallKind::Read,
                opts,
            )
            .await?;
        utf8(resp.kubeconfig, "kubeconfig")
    }

    /// A talosconfig for a cluster, or instance-wide when `cluster` is empty.
    ///
    /// # Errors
    /// Server errors.
    pub async fn talosconfig(
        &self,
        cluster: &str,
        break_glass: bool,
        opts: &CallOptions,
    ) -> Result<String> {
        let req = pb::TalosconfigRequest {
            raw: false,
            break_glass,
        };
        let resp: pb::TalosconfigResponse = self
            .client
            .transport()
            .unary(
                &format!("{SVC}Talosconfig"),
                cluster_md(cluster),
                &req,
                CallKind::Read,
                opts,
            )
            .await?;
        utf8(resp.talosconfig, "talosconfig")
    }

    /// The omniconfig for the caller (`omnictl` configuration file).
    ///
    /// # Errors
    /// Server errors.
    pub async fn omniconfig(&self, opts: &CallOptions) -> Result<String> {
        let resp: pb::OmniconfigResponse = self
            .client
            .transport()
            .unary(
                &format!("{SVC}Omniconfig"),
                Metadata::new(),
                &pbjson_types::Empty {},
                CallKind::Read,
                opts,
            )
            .await?;
        utf8(resp.omniconfig, "omniconfig")
    }
}
