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

/// `filepath.Clean`: repeated separators, `.` and resolvable `..` elements removed.
pub(super) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// `filepath.Join(dir, name)`, cleaned.
pub(super) fn join(dir: &str, name: &str) -> String {
    clean(&format!("{dir}/{name}"))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_go_filepath_clean() {
        for (p, want) in [
            ("", "."),
            ("a/b/../c/", "a/c"),
            ("/../a//b/./c", "/a/b/c"),
            ("../../a", "../../a"),
            ("a/..", "."),
            ("/", "/"),
        ] {
            assert_eq!(clean(p), want, "{p}");
        }
        assert_eq!(join("/x/", "kubeconfig"), "/x/kubeconfig");
    }
}
