//! `omnictl jointoken ...` (upstream `client/pkg/omnictl/jointoken.go`): results on stdout,
//! the warning about machines that depend on a token on stderr, its table and the question
//! on stdout.

use clap::{Args, Subcommand};

use super::global::Global;
use super::support_cmd::paint;
use super::{connect, Host};
use crate::client::OmniClient;
use crate::config::duration::{format_go_duration, parse_go_duration_nanos};
use crate::resource::tabwrite;
use crate::transport::CallOptions;
use crate::{Code, Error, Result};

/// `omnictl jointoken ...` (`jointoken.go`). Upstream gives `revoke` and `renew` the same
/// alias `r`; cobra resolves it to `revoke` (added first), so only `revoke` has it here.
#[derive(Debug, Subcommand)]
pub(crate) enum JointokenArgs {
    /// Create a join token
    #[command(visible_alias = "c")]
    Create {
        #[arg(value_name = "name")]
        name: String,
        /// TTL for the join token
        #[arg(short, long, value_name = "duration")]
        ttl: Option<String>,
    },
    /// Delete a join token
    #[command(visible_alias = "d")]
    Delete {
        #[arg(value_name = "id")]
        id: String,
        /// Delete the token even if it is going to make the machines to disconnect
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        force: bool,
    },
    /// Get Talos kernel args to make a machine join Omni
    #[command(name = "kernel-args", visible_alias = "ka")]
    KernelArgs(ConfigFlags),
    /// List join tokens
    #[command(visible_alias = "l")]
    List,
    /// Get partial machine config to make a machine join Omni
    #[command(name = "machine-config", visible_alias = "mc")]
    MachineConfig(ConfigFlags),
    /// Make the token default one
    #[command(name = "make-default", visible_alias = "md")]
    MakeDefault {
        #[arg(value_name = "id")]
        id: String,
    },
    /// Get the Omni endpoint URL with the join token
    #[command(name = "omni-endpoint", visible_alias = "oe")]
    OmniEndpoint(TokenSelection),
    /// Renew a join token
    Renew {
        #[arg(value_name = "id")]
        id: String,
        /// TTL for the join token
        #[arg(short, long, required = true, value_name = "duration")]
        ttl: String,
    },
    /// Revoke a join token
    #[command(visible_alias = "r")]
    Revoke {
        #[arg(value_name = "id")]
        id: String,
        /// Revoke the token even if it is going to make the machines to disconnect
        #[arg(short, long, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", default_value = "false", value_name = "bool")]
        force: bool,
    },
    /// Unrevoke a join token
    #[command(visible_alias = "ur")]
    Unrevoke {
        #[arg(value_name = "id")]
        id: String,
    },
}

/// `--token-id` / `--token-name` (mutually exclusive).
#[derive(Debug, Args)]
pub(crate) struct TokenSelection {
    /// Generate using specific token ID (uses default if empty)
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string",
        conflicts_with = "token_name"
    )]
    token_id: String,
    /// Looks up the token by name and generates the config using the token (uses default if empty)
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        value_name = "string"
    )]
    token_name: String,
}

/// `machine-config` / `kernel-args`: the token selection and `--use-grpc-tunnel`.
#[derive(Debug, Args)]
pub(crate) struct ConfigFlags {
    /// Use gRPC tunnel in the config
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    use_grpc_tunnel: bool,
    #[command(flatten)]
    token: TokenSelection,
}

/// A Go duration flag as nanoseconds.
fn duration(flag: &str, value: &str) -> Result<i128> {
    parse_go_duration_nanos(value).map_err(|e| {
        Error::InvalidArgument(format!(
            "invalid argument {value:?} for \"-t, --{flag}\" flag: {}",
            e.reason()
        ))
    })
}

