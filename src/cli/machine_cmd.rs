//! `omnictl machine ...` (upstream `client/pkg/omnictl/machine/machine.go`) and `omnictl
//! configure machine` (`configure/machine.go`).

use clap::{Args, Subcommand};
use futures::StreamExt as _;

use super::global::Global;
use super::{connect, Host};
use crate::client::SiderolinkConnection;
use crate::proto::management::{
    maintenance_lifecycle_request::Operation, MaintenanceLifecycleRequest,
};
use crate::transport::CallOptions;
use crate::{Error, Result};

/// `omnictl machine`.
#[derive(Debug, Subcommand)]
pub(crate) enum MachineCommand {
    /// Shut down a machine
    #[command(long_about = "Shut down a machine that has a power management configured.")]
    Shutdown {
        #[arg(value_name = "machine-id")]
        machine: String,
    },
    /// Power on a machine
    #[command(
        name = "power-on",
        long_about = "Power on a machine that has a power management configured."
    )]
    PowerOn {
        #[arg(value_name = "machine-id")]
        machine: String,
    },
    /// Install Talos to disk on a machine running in maintenance mode
    #[command(
        long_about = "Install Talos to disk on a machine that is running in maintenance mode.\n\nThis requires the machine to be running Talos 1.13 or newer. The target disk must be specified\nwith --disk (e.g. /dev/sda); use 'omnictl get machinestatus <machine-id> -o yaml' to inspect the\navailable block devices. When --version is omitted, the version Talos is currently running in\nmemory on the machine is installed. Installer progress is streamed to the terminal; on success the\nmachine is rebooted so it boots from disk into the freshly installed Talos."
    )]
    Install {
        #[arg(value_name = "machine-id")]
        machine: String,
        /// Talos version to install; defaults to the version running in memory on the machine
        #[arg(long, default_value = "", value_name = "string")]
        version: String,
        /// target install disk (e.g. /dev/sda)
        #[arg(long, default_value = "", value_name = "string")]
        disk: String,
    },
    /// Upgrade the on-disk Talos on a machine running in maintenance mode
    #[command(
        long_about = "Upgrade the on-disk Talos on a machine that is running in maintenance mode and already has Talos installed.\n\nThis requires the machine to be running Talos 1.13 or newer. --version is required and specifies the Talos version to write to disk.\nInstaller progress is streamed to the terminal; on success the machine is rebooted so it boots from disk into the upgraded Talos."
    )]
    Upgrade {
        #[arg(value_name = "machine-id")]
        machine: String,
        /// Talos version to upgrade to
        #[arg(long, default_value = "", value_name = "string")]
        version: String,
    },
}

/// `omnictl configure`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigureCommand {
    /// Machine configuration command.
    #[command(visible_alias = "m")]
    Machine(ConfigureMachineArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConfigureMachineArgs {
    #[arg(value_name = "uuid", required = true)]
    machines: Vec<String>,
    /// configure SideroLink connection mode
    #[arg(long, value_name = "one of [udp,http-tunnel,auto]",
          value_parser = ["udp", "http-tunnel", "auto"])]
    siderolink_connection: Option<String>,
    /// reset the node unique token for the machine
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value = "false", value_name = "bool")]
    reset_node_unique_token: bool,
}

pub(super) async fn machine(g: &Global, cmd: MachineCommand, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match cmd {
        MachineCommand::Shutdown { machine } => {
            let client = connect::client(g, host).await?;
            client
                .management()
                .machine_power_off(&machine, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!("failed to shut down machine {machine:?}: {e}"))
                })?;
            host.stderr(&format!("machine {machine:?} is shutting down\n"));
            Ok(())
        }
        MachineCommand::PowerOn { machine } => {
            let client = connect::client(g, host).await?;
            client
                .management()
                .machine_power_on(&machine, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!("failed to power on machine {machine:?}: {e}"))
                })?;
            host.stderr(&format!("machine {machine:?} power on requested\n"));
            Ok(())
        }
        MachineCommand::Install {
            machine,
            version,
            disk,
        } => {
            if disk.is_empty() {
                return Err(Error::InvalidArgument("--disk is required".into()));
            }
            lifecycle(
                g,
                &machine,
                Operation::Install,
                version,
                disk.clone(),
                "install",
                host,
            )
            .await?;
            host.stderr(&format!("machine {machine:?}: Talos installed to {disk}\n"));
            Ok(())
        }
        MachineCommand::Upgrade { machine, version } => {
            if version.is_empty() {
                return Err(Error::InvalidArgument("--version is required".into()));
            }
            lifecycle(
                g,
                &machine,
                Operation::Upgrade,
                version,
                String::new(),
                "upgrade",
                host,
            )
            .await?;
            host.stderr(&format!("machine {machine:?}: Talos upgraded\n"));
            Ok(())
        }
    }
}

/// The installer's messages on stderr as they stream.
async fn lifecycle(
    g: &Global,
    machine: &str,
    op: Operation,
    version: String,
    disk: String,
    verb: &str,
    host: &dyn Host,
) -> Result<()> {
    let client = connect::client(g, host).await?;
    let req = MaintenanceLifecycleRequest {
        machine_id: machine.to_string(),
        operation: op as i32,
        version,
        disk,
    };
    let mut messages = client
        .management()
        .maintenance_lifecycle(req, &CallOptions::default());
    while let Some(m) = messages.next().await {
        let m = m.map_err(|e| {
            Error::InvalidArgument(format!(
                "failed to {verb} Talos on machine {machine:?}: {e}"
            ))
        })?;
        if !m.is_empty() {
            host.stderr(&format!("{m}\n"));
        }
    }
    Ok(())
}

pub(super) async fn configure(g: &Global, cmd: ConfigureCommand, host: &dyn Host) -> Result<()> {
    let ConfigureCommand::Machine(a) = cmd;
    let mode = a
        .siderolink_connection
        .as_deref()
        .map(SiderolinkConnection::parse)
        .transpose()?;
    let client = connect::client(g, host).await?;
    let call = CallOptions::default();
    for id in &a.machines {
        if let Some(mode) = mode {
            let message = client
                .tokens()
                .set_siderolink_connection(id, mode, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!(
                        "failed to update SideroLink connection mode for machine {id}: {}",
                        e.reason()
                    ))
                })?;
            if let Some(m) = message {
                host.stdout(&format!("{m}\n"));
            }
        }
        if a.reset_node_unique_token {
            client
                .management()
                .reset_node_unique_token(id, &call)
                .await
                .map_err(|e| {
                    Error::InvalidArgument(format!(
                        "failed to reset node unique token for machine {id}: {e}"
                    ))
                })?;
            host.stdout(&format!("reset node unique token for machine {id}\n"));
        }
    }
    Ok(())
}
