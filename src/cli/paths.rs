//! Paths as Go's `path/filepath` treats them on Unix (the CLI's hosts pass `/`-separated
//! paths), and the user's directories.

use super::Host;

/// The user's home directory (`$HOME`, on Windows `%USERPROFILE%`).
pub(super) fn home(host: &dyn Host) -> String {
    host.env("HOME")
        .or_else(|| host.env("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| ".".into())
}

pub(super) use crate::gopath::{clean, join};

/// Every `*.yaml`/`*.yml` file below the directory `dir` (recursively, in lexical order), as
/// omnictl's `apply -f DIR` and `cluster template sync -f DIR` take them.
pub(super) fn yaml_files_below(dir: &str, host: &dyn Host) -> crate::Result<Vec<String>> {
    Ok(host
        .list_files(dir)?
        .into_iter()
        .filter(|f| {
            let lower = f.to_lowercase();
            lower.ends_with(".yaml") || lower.ends_with(".yml")
        })
        .collect())
}