/// Go's `time.Time.String()` of a UTC time given as RFC 3339:
/// `2026-01-02 03:04:05.5 +0000 UTC` (fraction without trailing zeros).
pub(super) fn go_time_string(rfc3339: &str) -> String {
    let Some((secs, nanos)) = crate::time::parse_rfc3339(rfc3339) else {
        return rfc3339.to_string();
    };
    let stamp = crate::time::format_rfc3339(secs);
    let (date, time) = stamp.split_once('T').unwrap_or((&stamp, ""));
    let time = time.trim_end_matches('Z');
    let frac = if nanos > 0 {
        format!(".{nanos:09}").trim_end_matches('0').to_string()
    } else {
        String::new()
    };
    format!("{date} {time}{frac} +0000 UTC")
}

/// `pluralize.Pluralize("machine", n, true)`.
fn machines(n: u64) -> String {
    if n == 1 {
        "1 machine".into()
    } else {
        format!("{n} machines")
    }
}

/// `checkTokenWarnings`: when machines depend on the token, say so (stderr, yellow on a
/// terminal), list them (stdout) and, unless `force`, ask before going on.
async fn check_warnings(
    client: &OmniClient,
    id: &str,
    operation: &str,
    force: bool,
    host: &dyn Host,
) -> Result<()> {
    let status = client
        .tokens()
        .join_token(id, &CallOptions::default())
        .await?;
    if status.warnings.is_empty() {
        return Ok(());
    }
    host.stderr(&paint(
        host,
        "33",
        &format!(
            "WARNING: {} of {} won't be able to connect if the token is revoked/deleted\n",
            status.warnings.len(),
            machines(status.use_count)
        ),
    ));
    let mut rows = vec![vec!["MACHINE".to_string(), "DETAILS".to_string()]];
    for w in &status.warnings {
        rows.push(vec![w.machine.clone(), w.message.clone()]);
    }
    host.stdout(&tabwrite(&rows));
    if force {
        return Ok(());
    }
    // upstream reads the answer from stdin whether or not it is a terminal
    let question = format!("Do you still want to {operation} the token? [y/N]: ");
    match host.prompt(&question).await? {
        Some(answer) if answer.trim().eq_ignore_ascii_case("y") => Ok(()),
        Some(_) => Err(Error::InvalidArgument("operation was aborted".into())),
        None => Err(Error::InvalidArgument("EOF".into())),
    }
}

/// `getJoinToken`: `--token-id` (checked to exist), else the token named `--token-name`
/// (`initial` also matches an unnamed one), else the default token.
async fn selected_token(client: &OmniClient, sel: &TokenSelection) -> Result<String> {
    client
        .tokens()
        .resolve_join_token(&sel.token_id, &sel.token_name, &CallOptions::default())
        .await
        .map_err(|e| match e {
            // the library words these as omnictl does; omnictl's are plain errors
            Error::Status {
                code: Code::NotFound,
                message,
                ..
            } if message.starts_with("join token with ") => Error::InvalidArgument(message),
            other => other,
        })
}

