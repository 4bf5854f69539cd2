//! Paths as Go's `path/filepath` treats them on Unix (the CLI's hosts pass `/`-separated
//! paths), and the user's directories.

use super::Host;
use crate::Result;

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

/// Where the omniconfig is (`config.defaultPath`): `--omniconfig`, else `$OMNICONFIG`, else
/// `$HOME/.talos/omni/config`. When only the deprecated `$XDG_CONFIG_HOME/omni/config`
/// exists, it is copied to the new place first, as omnictl does (with its INFO line).
pub(super) fn omniconfig_path(explicit: Option<&str>, host: &dyn Host) -> Result<String> {
    if let Some(p) = explicit.filter(|p| !p.is_empty()) {
        return Ok(p.to_string());
    }
    if let Some(p) = host.env("OMNICONFIG").filter(|p| !p.is_empty()) {
        return Ok(p);
    }
    let home = home(host);
    let main = format!("{home}/.talos/omni/config");
    let xdg = host
        .env("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| format!("{home}/.config"));
    let legacy = format!("{xdg}/omni/config");
    if host.read_file(&main)?.is_none() {
        if let Some(text) = host.read_file(&legacy)? {
            host.write_file(&main, &text, 0o600)?;
            host.stderr(&format!(
                "INFO: Omni config was copied from deprecated default location: '{legacy}' to new default location: '{main}'\n"
            ));
        }
    }
    Ok(main)
}
