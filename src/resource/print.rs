//! omnictl's output formats: `-o yaml`, `-o json`, `-o table`.

use std::collections::BTreeMap;

use super::codec;
use super::{Registry, Resource, ResourceDefinition};
use crate::goyaml::emit::{node_to_y, Emitter, Merges, Y};
use crate::goyaml::node::parse_stream;
use crate::goyaml::node::STag;
use crate::goyaml::scalar::{parse_float, parse_go_int, resolve_plain, GoInt};
use crate::{Error, Result};

/// Go's zero `time.Time` in RFC 3339.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The spec of `r` as a go-yaml value: `yaml_spec` when present, else rendered from the typed
/// spec the way the server renders it.
pub(crate) fn spec_y(r: &Resource) -> Result<Y> {
    if let Some(y) = r.yaml_spec.as_deref().filter(|s| !s.trim().is_empty()) {
        let docs = parse_stream(y)
            .map_err(|e| Error::Decode(format!("yaml_spec: line {}: {}", e.pos.line, e.message)))?;
        return Ok(docs
            .first()
            .map(|d| node_to_y(&d.root, Merges::Keep))
            .unwrap_or(Y::Map(Vec::new())));
    }
    let schema = Registry::builtin_ref()
        .lookup(&r.metadata.type_)
        .and_then(|t| t.spec_message.as_deref());
    match schema {
        Some(name) => {
            let desc = codec::message(name)?;
            let empty = serde_json::Value::Object(Default::default());
            let spec = if r.spec.is_null() { &empty } else { &r.spec };
            let msg = codec::from_json(&desc, spec)?;
            Ok(codec::to_go_yaml(&msg))
        }
        None => Ok(codec::json_to_y(&r.spec)),
    }
}

fn metadata_y(r: &Resource) -> Y {
    let m = &r.metadata;
    let raw = |s: &str| Y::Raw(s.to_string());
    let version = if m.version.is_empty() {
        "undefined"
    } else {
        m.version.as_str()
    };
    let mut e = vec![
        (raw("namespace"), raw(&m.namespace)),
        (raw("type"), raw(&m.type_)),
        (raw("id"), raw(&m.id)),
        (raw("version"), raw(version)),
        (raw("owner"), raw(&m.owner)),
        (
            raw("phase"),
            raw(if m.phase.is_empty() {
                "running"
            } else {
                &m.phase
            }),
        ),
        (
            raw("created"),
            raw(m.created.as_deref().unwrap_or(ZERO_TIME)),
        ),
        (
            raw("updated"),
            raw(m.updated.as_deref().unwrap_or(ZERO_TIME)),
        ),
    ];
    let kv = |map: &BTreeMap<String, String>| {
        Y::Map(map.iter().map(|(k, v)| (raw(k), raw(v))).collect())
    };
    if !m.labels.is_empty() {
        e.push((raw("labels"), kv(&m.labels)));
    }
    if !m.annotations.is_empty() {
        e.push((raw("annotations"), kv(&m.annotations)));
    }
    if !m.finalizers.is_empty() {
        e.push((
            raw("finalizers"),
            Y::Seq(m.finalizers.iter().map(|f| raw(f)).collect()),
        ));
    }
    Y::Map(e)
}

pub(super) fn resource_y(r: &Resource) -> Result<Y> {
    Ok(Y::Map(vec![
        (Y::Raw("metadata".into()), metadata_y(r)),
        (Y::Raw("spec".into()), spec_y(r)?),
    ]))
}

/// `omnictl get -o yaml`: 4-space indentation, `---` between resources.
pub fn to_omnictl_yaml(resources: &[Resource]) -> Result<String> {
    let mut e = Emitter::new(4);
    for (i, r) in resources.iter().enumerate() {
        if i > 0 {
            e.separator();
        }
        e.document(&resource_y(r)?);
    }
    Ok(e.finish())
}

/// A value as go-yaml decodes it into `any` (plain scalars resolved).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum G {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<G>),
    Map(BTreeMap<String, G>),
}

