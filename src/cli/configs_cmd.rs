//! `omnictl kubeconfig` and `omnictl talosconfig` (upstream `client/pkg/omnictl/kubeconfig.go`,
//! `talosconfig.go`): where the file goes, whether it is merged, replaced or refused, what the
//! merge asks and prints.

use super::args::{KubeconfigArgs, TalosconfigArgs};
use super::global::Global;
use super::paths::{clean, home, join};
use super::{connect, Host};
use crate::client::{KubeconfigParams, OmniClient};
use crate::config::duration::parse_go_duration;
use crate::config::{merge_kubeconfig, merge_talosconfig, MergeOptions};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

const CLUSTERS: &str = "Clusters.omni.sidero.dev";

/// The target file: `path`, else the merge target or the working directory; a directory
/// stands for `<dir>/<file_name>`. Returns the path and whether a file is there.
fn target(
    path: Option<String>,
    merge_default: impl FnOnce() -> Result<String>,
    merge: bool,
    file_name: &str,
    host: &dyn Host,
) -> Result<(String, bool)> {
    let p = match path {
        Some(p) => p,
        None if merge => merge_default()?,
        None => host.cwd(),
    };
    let mut p = clean(&p);
    if host.is_dir(&p) {
        p = join(&p, file_name);
    }
    let exists = host.read_file(&p)?.is_some();
    Ok((p, exists))
}

/// `kubeconfig.SinglePath` (siderolabs/go-kubeconfig): the one file `$KUBECONFIG` names,
/// else `$HOME/.kube/config`.
fn kubeconfig_single_path(host: &dyn Host) -> Result<String> {
    let list = host.env("KUBECONFIG").unwrap_or_default();
    let paths: Vec<&str> = list.split(':').filter(|p| !p.is_empty()).collect();
    match paths.as_slice() {
        [] => Ok(join(&home(host), ".kube/config")),
        [one] => Ok((*one).to_string()),
        _ => Err(Error::InvalidArgument(
            "multiple kubeconfig files defined".into(),
        )),
    }
}

async fn cluster_exists(client: &OmniClient, cluster: &str) -> Result<bool> {
    let clusters = client.resources_in(CLUSTERS, "default").await?;
    Ok(clusters
        .get_opt(cluster, &CallOptions::default())
        .await?
        .is_some())
}

/// `omnictl kubeconfig [local-path] -c CLUSTER ...`.
pub(super) async fn kubeconfig(g: &Global, a: KubeconfigArgs, host: &dyn Host) -> Result<()> {
    let ttl = parse_go_duration(&a.ttl)?;
    if a.service_account && a.user.as_deref().unwrap_or_default().is_empty() {
        return Err(Error::InvalidArgument(
            "--user flag is required when --service-account is set to true".into(),
        ));
    }
    let (path, exists) = target(
        a.path,
        || kubeconfig_single_path(host),
        a.merge,
        "kubeconfig",
        host,
    )?;
    if exists && !a.force && !a.merge {
        return Err(Error::InvalidArgument(format!(
            "kubeconfig file already exists, use --force to overwrite: {path:?}"
        )));
    }
    let merge = a.merge && exists;
    let client = connect::client(g, host).await?;
    match cluster_exists(&client, &a.cluster).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::InvalidArgument(format!(
                "cluster not found: {:?}",
                a.cluster
            )))
        }
        Err(e) => {
            return Err(Error::InvalidArgument(format!(
                "failed to check if cluster '{}' exists: {e}",
                a.cluster
            )))
        }
    }
    let params = KubeconfigParams {
        cluster: a.cluster.clone(),
        service_account: a.service_account,
        service_account_ttl_secs: a
            .service_account
            .then(|| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
        service_account_user: a.user.unwrap_or_default(),
        service_account_groups: if a.service_account {
            a.groups
        } else {
            Vec::new()
        },
        grant_type: a.grant_type,
        break_glass: a.break_glass,
        oidc_cache_base_dir: a.oidc_cache_base_dir,
        oidc_cache_isolation: a.oidc_cache_isolation,
    };
    let data = match client
        .management()
        .kubeconfig(&params, &CallOptions::default())
        .await
    {
        Err(e) if e.code() == Code::NotFound => {
            return Err(Error::InvalidArgument(format!(
                "cluster {} not found",
                a.cluster
            )))
        }
        other => other?,
    };
    let forced = a.force_context_name.filter(|n| !n.is_empty());
    if merge {
        let existing = host.read_file(&path)?.unwrap_or_default();
        let mut opts = MergeOptions {
            force_context_name: forced,
            force: a.force,
            overwrite: Vec::new(),
        };
        // go-kubeconfig's conflict handler: overwrite with --force, rename when stdout is not a
        // terminal, otherwise ask for each conflict
        if !a.force && host.is_terminal() {
            for r in merge_kubeconfig(&existing, &data, &opts)?.renamed {
                let question = format!(
                    "{} {:?} already exists [(r)ename/(o)verwrite]: ",
                    r.kind.as_str(),
                    r.from
                );
                loop {
                    let Some(answer) = host.prompt(&question).await? else {
                        return Err(Error::InvalidArgument("EOF".into()));
                    };
                    match answer.trim().to_lowercase().as_str() {
                        "overwrite" | "o" => {
                            opts.overwrite.push((r.kind, r.from.clone()));
                            break;
                        }
                        "rename" | "r" => break,
                        _ => {}
                    }
                }
            }
        }
        let merged = merge_kubeconfig(&existing, &data, &opts)?;
        for m in merged.messages() {
            host.stdout(&format!("{m}\n"));
        }
        return host.write_file(&path, &merged.text, 0o600);
    }
    if let Some(name) = forced {
        let opts = MergeOptions {
            force_context_name: Some(name),
            ..MergeOptions::default()
        };
        let renamed = merge_kubeconfig("", &data, &opts)?;
        return host.write_file(&path, &renamed.text, 0o600);
    }
    host.write_file(&path, &data, 0o640)
}

/// `omnictl talosconfig [local-path] [-c CLUSTER] ...`.
pub(super) async fn talosconfig(g: &Global, a: TalosconfigArgs, host: &dyn Host) -> Result<()> {
    // talos `config.GetTalosDirectory`: `$HOME/.talos` (no environment variable)
    let (path, exists) = target(
        a.path,
        || Ok(join(&home(host), ".talos/config")),
        a.merge,
        "talosconfig",
        host,
    )?;
    if exists && !a.force && !a.merge {
        return Err(Error::InvalidArgument(format!(
            "talosconfig file already exists, use --force to overwrite: {path:?}"
        )));
    }
    let merge = a.merge && exists;
    let client = connect::client(g, host).await?;
    let cluster = a.cluster.unwrap_or_default();
    if !cluster.is_empty() && !cluster_exists(&client, &cluster).await? {
        host.stderr(&format!("warning: cluster {cluster:?} does not exist\n"));
    }
    let data = client
        .management()
        .talosconfig(&cluster, a.break_glass, &CallOptions::default())
        .await?;
    if merge {
        let existing = host.read_file(&path)?.unwrap_or_default();
        let merged = merge_talosconfig(&existing, &data)?;
        for m in merged.messages() {
            host.stdout(&format!("{m}\n"));
        }
        return host.write_file(&path, &merged.text, 0o600);
    }
    host.write_file(&path, &data, 0o640)
}
