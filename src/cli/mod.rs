//! The `omni-wasm` command line: omnictl's command tree (upstream `client/pkg/omnictl`), its
//! flags with pflag semantics, and every decision a command makes — which file, which context,
//! which credentials, what goes to stdout and what to stderr, the exit code.
//!
//! The CLI touches the world only through a [`Host`]: environment, files, the two output
//! streams, the clock and the transport hooks of the client it connects. The npm package's
//! `omni-wasm` bin is such a host (Node's `fs` and `process`); the native tests use one with
//! files in memory and the in-memory transport.

mod apply_cmd;
mod args;
mod audit_log_cmd;
mod cluster_cmd;
mod config_cmd;
mod configs_cmd;
mod connect;
mod download_cmd;
mod global;
mod infraprovider_cmd;
mod jointoken_cmd;
mod machine_cmd;
mod machine_logs_cmd;
mod media_cmd;
mod paths;
mod resource_cmd;
mod serviceaccount_cmd;
mod support_cmd;
mod user_cmd;

use clap::Parser as _;
use futures::future::LocalBoxFuture;

use crate::client::OmniClientBuilder;
use crate::Result;

/// What a [`Host`] gives the CLI.
pub trait Host {
    /// An environment variable (`None` = unset).
    fn env(&self, name: &str) -> Option<String>;
    /// The text of a file; `Ok(None)` when there is no such file.
    fn read_file(&self, path: &str) -> Result<Option<String>>;
    /// Writes a file (creating its parent directories, mode 0700), with permission bits `mode`.
    fn write_file(&self, path: &str, text: &str, mode: u32) -> Result<()>;
    /// Removes a file; no error when it does not exist.
    fn remove_file(&self, path: &str) -> Result<()>;
    /// Appends to standard output.
    fn stdout(&self, text: &str);
    /// Appends to standard error.
    fn stderr(&self, text: &str);
    /// Writes binary `data` to a file (creating its parent directories, mode 0700), with
    /// permission bits `mode`.
    fn write_bytes(&self, path: &str, data: &[u8], mode: u32) -> Result<()>;
    /// All of standard input, as text.
    fn read_stdin(&self) -> Result<String>;
    /// Fetches `url` (GET with `headers`; without TLS verification when
    /// `insecure_skip_tls_verify`) and streams an answer whose status is below 400 into the
    /// file `path` (creating its parent directories). `None` when it was saved; otherwise the
    /// answer's status and body, and nothing is written.
    fn download<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(String, String)],
        path: &'a str,
        insecure_skip_tls_verify: bool,
    ) -> LocalBoxFuture<'a, Result<Option<(u16, String)>>>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &str) -> bool;
    /// Every file under the directory `dir`, recursively, in lexical order (paths joined to
    /// `dir`).
    fn list_files(&self, dir: &str) -> Result<Vec<String>>;
    /// Writes `text` to a new temporary file named `<prefix>…<suffix>`, runs the editor
    /// command `editor` on it (a program and its arguments, split at spaces) attached to the
    /// terminal, and returns the file's text afterwards and its path (the file stays; the CLI
    /// removes it).
    fn edit(
        &self,
        editor: &str,
        prefix: &str,
        suffix: &str,
        text: &str,
    ) -> Result<(String, String)>;
    /// The working directory.
    fn cwd(&self) -> String;
    /// Whether standard output is a terminal (omnictl asks questions only then).
    fn is_terminal(&self) -> bool;
    /// Reads one line from standard input (without its line end); `None` at the end of the
    /// input.
    fn read_line(&self) -> LocalBoxFuture<'_, Result<Option<String>>>;
    /// Writes `question` to standard output, then [`read_line`](Host::read_line).
    fn prompt<'a>(&'a self, question: &'a str) -> LocalBoxFuture<'a, Result<Option<String>>> {
        self.stdout(question);
        self.read_line()
    }
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
    /// The transport hooks of a client about to connect (a `fetch`, TLS settings, or the
    /// in-memory transport of a test).
    fn configure(
        &self,
        builder: OmniClientBuilder,
        insecure_skip_tls_verify: bool,
    ) -> Result<OmniClientBuilder>;
}

