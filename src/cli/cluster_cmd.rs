//! `omnictl cluster ...` (upstream `client/pkg/omnictl/cluster/**`, the operations in
//! `client/pkg/template/operations`): status, delete, locks, machines, Kubernetes, secret
//! rotation, import abort and cluster templates.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, Subcommand};
use futures::StreamExt as _;

use super::global::Global;
use super::paths::{clean, join};
use super::{connect, Host};
use crate::client::{MachineDelete, OmniClient, SecretComponent, SyncReport};
use crate::config::duration::parse_go_duration;
use crate::template::{Engine, Rendered, Stage, Template, TemplateEngine as _};
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

/// `omnictl cluster` (`cluster/cluster.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Show cluster status, wait for the cluster to be ready.
    #[command(
        long_about = "Shows current cluster status, if the terminal supports it, watch the status as it updates. The command waits for the cluster to be ready by default."
    )]
    Status {
        #[arg(value_name = "cluster-name")]
        cluster: String,
        /// suppress output
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        quiet: bool,
        /// wait timeout, if zero, report current status and exit
        #[arg(short, long, default_value = "5m0s", value_name = "duration")]
        wait: String,
    },
    /// Delete all cluster resources.
    #[command(
        long_about = "Delete all resources related to the cluster. The command waits for the cluster to be fully destroyed."
    )]
    Delete {
        #[arg(value_name = "cluster-name")]
        cluster: String,
        #[command(flatten)]
        sync: SyncFlags,
        /// removes all disconnected machines which are part of the cluster from Omni
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
              default_value = "false", value_name = "bool")]
        destroy_disconnected_machines: bool,
    },
    /// Lock the cluster
    #[command(
        long_about = "When locked, no config updates, upgrades and downgrades will be performed on the cluster."
    )]
    Lock {
        #[arg(value_name = "cluster-id")]
        cluster: String,
    },
    /// Unlock the cluster
    #[command(
        long_about = "Removes the lock from the cluster, so it can be updated, upgraded or downgraded."
    )]
    Unlock {
        #[arg(value_name = "cluster-id")]
        cluster: String,
    },
    /// Machine related commands.
    #[command(subcommand)]
    Machine(MachineCommand),
    /// Cluster Kubernetes management subcommands.
    #[command(subcommand, visible_alias = "k")]
    Kubernetes(KubernetesCommand),
    /// Cluster secret management subcommands.
    Secret(SecretArgs),
    /// Cluster import related commands.
    Import(ImportArgs),
    /// Cluster template management subcommands.
    #[command(visible_alias = "t")]
    Template(TemplateArgs),
}

/// `-v` and `-d` of the template operations.
#[derive(Debug, Args)]
pub(crate) struct SyncFlags {
    /// verbose output (show diff for each resource)
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    verbose: bool,
    /// dry run
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    dry_run: bool,
}

/// `omnictl cluster machine` (`cluster/machine.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum MachineCommand {
    /// Lock the machine
    #[command(
        long_about = "When locked, no config updates, upgrades and downgrades will be performed on the machine."
    )]
    Lock {
        #[arg(value_name = "machine-id")]
        machine: String,
    },
    /// Unlock the machine
    #[command(
        long_about = "Removes the lock from the machine, so it can be updated, upgraded or downgraded."
    )]
    Unlock {
        #[arg(value_name = "machine-id")]
        machine: String,
    },
    /// Delete the machine from the cluster
    #[command(visible_aliases = ["rm", "destroy"],
              long_about = "Removes the machine from the cluster: tears down its MachineSetNode and waits for its ClusterMachine to be destroyed.")]
    Delete {
        #[arg(value_name = "machine-id")]
        machine: String,
        /// force leave etcd
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
              default_value = "false", value_name = "bool")]
        force_etcd_leave: bool,
        /// force delete the machine, skipping wipe
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        force: bool,
        /// do not ask for confirmation when using --force-etcd-leave
        #[arg(short = 'y', long = "yes-i-am-really-sure", num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        yes: bool,
        /// timeout for the machine deletion
        #[arg(short, long, default_value = "5m0s", value_name = "duration")]
        timeout: String,
    },
}

