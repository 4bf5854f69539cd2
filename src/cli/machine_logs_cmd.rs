//! `omnictl machine-logs <machineID>` (upstream `client/pkg/omnictl/machine-logs.go`,
//! `logformat/`): every log message of the machine on stdout, a line each, as it arrives.

use clap::Args;
use futures::StreamExt as _;

use super::global::Global;
use super::{connect, Host};
use crate::config::{format_log_line, LogFormat};
use crate::transport::CallOptions;
use crate::{Error, Result};

/// `omnictl machine-logs` (`machine-logs.go`).
#[derive(Debug, Args)]
#[command(long_about = "Get logs for a provided machine id")]
pub(crate) struct MachineLogsArgs {
    #[arg(value_name = "machineID")]
    machine: String,
    /// specify if the logs should be streamed
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    follow: bool,
    /// lines of log file to display (default is to show from the beginning)
    #[arg(
        long,
        default_value = "-1",
        allow_negative_numbers = true,
        value_name = "int32"
    )]
    tail: i32,
    /// log format (raw, omni, dmesg) to display (default is to display in raw format)
    #[arg(long, default_value = "raw", value_name = "string")]
    log_format: String,
}

pub(super) async fn run(g: &Global, a: MachineLogsArgs, host: &dyn Host) -> Result<()> {
    // as upstream's switch: any other value is the raw format
    let format = a.log_format.parse::<LogFormat>().unwrap_or(LogFormat::Raw);
    let client = connect::client(g, host).await?;
    let mut stream =
        client
            .management()
            .machine_logs(&a.machine, a.follow, a.tail, &CallOptions::default());
    while let Some(line) = stream.next().await {
        let line = line.map_err(|e| {
            Error::InvalidArgument(format!(
                "failed to print logs for '{}': {}",
                a.machine,
                e.reason()
            ))
        })?;
        let text = format_log_line(&line, format);
        // the JSON formats skip blank messages, as Go's decoder does
        if format != LogFormat::Raw && text.is_empty() {
            continue;
        }
        host.stdout(&format!("{text}\n"));
    }
    Ok(())
}
