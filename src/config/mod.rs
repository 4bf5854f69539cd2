//! Local client configuration files and output formats of `omnictl`, offline.
//!
//! - [`merge_kubeconfig`]: what `omnictl kubeconfig --merge` does to an existing kubeconfig.
//! - [`merge_talosconfig`]: what `omnictl talosconfig --merge` does to an existing talosconfig.
//! - [`OmniConfig`]: the omniconfig file (`omnictl config ...`) and [`resolve`], which picks
//!   the endpoint and credentials a client connects with (`OMNI_ENDPOINT`, service account keys).
//! - [`format_log_line`]: one line of `omnictl machine-logs --log-format raw|omni|dmesg`.
//!
//! Nothing here touches a file system or the network: inputs and outputs are texts.

pub mod duration;
mod kubeconfig;
mod logformat;
mod omniconfig;
mod talosconfig;
mod yaml;

pub use kubeconfig::{merge_kubeconfig, MergeOptions};
pub use logformat::{format_log_line, LogFormat};
pub use omniconfig::{
    resolve, OmniConfig, OmniContext, ResolvedEndpoint, DEFAULT_CONTEXT, DEFAULT_URL, ENDPOINT_ENV,
    PLACEHOLDER_URL, SERVICE_ACCOUNT_KEY_ENVS,
};
pub use talosconfig::merge_talosconfig;

/// What a name conflict during a merge was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RenameKind {
    /// A kubeconfig cluster entry.
    Cluster,
    /// A kubeconfig user (auth info) entry.
    AuthInfo,
    /// A context (kubeconfig, talosconfig or omniconfig).
    Context,
}

impl RenameKind {
    /// `"cluster"`, `"authInfo"` or `"context"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RenameKind::Cluster => "cluster",
            RenameKind::AuthInfo => "authInfo",
            RenameKind::Context => "context",
        }
    }
}

/// One entry that a merge stored under another name than it had in the merged-in file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// What was renamed.
    pub kind: RenameKind,
    /// The name in the merged-in file.
    pub from: String,
    /// The name in the result.
    pub to: String,
    /// The line `omnictl` prints for it (without a newline), e.g.
    /// `renamed context "admin@talos" -> "admin@talos-1"`.
    pub message: String,
}

/// The outcome of [`merge_kubeconfig`] or [`merge_talosconfig`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeResult {
    /// The text to write back to the file.
    pub text: String,
    /// The current context of the result (`current-context` / `context`); may be empty.
    pub context: String,
    /// Entries stored under a new name, in the order `omnictl` reports them.
    pub renamed: Vec<Rename>,
}

impl MergeResult {
    /// The lines `omnictl` prints while merging (one per rename, without newlines).
    pub fn messages(&self) -> Vec<String> {
        self.renamed.iter().map(|r| r.message.clone()).collect()
    }
}