/// `omnictl cluster kubernetes` (`cluster/kubernetes/*.go`).
#[derive(Debug, Subcommand)]
pub(crate) enum KubernetesCommand {
    /// Sync Kubernetes bootstrap manifests from Talos controlplane nodes to Kubernetes API.
    #[command(
        name = "manifest-sync",
        long_about = "Sync Kubernetes bootstrap manifests from Talos controlplane nodes to Kubernetes API.\nBootstrap manifests might be updated with Talos version update, Kubernetes upgrade, and config patching.\nTalos keeps manifests up to date with these changes, but manifests are not synced automatically to Kubernetes API.\nThis command syncs manifests from Talos controlplane nodes to Kubernetes API."
    )]
    ManifestSync {
        #[arg(value_name = "cluster-name")]
        cluster: String,
        /// don't actually sync manifests, just print what would be done
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
              default_value = "true", value_name = "bool")]
        dry_run: bool,
    },
    /// Run Kubernetes upgrade pre-checks for the cluster.
    #[command(
        name = "upgrade-pre-checks",
        long_about = "Verify that upgrading Kubernetes version is available for the cluster: version compatibility, deprecated APIs, etc."
    )]
    UpgradePreChecks {
        #[arg(value_name = "cluster-name")]
        cluster: String,
        /// target Kubernetes version for the planned upgrade
        #[arg(long, required = true, value_name = "string")]
        to: String,
    },
}

/// `omnictl cluster secret` (`cluster/secret/secret.go`).
#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    /// cluster name
    #[arg(short, long, global = true, default_value = "", value_name = "string")]
    name: String,
    #[command(subcommand)]
    command: SecretCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Rotate cluster secrets, wait for the rotation to complete.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// wait for the secret rotation to complete
    #[arg(short, long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "true", value_name = "bool")]
    wait: bool,
    /// wait timeout for secret rotation, if zero, wait indefinitely
    #[arg(
        short = 't',
        long,
        global = true,
        default_value = "5m0s",
        value_name = "duration"
    )]
    wait_timeout: String,
    #[command(subcommand)]
    command: RotateCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RotateCommand {
    /// Rotate Talos CA certificate.
    #[command(name = "talos-ca")]
    TalosCa,
    /// Rotate Kubernetes CA certificate.
    #[command(name = "kubernetes-ca")]
    KubernetesCa,
    /// Show secret rotation status, wait for the rotation to complete.
    Status,
}

/// `omnictl cluster import` (`cluster/import.go`): only `abort` works here.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ImportArgs {
    #[command(subcommand)]
    command: Option<ImportCommand>,
    /// (the import itself needs direct Talos API access; not available in omni-wasm)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Abort an ongoing cluster import operation
    Abort {
        #[arg(value_name = "cluster name")]
        cluster: String,
    },
}

/// `omnictl cluster template` (`cluster/template/*.go`) with its persistent `--allowed-dir`.
#[derive(Debug, Args)]
pub(crate) struct TemplateArgs {
    /// allowed directory for file access in the template; relative paths are resolved against the template file's directory.
    #[arg(long, global = true, default_value = "./", value_name = "string")]
    allowed_dir: String,
    #[command(subcommand)]
    command: TemplateCommand,
}

/// `-f` of the template commands.
#[derive(Debug, Args)]
pub(crate) struct TemplateFile {
    /// path to the cluster template file or directory.
    #[arg(short, long, required = true, value_name = "string")]
    file: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TemplateCommand {
    /// Render a cluster template to a set of resources.
    Render {
        #[command(flatten)]
        file: TemplateFile,
    },
    /// Validate a cluster template.
    Validate {
        #[command(flatten)]
        file: TemplateFile,
    },
    /// Apply template to the Omni.
    Sync {
        #[command(flatten)]
        file: TemplateFile,
        #[command(flatten)]
        sync: SyncFlags,
    },
    /// Show diff in resources if the template is synced.
    Diff {
        #[command(flatten)]
        file: TemplateFile,
    },
    /// Export a cluster template from an existing cluster on Omni.
    Export {
        /// cluster name
        #[arg(short, long, required = true, value_name = "string")]
        cluster: String,
        /// output file (default: stdout)
        #[arg(short, long, default_value = "", value_name = "string")]
        output: String,
        /// include kernel arguments (KernelArgs resources) in the exported template
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
              default_value = "false", value_name = "bool")]
        include_kernel_args: bool,
        /// overwrite output file if it exists
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        force: bool,
    },
    /// Show template cluster status, wait for the cluster to be ready.
    Status {
        #[command(flatten)]
        file: TemplateFile,
        /// suppress output
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        quiet: bool,
        /// wait timeout, if zero, report current status and exit
        #[arg(short, long, default_value = "5m0s", value_name = "duration")]
        wait: String,
    },
    /// Delete all cluster template resources from Omni.
    Delete {
        #[command(flatten)]
        file: TemplateFile,
        #[command(flatten)]
        sync: SyncFlags,
        /// removes all disconnected machines which are part of the cluster from Omni
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
              default_value = "false", value_name = "bool")]
        destroy_disconnected_machines: bool,
    },
}