pub(super) async fn run(g: &Global, a: JointokenArgs, host: &dyn Host) -> Result<()> {
    let call = CallOptions::default();
    match a {
        JointokenArgs::Create { name, ttl } => {
            let ttl = match ttl {
                Some(t) => duration("ttl", &t)?,
                None => 0,
            };
            let client = connect::client(g, host).await?;
            // upstream: an expiry `ttl` from now when the TTL is positive, else none
            let expires = (ttl > 0).then(|| {
                let secs = i64::try_from(ttl / 1_000_000_000).unwrap_or(i64::MAX);
                host.now_unix().saturating_add(secs)
            });
            let id = client
                .management()
                .create_join_token(&name, expires, &call)
                .await?;
            host.stdout(&format!("{id}\n"));
            Ok(())
        }
        JointokenArgs::List => {
            let client = connect::client(g, host).await?;
            let tokens = client.tokens().list_join_tokens(&call).await?;
            let mut rows = vec![
                ["ID", "NAME", "STATE", "EXPIRATION", "USE COUNT", "DEFAULT"]
                    .map(String::from)
                    .to_vec(),
            ];
            for t in &tokens {
                rows.push(vec![
                    t.id.clone(),
                    t.name.clone(),
                    t.state.clone(),
                    t.expiration
                        .as_deref()
                        .map_or_else(|| "never".to_string(), go_time_string),
                    t.use_count.to_string(),
                    if t.is_default { "*" } else { "" }.to_string(),
                ]);
            }
            host.stdout(&tabwrite(&rows));
            Ok(())
        }
        JointokenArgs::Revoke { id, force } => {
            let client = connect::client(g, host).await?;
            check_warnings(&client, &id, "revoke", force, host).await?;
            client
                .tokens()
                .set_join_token_revoked(&id, true, &call)
                .await?;
            host.stdout(&format!("token {id:?} was revoked\n"));
            Ok(())
        }
        JointokenArgs::Unrevoke { id } => {
            let client = connect::client(g, host).await?;
            client
                .tokens()
                .set_join_token_revoked(&id, false, &call)
                .await?;
            host.stdout(&format!("token {id:?} was unrevoked\n"));
            Ok(())
        }
        JointokenArgs::MakeDefault { id } => {
            let client = connect::client(g, host).await?;
            client.tokens().make_default_join_token(&id, &call).await?;
            host.stdout(&format!("token {id:?} is now default\n"));
            Ok(())
        }
        JointokenArgs::Renew { id, ttl } => {
            let nanos = duration("ttl", &ttl)?;
            if nanos == 0 {
                return Err(Error::InvalidArgument(
                    "ttl should be greater than 0".into(),
                ));
            }
            let client = connect::client(g, host).await?;
            // whole seconds; the library refuses an expiry that is not in the future
            let secs = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
            client.tokens().renew_join_token(&id, secs, &call).await?;
            let shown = format_go_duration(std::time::Duration::from_nanos(
                u64::try_from(nanos).unwrap_or(u64::MAX),
            ));
            host.stdout(&format!("token {id:?} was renewed, new ttl is {shown}\n"));
            Ok(())
        }
        JointokenArgs::MachineConfig(f) => {
            let client = connect::client(g, host).await?;
            let token = selected_token(&client, &f.token).await?;
            let resp = client
                .management()
                .machine_join_config(&token, f.use_grpc_tunnel, &call)
                .await?;
            host.stdout(&format!("{}\n", resp.config));
            Ok(())
        }
        JointokenArgs::KernelArgs(f) => {
            let client = connect::client(g, host).await?;
            let token = selected_token(&client, &f.token).await?;
            let resp = client
                .management()
                .machine_join_config(&token, f.use_grpc_tunnel, &call)
                .await?;
            host.stdout(&format!("{}\n", resp.kernel_args.join(" ")));
            Ok(())
        }
        JointokenArgs::OmniEndpoint(sel) => {
            let client = connect::client(g, host).await?;
            let token = selected_token(&client, &sel).await?;
            let url = client.tokens().join_endpoint(&token, &call).await?;
            host.stdout(&format!("{url}\n"));
            Ok(())
        }
        JointokenArgs::Delete { id, force } => {
            let client = connect::client(g, host).await?;
            check_warnings(&client, &id, "delete", force, host).await?;
            let h = client
                .resources_in("JoinTokens.omni.sidero.dev", "default")
                .await?;
            // upstream: TeardownAndDestroy, whose NotFound is an error too
            let destroyed = h.delete(&id, &call).await.map_err(|e| {
                Error::InvalidArgument(format!("failed to delete a join token: {e}"))
            })?;
            if !destroyed.destroyed {
                return Err(Error::InvalidArgument(format!(
                    "failed to delete a join token: join token {id:?} does not exist"
                )));
            }
            host.stdout(&format!("deleted join token: {id}\n"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_strings() {
        assert_eq!(
            go_time_string("2030-01-02T03:04:05Z"),
            "2030-01-02 03:04:05 +0000 UTC"
        );
        assert_eq!(
            go_time_string("2030-01-02T03:04:05.250Z"),
            "2030-01-02 03:04:05.25 +0000 UTC"
        );
        assert_eq!(machines(1), "1 machine");
        assert_eq!(machines(0), "0 machines");
    }
}
