//! YAML plumbing for the config files: positioned parsing with clear errors, typed field
//! reads, conversion to the go-yaml emitter's values, and a `yaml.v2`-style emitter (the
//! layout kubectl and client-go write kubeconfigs in).

use std::fmt::Display;

use crate::goyaml::emit::{to_yaml, Y};
use crate::goyaml::node::{parse_stream, Node, NodeKind, Pos, STag};
use crate::goyaml::scalar::resolve_plain;
use crate::goyaml::sort::natural_cmp;
use crate::{Error, Result};

/// An `InvalidArgument` error naming the file kind and the position.
pub(crate) fn err_at(what: &str, pos: Pos, msg: impl Display) -> Error {
    Error::InvalidArgument(format!(
        "{what}: line {}, column {}: {msg}",
        pos.line, pos.col
    ))
}

/// The root node of the first document, or `None` when the text holds no document or only
/// `null` (an empty file).
pub(crate) fn parse_root(text: &str, what: &str) -> Result<Option<Node>> {
    let docs = parse_stream(text).map_err(|e| {
        // The parser's message reads "yaml: line N: <what>"; the position is added by err_at.
        let msg = match e.message.strip_prefix("yaml: line ") {
            Some(rest) => rest
                .split_once(": ")
                .map(|(_, m)| m.to_string())
                .unwrap_or_else(|| e.message.clone()),
            None => e.message.clone(),
        };
        err_at(what, e.pos, msg)
    })?;
    Ok(docs
        .into_iter()
        .next()
        .map(|d| d.root)
        .filter(|r| !r.is_null()))
}

fn kind_name(n: &Node) -> &'static str {
    match &n.kind {
        NodeKind::Scalar { .. } => "a scalar",
        NodeKind::Seq(_) => "a sequence",
        NodeKind::Map(_) => "a mapping",
    }
}

/// The entries of a mapping node (`null` = no entries), with `<<` merge keys applied.
/// Keys must be scalars and unique.
pub(crate) fn entries<'a>(n: &'a Node, what: &str, field: &str) -> Result<Vec<(String, &'a Node)>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let Some(list) = n.map_entries() else {
        return Err(err_at(
            what,
            n.pos,
            format!("{field} must be a mapping, not {}", kind_name(n)),
        ));
    };
    let mut out: Vec<(String, &'a Node)> = Vec::with_capacity(list.len());
    let mut seen: Vec<(String, u32)> = Vec::with_capacity(list.len());
    for (k, v) in list {
        let Some(key) = k.scalar() else {
            return Err(err_at(
                what,
                k.pos,
                format!("{field}: mapping keys must be scalars"),
            ));
        };
        if let Some((_, line)) = seen.iter().find(|(s, _)| s == key) {
            return Err(err_at(
                what,
                k.pos,
                format!(
                    "mapping key {} already defined at line {line}",
                    crate::goyaml::scalar::go_quote(key)
                ),
            ));
        }
        seen.push((key.to_string(), k.pos.line));
        out.push((key.to_string(), v));
    }
    Ok(out)
}

/// A scalar read into a Go `string` field: its text (`null` = empty).
pub(crate) fn string_of(n: &Node, what: &str, field: &str) -> Result<String> {
    match &n.kind {
        NodeKind::Scalar {
            tag: STag::Null, ..
        } => Ok(String::new()),
        NodeKind::Scalar { value, .. } => Ok(value.clone()),
        _ => Err(err_at(
            what,
            n.pos,
            format!("{field} must be a string, not {}", kind_name(n)),
        )),
    }
}

/// A sequence of scalars read into a Go `[]string` field (`null` = empty).
pub(crate) fn strings_of(n: &Node, what: &str, field: &str) -> Result<Vec<String>> {
    match &n.kind {
        NodeKind::Scalar {
            tag: STag::Null, ..
        } => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(|i| string_of(i, what, field)).collect(),
        _ => Err(err_at(
            what,
            n.pos,
            format!("{field} must be a list of strings, not {}", kind_name(n)),
        )),
    }
}

/// A node as an emitter value, keeping the source text of scalars and the order of mapping
/// entries; merge keys are resolved, as a reader of the file sees it.
pub(crate) fn node_to_y(n: &Node) -> Y {
    crate::goyaml::emit::node_to_y(n, crate::goyaml::emit::Merges::Resolve)
}

/// Like [`node_to_y`], but with plain `null`/`~` and booleans turned into typed values, as a
/// YAML → JSON → YAML round trip (client-go's) writes them.
pub(crate) fn node_to_y_json(n: &Node) -> Y {
    match &n.kind {
        NodeKind::Scalar {
            value, plain: true, ..
        } => match resolve_plain(value) {
            STag::Null => Y::Null,
            STag::Bool => Y::Bool(value.eq_ignore_ascii_case("true")),
            _ => Y::Raw(value.clone()),
        },
        NodeKind::Scalar { value, .. } => Y::Str(value.clone()),
        NodeKind::Seq(items) => Y::Seq(items.iter().map(node_to_y_json).collect()),
        NodeKind::Map(_) => Y::Map(
            n.map_entries()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (key_y(k), node_to_y_json(v)))
                .collect(),
        ),
    }
}

fn key_y(k: &Node) -> Y {
    match k.scalar() {
        Some(s) => Y::Str(s.to_string()),
        None => node_to_y(k),
    }
}

/// The text of a scalar value (`Str`/`Raw`), if it is one.
pub(crate) fn y_text(y: &Y) -> Option<&str> {
    match y {
        Y::Str(s) | Y::Raw(s) => Some(s),
        _ => None,
    }
}

