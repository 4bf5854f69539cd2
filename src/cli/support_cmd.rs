//! `omnictl support` (upstream `client/pkg/omnictl/support.go`): the support bundle of a
//! cluster, written to `support.zip.age` (or `support.zip`). Collection errors and the
//! recipients go to stderr; with `-v` the per-source progress bars go to stdout.
//!
//! Upstream encrypts the bundle itself with age, to the Sidero Labs keys it knows plus
//! `--encryption-recipients`. omni-wasm has no age implementation: it asks Omni to encrypt
//! (`GetSupportBundleRequest.encrypt`), which does the same with the same recipient rules and
//! reports the recipients; a server that predates encryption is refused, never written as
//! if encrypted.

use clap::Args;
use futures::StreamExt as _;

use super::global::Global;
use super::{connect, Host};
use crate::client::SupportBundleEvent;
use crate::config::duration::format_go_duration;
use crate::proto::management as pb;
use crate::resource::tabwrite;
use crate::transport::CallOptions;
use crate::{Error, Result};

/// `omnictl support` (`support.go`).
#[derive(Debug, Args)]
#[command(
    long_about = "The command collects all non-sensitive information for the cluster from the Omni state.\n\nBy default, the generated bundle is encrypted using age encryption to the list of recipients\nset by the members of the 'siderolabs' GitHub organization. The encrypted bundle by default will\nonly be decryptable by the Sidero Labs team, but you can also specify additional recipients using the\n--encryption-recipients flag, or disable encryption completely using the --no-encryption flag.\nDefault encryption recipients can be removed by setting --encryption-no-default-recipients flag."
)]
pub(crate) struct SupportArgs {
    /// cluster to use
    #[arg(short, long, required = true, value_name = "string")]
    cluster: String,
    /// support bundle output (default "support.zip.age", or "support.zip" with --no-encryption)
    #[arg(short = 'O', long, value_name = "string")]
    output: Option<String>,
    /// verbose output
    #[arg(short, long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    verbose: bool,
    /// do not encrypt the support bundle (output is written as-is)
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    no_encryption: bool,
    /// additional age recipients (SSH or age public keys) to encrypt the support bundle to (can be specified multiple times)
    #[arg(long, value_name = "stringArray")]
    encryption_recipients: Vec<String>,
    /// do not encrypt to the default recipients, only to the ones provided via --encryption-recipients
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_name = "bool")]
    encryption_no_default_recipients: bool,
}

/// Whether omnictl's colors (fatih/color) are on: stdout is a terminal, `NO_COLOR` is empty
/// and `TERM` is not `dumb`.
fn colors(host: &dyn Host) -> bool {
    host.is_terminal()
        && host.env("NO_COLOR").is_none_or(|v| v.is_empty())
        && host.env("TERM").as_deref() != Some("dumb")
}

