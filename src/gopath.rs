//! Slash-separated paths as Go's `path`/`path/filepath` treat them on Unix: the CLI's file
//! arguments and the image factory's URL paths (`url.JoinPath`) are cleaned the same way.

/// `path.Clean`: repeated separators, `.` and resolvable `..` elements removed; `.` for an
/// empty result.
pub(crate) fn clean(path: &str) -> String {
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

/// `path.Join(dir, name)`, cleaned.
#[cfg(any(feature = "cli", test))]
pub(crate) fn join(dir: &str, name: &str) -> String {
    clean(&format!("{dir}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_and_join_are_gos() {
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