/// The value under `key` in a mapping value.
pub(crate) fn y_get<'a>(m: &'a Y, key: &str) -> Option<&'a Y> {
    match m {
        Y::Map(e) => e
            .iter()
            .find(|(k, _)| y_text(k) == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Sets `key` in a mapping value (replacing in place, or appending).
pub(crate) fn y_set(m: &mut Y, key: &str, value: Y) {
    if let Y::Map(e) = m {
        match e.iter_mut().find(|(k, _)| y_text(k) == Some(key)) {
            Some(slot) => slot.1 = value,
            None => e.push((Y::Str(key.to_string()), value)),
        }
    }
}

/// Removes `key` from a mapping value.
pub(crate) fn y_remove(m: &mut Y, key: &str) {
    if let Y::Map(e) = m {
        e.retain(|(k, _)| y_text(k) != Some(key));
    }
}

/// Sorts the keys of every mapping in the tree the way go-yaml orders map keys.
pub(crate) fn sort_keys(y: &mut Y) {
    match y {
        Y::Map(e) => {
            crate::order::sort_with(e, |a, b| natural_cmp(&a.0, &b.0));
            for (_, v) in e.iter_mut() {
                sort_keys(v);
            }
        }
        Y::Seq(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// The 4-space, indented-sequence layout of go-yaml v3's `Marshal` (omniconfig, talosconfig).
pub(crate) fn to_yaml_v3(y: &Y) -> String {
    to_yaml(y, 4)
}

/// The layout of `yaml.v2` (what client-go writes kubeconfigs with): 2-space indentation and
/// sequences inside mappings not indented.
pub(crate) fn to_yaml_v2(y: &Y) -> String {
    let mut out = String::new();
    match y {
        Y::Map(e) if !e.is_empty() => v2_map(&mut out, e, 0, true),
        Y::Seq(s) if !s.is_empty() => v2_seq(&mut out, s, 0, true),
        other => out.push_str(&v2_scalar(other, 2)),
    }
    out.push('\n');
    out
}

fn push_indent(out: &mut String, n: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', n));
}

fn v2_map(out: &mut String, entries: &[(Y, Y)], indent: usize, inline_first: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            push_indent(out, indent);
        }
        out.push_str(&v2_scalar(k, indent + 2));
        out.push(':');
        match v {
            Y::Map(e) if !e.is_empty() => v2_map(out, e, indent + 2, false),
            Y::Seq(s) if !s.is_empty() => v2_seq(out, s, indent, false),
            other => {
                let s = v2_scalar(other, indent + 2);
                if !s.is_empty() {
                    out.push(' ');
                    out.push_str(&s);
                }
            }
        }
    }
}

fn v2_seq(out: &mut String, items: &[Y], indent: usize, inline_first: bool) {
    for (i, it) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            push_indent(out, indent);
        }
        out.push_str("- ");
        match it {
            Y::Map(e) if !e.is_empty() => v2_map(out, e, indent + 2, true),
            Y::Seq(s) if !s.is_empty() => v2_seq(out, s, indent + 2, true),
            other => out.push_str(&v2_scalar(other, indent + 2)),
        }
    }
}

/// A scalar (or empty collection) as go-yaml writes it, continuation lines (block scalars,
/// folded long strings) indented by `indent`.
fn v2_scalar(y: &Y, indent: usize) -> String {
    const STEP: &str = "  ";
    let text = to_yaml(y, STEP.len());
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if let Some(rest) = line.strip_prefix(STEP) {
                out.extend(std::iter::repeat_n(' ', indent));
                out.push_str(rest);
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Y {
        node_to_y_json(&parse_root(text, "test").unwrap().unwrap())
    }

    #[test]
    fn v2_layout_matches_kubectl() {
        let v = y("a:\n  b: [x, y]\n  c: {}\nd:\n- e: 1\n  f: [g]\n- h\ni: ''\nj: ~\n");
        assert_eq!(
            to_yaml_v2(&v),
            "a:\n  b:\n  - x\n  - y\n  c: {}\nd:\n- e: 1\n  f:\n  - g\n- h\ni: \"\"\nj: null\n"
        );
    }

    #[test]
    fn v2_block_scalars_are_reindented() {
        let v = Y::map(vec![(
            "a",
            Y::map(vec![("b", Y::str("line one\nline two\n"))]),
        )]);
        assert_eq!(to_yaml_v2(&v), "a:\n  b: |\n    line one\n    line two\n");
    }

    #[test]
    fn errors_carry_positions() {
        let e = parse_root("a: [1,\n", "kubeconfig")
            .unwrap_err()
            .to_string();
        assert!(e.contains("kubeconfig: line "), "{e}");
        let root = parse_root("a: 1\na: 2\n", "x").unwrap().unwrap();
        let e = entries(&root, "x", "root").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid argument: x: line 2, column 1: mapping key \"a\" already defined at line 1"
        );
        assert!(parse_root("", "x").unwrap().is_none());
        assert!(parse_root("# only a comment\n", "x").unwrap().is_none());
    }

    #[test]
    fn go_yaml_key_order() {
        let mut v = y("users: 1\nkind: 2\ncurrent-context: 3\ncontexts: 4\napiVersion: 5\n");
        sort_keys(&mut v);
        let keys: Vec<&str> = match &v {
            Y::Map(e) => e.iter().filter_map(|(k, _)| y_text(k)).collect(),
            _ => vec![],
        };
        assert_eq!(
            keys,
            ["apiVersion", "contexts", "current-context", "kind", "users"]
        );
    }
}