pub(super) async fn run(g: &Global, cmd: ClusterCommand, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match cmd {
        ClusterCommand::Status {
            cluster,
            quiet,
            wait,
        } => {
            let wait = parse_go_duration(&wait)?;
            let client = connect::client(g, host).await?;
            status(&client, &cluster, wait, quiet, host).await
        }
        ClusterCommand::Delete {
            cluster,
            sync,
            destroy_disconnected_machines,
        } => delete_cluster(g, &cluster, &sync, destroy_disconnected_machines, host).await,
        ClusterCommand::Lock { cluster } => set_cluster_locked(g, &cluster, true, host).await,
        ClusterCommand::Unlock { cluster } => set_cluster_locked(g, &cluster, false, host).await,
        ClusterCommand::Machine(m) => machine(g, m, host).await,
        ClusterCommand::Kubernetes(k) => kubernetes(g, k, host).await,
        ClusterCommand::Secret(s) => secret(g, s, host).await,
        ClusterCommand::Import(i) => match i.command {
            Some(ImportCommand::Abort { cluster }) => {
                if cluster.is_empty() {
                    return Err(Error::InvalidArgument("cluster name is required".into()));
                }
                let client = connect::client(g, host).await?;
                client
                    .operations()
                    .abort_cluster_import(&cluster, &call)
                    .await
                    .map_err(|e| {
                        Error::InvalidArgument(format!(
                            "failed to abort import operation for cluster {cluster:?}: {e}"
                        ))
                    })?;
                host.stderr(&format!(
                    "import operation was aborted successfully for cluster {cluster:?}\n"
                ));
                Ok(())
            }
            None => Err(Error::InvalidArgument(
                "cluster import needs direct Talos API access to the nodes, which omni-wasm does not have; only `cluster import abort <cluster name>` is available".into(),
            )),
        },
        ClusterCommand::Template(t) => template(g, t, host).await,
    }
}

async fn set_cluster_locked(g: &Global, cluster: &str, lock: bool, host: &dyn Host) -> Result<()> {
    let client = connect::client(g, host).await?;
    client
        .operations()
        .set_cluster_locked(cluster, lock, &CallOptions::default())
        .await?;
    host.stderr(&format!("cluster {cluster:?} lock status: {lock}\n"));
    Ok(())
}

/// The actions of a template operation, and with `verbose` its diff first (operations.go).
fn print_report(report: &SyncReport, verbose: bool, host: &dyn Host) {
    if verbose && !report.diff.is_empty() {
        host.stdout(&report.diff);
        if !report.diff.ends_with('\n') {
            host.stdout("\n");
        }
    }
    for a in &report.actions {
        host.stdout(&format!("{a}\n"));
    }
}

