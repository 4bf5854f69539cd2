//! gRPC request metadata: an ordered multimap with lower-case keys.
//!
//! gRPC (and grpc-gateway, which turns `Grpc-Metadata-<name>` headers into metadata) treats
//! metadata keys case-insensitively and keeps every value of a repeated key in order. The
//! `siderov1` payload signs exactly those value lists, so transports build a [`Metadata`], let
//! [`sign_grpc`](super::sign_grpc) add the three `x-sidero-*` entries, then copy it onto the wire.

/// Ordered multimap of lower-case metadata keys to their values.
///
/// Keys keep the order in which they were first inserted; values keep insertion order per key.
/// A key never maps to an empty list (removing the last value removes the key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: Vec<(String, Vec<String>)>,
}

impl Metadata {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))
    }

    /// All values of `key` (case-insensitive), or `None` when absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.position(key)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of `key`, if any.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// Whether `key` has at least one value.
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Replace all values of `key` with the single `value`.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.position(key).and_then(|i| self.entries.get_mut(i)) {
            Some((_, values)) => {
                values.clear();
                values.push(value);
            }
            None => self.entries.push((key.to_ascii_lowercase(), vec![value])),
        }
    }

    /// Add `value` after the existing values of `key`.
    pub fn append(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.position(key).and_then(|i| self.entries.get_mut(i)) {
            Some((_, values)) => values.push(value),
            None => self.entries.push((key.to_ascii_lowercase(), vec![value])),
        }
    }

    /// Remove `key` and return its values.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys with their value lists, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Every `(key, value)` pair, flattened, in order (what goes onto the wire).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut md = Metadata::new();
        for (k, v) in iter {
            md.append(k.as_ref(), v);
        }
        md
    }
}

impl<K: AsRef<str>, V: Into<String>> Extend<(K, V)> for Metadata {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.append(k.as_ref(), v);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lower_cased_and_looked_up_case_insensitively() {
        let mut md = Metadata::new();
        md.append("Runtime", "Omni");
        md.append("NODES", "a");
        md.append("nodes", "b");
        assert_eq!(md.get("runtime"), Some(&["Omni".to_string()][..]));
        assert_eq!(md.get("Nodes").map(<[String]>::len), Some(2));
        assert_eq!(
            md.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["runtime", "nodes"]
        );
        md.set("nodes", "c");
        assert_eq!(md.first("nodes"), Some("c"));
        assert_eq!(md.remove("RUNTIME"), Some(vec!["Omni".to_string()]));
        assert!(!md.contains("runtime"));
        assert_eq!(md.pairs().collect::<Vec<_>>(), [("nodes", "c")]);
    }
}