/// Runs the command line `args` (without the program name) on `host`; the process's exit code
/// (0, or 1 on any error as omnictl: the error is on stderr).
pub async fn run(args: &[String], host: &dyn Host) -> i32 {
    let cli = match args::Cli::try_parse_from(
        std::iter::once("omni-wasm".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    host.stdout(&text);
                    if !text.ends_with('\n') {
                        host.stdout("\n");
                    }
                    0
                }
                _ => {
                    host.stderr(&usage_error(&text));
                    1
                }
            };
        }
    };
    match execute(cli, host).await {
        Ok(()) => 0,
        Err(e) => {
            host.stderr(&format!("Error: {}\n", e.reason()));
            1
        }
    }
}

async fn execute(cli: args::Cli, host: &dyn Host) -> Result<()> {
    use args::Command;
    let g = &cli.global;
    match cli.command {
        Command::Config(c) => config_cmd::run(g, c, host),
        Command::Get(a) => resource_cmd::get(g, a, host).await,
        Command::Delete(a) => resource_cmd::delete(g, a, host).await,
        Command::Kubeconfig(a) => configs_cmd::kubeconfig(g, a, host).await,
        Command::Talosconfig(a) => configs_cmd::talosconfig(g, a, host).await,
        Command::Serviceaccount(c) => serviceaccount_cmd::run(g, c, host).await,
        Command::User(a) => user_cmd::run(g, a, host).await,
        Command::MachineLogs(a) => machine_logs_cmd::run(g, a, host).await,
        Command::Support(a) => support_cmd::run(g, a, host).await,
        Command::AuditLog(a) => audit_log_cmd::run(g, a, host).await,
        Command::Jointoken(a) => jointoken_cmd::run(g, a, host).await,
        Command::Infraprovider(a) => infraprovider_cmd::run(g, a, host).await,
        Command::Media(a) => media_cmd::run(g, a, host).await,
        Command::Download(a) => download_cmd::run(g, a, host).await,
        Command::Completion { shell } => {
            let mut cmd = <args::Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "omni-wasm", &mut out);
            host.stdout(&String::from_utf8_lossy(&out));
            Ok(())
        }
        Command::Docs { output } => {
            let cmd = <args::Cli as clap::CommandFactory>::command();
            let mut md = String::from("---\ntitle: omni-wasm CLI\ndescription: omni-wasm CLI tool reference.\n---\n\n<!-- markdownlint-disable -->\n\n");
            reference(&mut cmd.clone(), "omni-wasm", &mut md);
            host.write_file(&paths::join(&output, "cli.md"), &md, 0o644)
        }
        Command::Version => {
            host.stdout(&format!("omni-wasm {}\n", crate::VERSION));
            Ok(())
        }
        // listed for `--help`; `run` hands them to the host before parsing
        Command::Apply(a) => apply_cmd::apply(g, a, host).await,
        Command::Edit(a) => apply_cmd::edit(g, a, host).await,
        Command::Cluster(c) => cluster_cmd::run(g, c, host).await,
        Command::Machine(m) => machine_cmd::machine(g, m, host).await,
        Command::Configure(c) => machine_cmd::configure(g, c, host).await,
    }
}

/// One section per visible command (its path, summary and full help), depth first, as
/// omnictl's `docs` writes its reference.
fn reference(cmd: &mut clap::Command, path: &str, out: &mut String) {
    let help = cmd.render_long_help().to_string();
    out.push_str(&format!(
        "## {path}\n\n{}\n\n```\n{}\n```\n\n",
        cmd.get_about().map(|a| a.to_string()).unwrap_or_default(),
        help.trim_end()
    ));
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect();
    for mut sub in subs {
        let name = format!("{path} {}", sub.get_name());
        reference(&mut sub, &name, out);
    }
}

/// cobra's form of a usage error: `Error: <what>` on one line (clap's first line, its
/// `error: ` prefix replaced), then clap's hint lines.
fn usage_error(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let mut out = format!("Error: {first}\n");
    for l in lines.filter(|l| !l.trim().is_empty()) {
        out.push_str(l);
        out.push('\n');
    }
    out
}