/// `cluster status` / `cluster template status`: the status tree, re-read every second until
/// the cluster is healthy or `wait` runs out; with a zero `wait`, the current status once.
async fn status(
    client: &OmniClient,
    cluster: &str,
    wait: Duration,
    quiet: bool,
    host: &dyn Host,
) -> Result<()> {
    let templates = client.templates();
    if wait.is_zero() {
        let st = templates
            .cluster_status(cluster, &CallOptions::default())
            .await?;
        let Some((tree, healthy)) = st else {
            return Err(Error::InvalidArgument(format!(
                "cluster {cluster:?} has no status yet"
            )));
        };
        if !quiet {
            host.stdout(&with_newline(&tree));
        }
        return if healthy {
            Ok(())
        } else {
            Err(Error::InvalidArgument("cluster is not healthy".into()))
        };
    }
    let opts = CallOptions::default().with_timeout(wait);
    let mut updates = templates.status_updates(cluster, Duration::from_secs(1), true, opts);
    while let Some(update) = updates.next().await {
        match update {
            Ok(Some((tree, healthy))) => {
                if !quiet {
                    host.stdout(&with_newline(&tree));
                }
                if healthy {
                    return Ok(());
                }
            }
            Ok(None) => {}
            Err(e) if e.code() == Code::DeadlineExceeded => {
                return Err(Error::InvalidArgument("context deadline exceeded".into()))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn with_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

async fn machine(g: &Global, cmd: MachineCommand, host: &dyn Host) -> Result<()> {
    match cmd {
        MachineCommand::Lock { machine } => set_machine_locked(g, &machine, true, host).await,
        MachineCommand::Unlock { machine } => set_machine_locked(g, &machine, false, host).await,
        MachineCommand::Delete {
            machine,
            force_etcd_leave,
            force,
            yes,
            timeout,
        } => {
            let timeout = parse_go_duration(&timeout)?;
            let client = connect::client(g, host).await?;
            let opts = CallOptions::default().with_timeout(timeout);
            // the machine must be in a cluster before anything is asked
            client
                .resources_in("ClusterMachines.omni.sidero.dev", "default")
                .await?
                .get(&machine, &opts)
                .await?;
            if force_etcd_leave && !yes {
                host.stderr(&format!(
                    "WARNING: force leaving etcd member on machine {machine} may break the etcd quorum.\nDo not use this option unless you are sure that the machine is not an etcd member or the machine is already down and will not come back up.\n"
                ));
                if !confirmed(host).await? {
                    return Ok(());
                }
            }
            if force && !yes {
                host.stderr(&format!(
                    "WARNING: force deleting machine {machine} will skip wiping the machine and will remove it from the Omni account completely.\nIt will be necessary to manually wipe the machine to add it to the Omni account again.\nUse this option only in case if the machine is already down and will not come back up.\n"
                ));
                if !confirmed(host).await? {
                    return Ok(());
                }
            }
            let how = MachineDelete {
                force_etcd_leave,
                skip_wipe: force,
            };
            let result = client
                .operations()
                .delete_cluster_machine_with(&machine, how, &opts, &mut |line| {
                    host.stderr(&with_newline(line));
                })
                .await;
            match result {
                Err(e) if e.code() == Code::DeadlineExceeded => {
                    Err(Error::InvalidArgument("context deadline exceeded".into()))
                }
                other => other,
            }
        }
    }
}

/// omnictl's `Do you want to continue? (y/N): ` on stderr; anything but `y` aborts.
async fn confirmed(host: &dyn Host) -> Result<bool> {
    host.stderr("Do you want to continue? (y/N): ");
    let answer = host.read_line().await?.ok_or_else(|| {
        Error::InvalidArgument("failed to read user input: unexpected newline".into())
    })?;
    if answer.trim().eq_ignore_ascii_case("y") {
        Ok(true)
    } else {
        host.stderr("aborting machine deletion\n");
        Ok(false)
    }
}

async fn set_machine_locked(g: &Global, machine: &str, lock: bool, host: &dyn Host) -> Result<()> {
    let client = connect::client(g, host).await?;
    client
        .operations()
        .set_machine_locked(machine, lock, &CallOptions::default())
        .await?;
    host.stderr(&format!("machine {machine:?} lock status: {lock}\n"));
    Ok(())
}

async fn kubernetes(g: &Global, cmd: KubernetesCommand, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match cmd {
        KubernetesCommand::ManifestSync { cluster, dry_run } => {
            let client = connect::client(g, host).await?;
            let req = crate::proto::management::KubernetesSyncManifestRequest {
                dry_run,
                ..Default::default()
            };
            let mut events = client.management().sync_manifests(&cluster, req, &call);
            while let Some(ev) = events.next().await {
                let ev = ev?;
                if ev.rollout {
                    host.stdout(&format!(" > waiting for {}\n", ev.path));
                    continue;
                }
                host.stdout(&format!(" > processing manifest {}\n", ev.path));
                if ev.skipped {
                    host.stdout(" < no changes\n");
                } else if dry_run {
                    host.stdout(&format!("{}\n < dry run, change skipped\n", ev.diff));
                } else {
                    host.stdout(&format!("{}\n < applied successfully\n", ev.diff));
                }
            }
            Ok(())
        }
        KubernetesCommand::UpgradePreChecks { cluster, to } => {
            let client = connect::client(g, host).await?;
            client
                .management()
                .kubernetes_upgrade_pre_checks(&cluster, &to, &call)
                .await
        }
    }
}

async fn secret(g: &Global, s: SecretArgs, host: &dyn Host) -> Result<()> {
    let SecretCommand::Rotate(r) = s.command;
    let timeout = parse_go_duration(&r.wait_timeout)?;
    let client = connect::client(g, host).await?;
    let opts = if timeout.is_zero() {
        CallOptions::default()
    } else {
        CallOptions::default().with_timeout(timeout)
    };
    let cluster = s.name;
    let ops = client.operations();
    let clusters = client
        .resources_in("Clusters.omni.sidero.dev", "default")
        .await?;
    let c = clusters
        .get(&cluster, &opts)
        .await
        .map_err(|e| Error::InvalidArgument(format!("failed to get cluster: {e}")))?;
    let mut st = ops
        .secret_rotation_status(&cluster, &opts)
        .await
        .map_err(|e| {
            Error::InvalidArgument(format!(
                "failed to get cluster secrets rotation status: {e}"
            ))
        })?;
    let (component, name) = match r.command {
        RotateCommand::Status => {
            return rotation_status(&client, &cluster, st, r.wait, &opts, host).await
        }
        RotateCommand::TalosCa => (SecretComponent::TalosCa, "Talos CA"),
        RotateCommand::KubernetesCa => (SecretComponent::KubernetesCa, "Kubernetes CA"),
    };
    let talos = c
        .spec
        .get("talos_version")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if !version_at_least(talos, 1, 7) {
        return Err(Error::InvalidArgument(format!(
            "rotating {name} is only supported for clusters running Talos v1.7.0 or newer, current version: {:?}",
            talos.trim_start_matches('v')
        )));
    }
    if !st.idle() {
        // another component's rotation is refused by the library; the same one is followed
        ops.rotate_secret(&cluster, component, &opts).await?;
        return rotation_status(&client, &cluster, st, r.wait, &opts, host).await;
    }
    host.stdout(&format!(
        "starting to rotate {name} for the cluster {cluster:?}\n"
    ));
    ops.rotate_secret(&cluster, component, &opts).await?;
    if !r.wait {
        return Ok(());
    }
    // wait for the rotation to start, then follow it
    let clock = client.transport().clock();
    while st.idle() {
        clock.sleep(Duration::from_millis(500), &opts).await?;
        st = ops.secret_rotation_status(&cluster, &opts).await?;
    }
    rotation_status(&client, &cluster, st, r.wait, &opts, host).await
}

/// `printSecretRotationStatus`: idle, in progress (without waiting), or followed to the end.
async fn rotation_status(
    client: &OmniClient,
    cluster: &str,
    mut st: crate::client::RotationStatus,
    wait: bool,
    opts: &CallOptions,
    host: &dyn Host,
) -> Result<()> {
    if st.idle() {
        host.stdout(&format!(
            "no ongoing secret rotation for the cluster {cluster:?}\n"
        ));
        return Ok(());
    }
    if !wait {
        host.stdout(&format!(
            "rotation for {:?} is in progress({:?}) for the cluster {cluster:?}\n",
            st.component, st.phase
        ));
        return Ok(());
    }
    let component = st.component.clone();
    host.stdout(&format!("rotation for {component} is in progress ...\n"));
    let clock = client.transport().clock();
    let mut last = (st.status.clone(), st.step.clone());
    loop {
        match clock.sleep(Duration::from_secs(1), opts).await {
            Ok(()) => {}
            Err(e) if e.code() == Code::DeadlineExceeded => {
                host.stdout(&format!(
                    "timed out waiting rotation for {component} to complete\n"
                ));
                return Err(Error::InvalidArgument("context deadline exceeded".into()));
            }
            Err(e) => return Err(e),
        }
        st = match client
            .operations()
            .secret_rotation_status(cluster, opts)
            .await
        {
            Ok(st) => st,
            Err(e) if e.code() == Code::DeadlineExceeded => {
                host.stdout(&format!(
                    "timed out waiting rotation for {component} to complete\n"
                ));
                return Err(Error::InvalidArgument("context deadline exceeded".into()));
            }
            Err(e) => return Err(e),
        };
        if st.idle() {
            host.stdout(&format!("rotation for {component} is completed\n"));
            return Ok(());
        }
        let now = (st.status.clone(), st.step.clone());
        if now != last {
            host.stdout(&format!("{}: {}\n", now.0, now.1));
            last = now;
        }
    }
}

/// Whether a version `v1.8.0` / `1.7` is at least `major.minor`.
fn version_at_least(v: &str, major: u64, minor: u64) -> bool {
    let mut parts = v.trim_start_matches('v').split('.');
    let num = |p: Option<&str>| {
        p.and_then(|x| {
            x.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<u64>().ok())
        })
    };
    match (num(parts.next()), num(parts.next())) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// A template file and the files it refers to, read from the allowed root (`--allowed-dir`,
/// relative to the template's directory); a reference may not leave that root.
fn read_template(
    path: &str,
    allowed_dir: &str,
    host: &dyn Host,
) -> Result<(String, BTreeMap<String, String>)> {
    let text = host
        .read_file(path)?
        .ok_or_else(|| Error::InvalidArgument(format!("open {path}: no such file or directory")))?;
    let dir = match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => clean(&path[..i]),
        None => ".".to_string(),
    };
    let root = if allowed_dir.starts_with('/') {
        clean(allowed_dir)
    } else {
        join(&dir, allowed_dir)
    };
    let refs = Template::referenced_files(&text).map_err(|e| template_error(path, &e))?;
    let mut files = BTreeMap::new();
    for rel in refs {
        let target = clean(&rel);
        if rel.starts_with('/') || target == ".." || target.starts_with("../") {
            return Err(Error::InvalidArgument(format!(
                "{path}: error loading template: openat {rel}: path escapes from parent"
            )));
        }
        if let Some(content) = host.read_file(&join(&root, &target))? {
            files.insert(rel, content);
        }
    }
    Ok((text, files))
}

/// A template's errors, one per line with where they are (`FILE:LINE:COLUMN: message`), after
/// omnictl's prefix for its stage (`error loading template: `, `error rendering template: `).
fn template_error(path: &str, e: &crate::template::TemplateErrors) -> Error {
    let prefix = match e.stage {
        Stage::Load => "error loading template: ",
        Stage::Render => "error rendering template: ",
        _ => "",
    };
    let lines: Vec<String> = e
        .errors
        .iter()
        .map(|x| match (x.line, x.column) {
            (Some(l), Some(c)) => format!("{path}:{l}:{c}: {prefix}{}", x.message.trim_end()),
            (Some(l), None) => format!("{path}:{l}: {prefix}{}", x.message.trim_end()),
            _ => format!("{path}: {prefix}{}", x.message.trim_end()),
        })
        .collect();
    Error::InvalidArgument(lines.join("\n"))
}

fn engine_error(path: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Template(t) => template_error(path, &t),
        other => other,
    }
}

/// The files of `template sync -f`: the file, or every `*.yaml`/`*.yml` below a directory.
fn template_files(path: &str, host: &dyn Host) -> Result<Vec<String>> {
    if !host.is_dir(path) {
        return Ok(vec![path.to_string()]);
    }
    let files = super::paths::yaml_files_below(path, host)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "failed to discover template files from {path:?}: no YAML files found in directory {path:?}"
        )));
    }
    Ok(files)
}