fn y_key(k: &Y) -> String {
    match k {
        Y::Str(s) | Y::Raw(s) => s.clone(),
        Y::Bool(b) => b.to_string(),
        Y::Int(i) => i.to_string(),
        Y::Uint(u) => u.to_string(),
        Y::Float(f) => f.to_string(),
        Y::Null => "null".into(),
        Y::Seq(_) | Y::Map(_) => String::new(),
    }
}

pub(super) fn y_to_g(y: &Y) -> G {
    match y {
        Y::Null => G::Null,
        Y::Bool(b) => G::Bool(*b),
        Y::Int(i) => G::Int(i128::from(*i)),
        Y::Uint(u) => G::Int(i128::from(*u)),
        Y::Float(f) => G::Float(*f),
        Y::Str(s) => G::Str(s.clone()),
        Y::Raw(s) => match resolve_plain(s) {
            STag::Null => G::Null,
            STag::Bool => G::Bool(matches!(s.as_str(), "true" | "True" | "TRUE")),
            STag::Int => match parse_go_int(s) {
                Some(GoInt::I(i)) => G::Int(i128::from(i)),
                Some(GoInt::U(u)) => G::Int(i128::from(u)),
                None => G::Str(s.clone()),
            },
            STag::Float => parse_float(s)
                .map(G::Float)
                .unwrap_or_else(|| G::Str(s.clone())),
            _ => G::Str(s.clone()),
        },
        Y::Seq(items) => G::Seq(items.iter().map(y_to_g).collect()),
        Y::Map(entries) => G::Map(crate::order::map_of(
            entries.iter().map(|(k, v)| (y_key(k), y_to_g(v))),
        )),
    }
}

/// Go's `strconv.FormatFloat(f, 'g'-ish)` as `encoding/json` prints floats.
fn go_json_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format!("{f:e}");
        // Go prints at least two exponent digits: 1e-07.
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("+", e),
                };
                let digits = if digits.len() < 2 {
                    format!("0{digits}")
                } else {
                    digits.to_string()
                };
                format!("{m}e{sign}{digits}")
            }
            None => s,
        }
    } else {
        format!("{f}")
    }
}

fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn write_json(g: &G, indent: usize, out: &mut String) {
    let pad = |n: usize, out: &mut String| {
        for _ in 0..n {
            out.push_str("    ");
        }
    };
    match g {
        G::Null => out.push_str("null"),
        G::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        G::Int(i) => out.push_str(&i.to_string()),
        G::Float(f) if f.is_finite() => out.push_str(&go_json_float(*f)),
        G::Float(_) => out.push_str("null"),
        G::Str(s) => go_json_string(s, out),
        G::Seq(items) if items.is_empty() => out.push_str("[]"),
        G::Seq(items) => {
            out.push_str("[\n");
            for (i, it) in items.iter().enumerate() {
                pad(indent + 1, out);
                write_json(it, indent + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(indent, out);
            out.push(']');
        }
        G::Map(m) if m.is_empty() => out.push_str("{}"),
        G::Map(m) => {
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                pad(indent + 1, out);
                go_json_string(k, out);
                out.push_str(": ");
                write_json(v, indent + 1, out);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(indent, out);
            out.push('}');
        }
    }
}

/// `omnictl get -o json`: one 4-space-indented JSON document per resource (keys sorted, HTML
/// characters escaped as Go does), each followed by a newline.
pub fn to_omnictl_json(resources: &[Resource]) -> Result<String> {
    to_omnictl_json_event(resources, None)
}

/// Like [`to_omnictl_json`]; in a watch (`get -w -o json`) each document also carries the
/// event (`"event": "created"`), as omnictl adds it.
pub fn to_omnictl_json_event(resources: &[Resource], event: Option<&str>) -> Result<String> {
    let mut out = String::new();
    for r in resources {
        write_json(&encodable(r, event)?, 0, &mut out);
        out.push('\n');
    }
    Ok(out)
}

/// A resource as omnictl's JSON writers see it (`prepareEncodableData`): its YAML form decoded
/// into Go values, with the watch event when there is one.
pub(super) fn encodable(r: &Resource, event: Option<&str>) -> Result<G> {
    let mut g = y_to_g(&resource_y(r)?);
    if let (G::Map(m), Some(e)) = (&mut g, event) {
        m.insert("event".into(), G::Str(e.to_string()));
    }
    Ok(g)
}

/// Go's `fmt.Fprint` of a decoded YAML value (what kubectl's JSONPath prints).
pub(super) fn go_fmt(g: &G) -> String {
    match g {
        G::Null => "<nil>".into(),
        G::Bool(b) => b.to_string(),
        G::Int(i) => i.to_string(),
        G::Float(f) => {
            let a = f.abs();
            if a != 0.0 && !(1e-4..1e21).contains(&a) {
                go_json_float(*f)
            } else {
                format!("{f}")
            }
        }
        G::Str(s) => s.clone(),
        G::Seq(items) => format!(
            "[{}]",
            items.iter().map(go_fmt).collect::<Vec<_>>().join(" ")
        ),
        G::Map(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_fmt(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Evaluates the JSONPath subset `{.a.b}` (dotted field access, also inside text) over `spec`;
/// missing keys give an empty string.
fn eval_path(expr: &str, spec: &G) -> Result<String> {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(start) = rest.find('{') {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find('}') else {
            return Err(Error::InvalidArgument(format!(
                "unclosed action in {expr:?}"
            )));
        };
        let path = after.get(..end).unwrap_or_default().trim();
        let mut cur = Some(spec);
        let fields = path.strip_prefix('.').unwrap_or(path);
        if !fields.is_empty() {
            for f in fields.split('.') {
                cur = match cur {
                    Some(G::Map(m)) => m.get(f),
                    _ => None,
                };
            }
        }
        if let Some(v) = cur {
            out.push_str(&go_fmt(v));
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Go `text/tabwriter` with padding 3 and spaces: every cell but the last of a line is padded to
/// its column's width + 3 (omnictl's tables: `get`, `config contexts`, `user list`, …).
pub(crate) fn tabwrite<R: AsRef<[String]>>(rows: &[R]) -> String {
    tabwrite_pad(rows, 3)
}

/// [`tabwrite`] with padding `pad` (`infraprovider list` pads with 4).
pub(crate) fn tabwrite_pad<R: AsRef<[String]>>(rows: &[R], pad: usize) -> String {
    let ncols = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in rows {
        let row = row.as_ref();
        for (j, cell) in row.iter().enumerate() {
            if j + 1 < row.len() {
                if let Some(w) = widths.get_mut(j) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let row = row.as_ref();
        for (j, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < row.len() {
                let w = widths.get(j).copied().unwrap_or(0) + pad;
                for _ in cell.chars().count()..w {
                    out.push(' ');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// `omnictl get -o table`: `NAMESPACE TYPE ID VERSION` plus the definition's print columns
/// (JSONPath over the spec YAML map). Without a definition, the builtin one of the first
/// resource's type is used.
pub fn to_table(resources: &[Resource], definition: Option<&ResourceDefinition>) -> Result<String> {
    let def = definition.or_else(|| {
        resources
            .first()
            .and_then(|r| Registry::builtin_ref().lookup(&r.metadata.type_))
    });
    let mut header: Vec<String> = ["NAMESPACE", "TYPE", "ID", "VERSION"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cols = def.map(|d| d.print_columns.as_slice()).unwrap_or_default();
    header.extend(cols.iter().map(|c| c.name.to_uppercase()));
    let mut rows = vec![header];
    for r in resources {
        let display = def.map(|d| d.display_type.clone()).unwrap_or_else(|| {
            super::names::singular(r.metadata.type_.split('.').next().unwrap_or_default())
        });
        let mut row = vec![
            r.metadata.namespace.clone(),
            display,
            r.metadata.id.clone(),
            if r.metadata.version.is_empty() {
                "undefined".into()
            } else {
                r.metadata.version.clone()
            },
        ];
        if !cols.is_empty() {
            let spec = y_to_g(&spec_y(r)?);
            for c in cols {
                row.push(eval_path(&c.json_path, &spec)?);
            }
        }
        rows.push(row);
    }
    Ok(tabwrite(&rows))
}