/// `text` in the SGR color `code` (`31` red, `33` yellow) when colors are on.
pub(super) fn paint(host: &dyn Host, code: &str, text: &str) -> String {
    if colors(host) {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// One progress bar of `-v` (uiprogress, width 20, elapsed time before, percentage and the
/// source's state after).
struct Bar {
    source: String,
    total: i32,
    current: i32,
    started: i64,
    elapsed: i64,
    state: String,
}

impl Bar {
    fn line(&self) -> String {
        const WIDTH: usize = 20;
        let percent = f64::from(self.current) / f64::from(self.total) * 100.0;
        let filled = (WIDTH as f64 * (percent / 100.0)) as usize;
        let mut bar: Vec<u8> = std::iter::repeat_n(b'=', filled.min(WIDTH))
            .chain(std::iter::repeat_n(b'-', WIDTH - filled.min(WIDTH)))
            .collect();
        if filled > 0 && filled < WIDTH {
            bar[filled - 1] = b'>';
        }
        bar[0] = b'[';
        bar[WIDTH - 1] = b']';
        let elapsed = format_go_duration(std::time::Duration::from_secs(
            u64::try_from(self.elapsed).unwrap_or(0),
        ));
        format!(
            "{elapsed:>5} {} {percent:3.0}% {}: {}",
            String::from_utf8_lossy(&bar),
            self.source,
            self.state
        )
    }
}

/// The bars of `-v`, redrawn in place after every update as uilive does (cursor up and
/// erase line for each line drawn before).
#[derive(Default)]
struct Bars {
    bars: Vec<Bar>,
    drawn: usize,
}

impl Bars {
    fn update(&mut self, source: &str, total: i32, state: &str, host: &dyn Host) {
        if total == 0 {
            return;
        }
        let now = host.now_unix();
        let i = match self.bars.iter().position(|b| b.source == source) {
            Some(i) => i,
            None => {
                self.bars.push(Bar {
                    source: source.to_string(),
                    total,
                    current: 0,
                    started: now,
                    elapsed: 0,
                    state: "initializing...".into(),
                });
                self.bars.len() - 1
            }
        };
        let Some(bar) = self.bars.get_mut(i) else {
            return;
        };
        bar.state = state.to_string();
        if bar.current < bar.total {
            bar.current += 1;
            bar.elapsed = now - bar.started;
        }
        let mut out = "\x1b[1A\x1b[2K".repeat(self.drawn);
        for b in &self.bars {
            out.push_str(&b.line());
            out.push('\n');
        }
        self.drawn = self.bars.len();
        host.stdout(&out);
    }
}

/// "Processed with errors:" and the table of collection errors (stderr), each error's
/// further lines under its first.
fn print_errors(errors: &[(String, String)], host: &dyn Host) {
    if errors.is_empty() {
        return;
    }
    let mut rows = vec![vec![String::new(), "SOURCE".into(), "ERROR".into()]];
    for (source, error) in errors {
        let lines: Vec<&str> = error.split('\n').map(str::trim).collect();
        for (i, l) in lines.iter().enumerate() {
            let src = if i == 0 {
                source.clone()
            } else {
                String::new()
            };
            rows.push(vec![String::new(), src, paint(host, "31", l)]);
        }
    }
    host.stderr("Processed with errors:\n");
    host.stderr(&tabwrite(&rows));
}

pub(super) async fn run(g: &Global, a: SupportArgs, host: &dyn Host) -> Result<()> {
    let recipients_given = !a.encryption_recipients.is_empty();
    if a.no_encryption && (recipients_given || a.encryption_no_default_recipients) {
        return Err(Error::InvalidArgument(
            "--encryption-recipients and --encryption-no-default-recipients cannot be used with --no-encryption".into(),
        ));
    }
    let output = match a.output.filter(|o| !o.is_empty()) {
        Some(o) => o,
        None if a.no_encryption => "support.zip".into(),
        None => "support.zip.age".into(),
    };
    let encrypt = !a.no_encryption;
    if encrypt && a.encryption_no_default_recipients && !recipients_given {
        return Err(Error::InvalidArgument(
            "no recipients to encrypt to: default recipients are disabled but no recipients were provided".into(),
        ));
    }
    let client = connect::client(g, host).await?;
    let req = pb::GetSupportBundleRequest {
        cluster: a.cluster,
        encrypt,
        encryption_recipients: a.encryption_recipients,
        encryption_no_default_recipients: a.encryption_no_default_recipients,
    };
    let mut stream = client
        .management()
        .support_bundle(req, &CallOptions::default());
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut recipients: Option<Vec<String>> = None;
    let mut bars = Bars::default();
    let mut data = None;
    while let Some(ev) = stream.next().await {
        match ev? {
            SupportBundleEvent::Progress {
                source,
                error,
                state,
                total,
                ..
            } => {
                if !error.is_empty() {
                    errors.push((source.clone(), error));
                }
                if a.verbose {
                    bars.update(&source, total, &state, host);
                }
            }
            SupportBundleEvent::Recipients(r) => recipients = Some(r),
            SupportBundleEvent::Bundle(d) => {
                data = Some(d);
                break;
            }
        }
    }
    // the stream ended without a bundle: what Go's Recv reports then
    let data = data.ok_or_else(|| Error::InvalidArgument("EOF".into()))?;
    print_errors(&errors, host);
    let recipients = match (encrypt, recipients) {
        (false, _) => Vec::new(),
        (true, Some(r)) if !r.is_empty() => r,
        (true, _) => {
            return Err(Error::InvalidArgument(
                "this Omni instance does not encrypt support bundles: use --no-encryption, or a newer Omni".into(),
            ))
        }
    };
    if host.is_dir(&output) || host.read_file(&output)?.is_some() {
        let question = format!("{output} already exists, overwrite? [y/N]: ");
        match host.prompt(&question).await? {
            Some(answer) if answer.trim().eq_ignore_ascii_case("y") => {}
            Some(_) => return Err(Error::InvalidArgument("operation was aborted".into())),
            None => return Err(Error::InvalidArgument("EOF".into())),
        }
    }
    host.write_bytes(&output, &data, 0o644)?;
    if !recipients.is_empty() {
        let mut text = String::from("Support bundle encrypted to the following recipients:\n");
        for r in &recipients {
            text.push_str(&format!("  - {r}\n"));
        }
        host.stderr(&text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_look_like_uiprogress() {
        let bar = |current, total, elapsed| Bar {
            source: "omni".into(),
            total,
            current,
            started: 0,
            elapsed,
            state: "collecting".into(),
        };
        assert_eq!(
            bar(1, 4, 0).line(),
            "   0s [===>--------------]  25% omni: collecting"
        );
        assert_eq!(
            bar(4, 4, 65).line(),
            " 1m5s [==================] 100% omni: collecting"
        );
        assert_eq!(
            bar(0, 4, 0).line(),
            "   0s [------------------]   0% omni: collecting"
        );
    }
}