async fn template(g: &Global, t: TemplateArgs, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    let allowed = t.allowed_dir;
    match t.command {
        TemplateCommand::Render { file } => {
            let (text, files) = read_template(&file.file, &allowed, host)?;
            let tpl = Template::load(&text, &files).map_err(|e| template_error(&file.file, &e))?;
            let stamp = crate::time::format_rfc3339(host.now_unix());
            let out = tpl
                .render_yaml_with(2, Some(&stamp))
                .map_err(|e| template_error(&file.file, &e))?;
            host.stdout(&out);
            Ok(())
        }
        TemplateCommand::Validate { file } => {
            let (text, files) = read_template(&file.file, &allowed, host)?;
            Engine
                .validate(&text, &files)
                .map_err(engine_error(&file.file))?;
            Ok(())
        }
        TemplateCommand::Diff { file } => {
            let (text, files) = read_template(&file.file, &allowed, host)?;
            let rendered = render(&file.file, &text, &files)?;
            let client = connect::client(g, host).await?;
            let diff = client.templates().diff(&Engine, &rendered, &call).await?;
            host.stdout(&diff);
            Ok(())
        }
        TemplateCommand::Sync { file, sync } => {
            let paths = template_files(&file.file, host)?;
            // every template read and rendered before the first write
            let mut rendered = Vec::with_capacity(paths.len());
            for p in &paths {
                let (text, files) = read_template(p, &allowed, host).map_err(|e| {
                    Error::InvalidArgument(format!("failed to sync template {p:?}: {}", e.reason()))
                })?;
                let r = render(p, &text, &files).map_err(|e| {
                    Error::InvalidArgument(format!("failed to sync template {p:?}: {}", e.reason()))
                })?;
                rendered.push((p.clone(), r));
            }
            let client = connect::client(g, host).await?;
            let many = host.is_dir(&file.file);
            if many {
                host.stdout(&format!("Processing {} template file(s)\n", rendered.len()));
            }
            for (p, r) in rendered {
                if many {
                    host.stdout(&format!("Syncing template: {p}\n"));
                }
                let report = client
                    .templates()
                    .sync(&Engine, &r, sync.dry_run, &call)
                    .await
                    .map_err(|e| {
                        Error::InvalidArgument(format!(
                            "failed to sync template {p:?}: {}",
                            e.reason()
                        ))
                    })?;
                print_report(&report, sync.verbose || sync.dry_run, host);
            }
            Ok(())
        }
        TemplateCommand::Export {
            cluster,
            output,
            include_kernel_args,
            force,
        } => {
            if !output.is_empty() && !force && host.read_file(&output)?.is_some() {
                return Err(Error::InvalidArgument(format!(
                    "failed to open output file: open {output}: file exists"
                )));
            }
            let client = connect::client(g, host).await?;
            let text = client
                .templates()
                .export(&Engine, &cluster, include_kernel_args, &call)
                .await?;
            if output.is_empty() {
                host.stdout(&text);
                Ok(())
            } else {
                host.write_file(&output, &text, 0o644)
            }
        }
        TemplateCommand::Status { file, quiet, wait } => {
            let wait = parse_go_duration(&wait)?;
            let (text, files) = read_template(&file.file, &allowed, host)?;
            let cluster = Engine
                .validate(&text, &files)
                .map_err(engine_error(&file.file))?;
            let client = connect::client(g, host).await?;
            status(&client, &cluster, wait, quiet, host).await
        }
        TemplateCommand::Delete {
            file,
            sync,
            destroy_disconnected_machines,
        } => {
            let (text, files) = read_template(&file.file, &allowed, host)?;
            let cluster = Engine
                .validate(&text, &files)
                .map_err(engine_error(&file.file))?;
            delete_cluster(g, &cluster, &sync, destroy_disconnected_machines, host).await
        }
    }
}

/// `cluster delete` and `cluster template delete`: everything the cluster's template owns,
/// torn down and destroyed (operations.DeleteCluster), the report on stdout.
async fn delete_cluster(
    g: &Global,
    cluster: &str,
    sync: &SyncFlags,
    destroy_disconnected_machines: bool,
    host: &dyn Host,
) -> Result<()> {
    let client = connect::client(g, host).await?;
    let report = client
        .templates()
        .delete_cluster(
            &Engine,
            cluster,
            sync.dry_run,
            destroy_disconnected_machines,
            &CallOptions::default(),
        )
        .await?;
    print_report(&report, sync.verbose || sync.dry_run, host);
    Ok(())
}

fn render(path: &str, text: &str, files: &BTreeMap<String, String>) -> Result<Rendered> {
    Engine.render(text, files).map_err(engine_error(path))
}
