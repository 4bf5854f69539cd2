//! Omni's config-patch check (`omni.ValidateConfigPatch`, upstream
//! `client/pkg/omni/resources/omni/config_patch.go`), used by `ValidateConfig` and by ConfigPatch
//! create/update validations.
//!
//! Stage 1 is Talos' config loader: documents told apart by `kind`/`apiVersion`, each decoded
//! into its Go type, every mapping key checked against the type. omni-sim has no Go types; it
//! checks each document with a JSON Schema library (`boon`) against the structure of those types
//! in `data/talos/config.schema.json` (generated from the Talos machinery Omni links; its README
//! says how) and keeps what the loader would refuse: unknown keys (`additionalProperties`) and
//! values go-yaml can't decode (a map where a list belongs, text for a number or a bool). A
//! string field takes any scalar and a bool field `yes`/`no`, as go-yaml's do.
//!
//! This is written independently of omni-wasm's offline check (`src/template/talos.rs`, a walker
//! over the same data): the two are compared on a corpus of patches in the tests.
//!
//! Stage 2 is Omni's forbidden content: documents, fields and list elements Omni controls.

use std::sync::OnceLock;

use boon::{Compiler, ErrorKind, InstanceToken, SchemaIndex, Schemas, ValidationError};
use serde_json::{Map, Value};

const STRUCTURE: &str = include_str!("../../../data/talos/config.schema.json");
const LOCATION: &str = "talos-config.schema.json";

struct Loader {
    schemas: Schemas,
    /// `kind/apiVersion` → compiled type (the legacy document is `v1alpha1/`).
    documents: Vec<(String, SchemaIndex)>,
}

fn loader() -> Result<&'static Loader, String> {
    static CELL: OnceLock<Result<Loader, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let doc: Value = serde_json::from_str(STRUCTURE).map_err(|e| e.to_string())?;
        let names: Vec<(String, String)> = doc
            .get("x-documents")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let mut compiler = Compiler::new();
        compiler
            .add_resource(LOCATION, doc)
            .map_err(|e| e.to_string())?;
        let mut schemas = Schemas::new();
        let mut documents = Vec::new();
        for (key, name) in names {
            let index = compiler
                .compile(&format!("{LOCATION}#/$defs/{name}"), &mut schemas)
                .map_err(|e| e.to_string())?;
            documents.push((key, index));
        }
        Ok(Loader { schemas, documents })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// One YAML document of the stream, with the line its content starts on.
struct Doc {
    line: usize,
    value: Value,
}

/// Splits a YAML stream at `---` lines and reads each document.
fn documents(text: &str) -> Result<Vec<Doc>, String> {
    let mut chunks: Vec<(usize, String)> = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") || line == "..." {
            chunks.push((i + 2, String::new()));
            continue;
        }
        if let Some(last) = chunks.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    let mut out = Vec::new();
    for (start, chunk) in chunks {
        let value: serde_norway::Value =
            serde_norway::from_str(&chunk).map_err(|e| format!("decode error: {e}"))?;
        let value = serde_json::to_value(value).map_err(|e| format!("decode error: {e}"))?;
        // the line of the document's node: its first line with content
        let offset = chunk
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .unwrap_or(0);
        out.push(Doc {
            line: start + offset,
            value,
        });
    }
    Ok(out)
}

fn is_delete(v: &Value) -> bool {
    v.get("$patch").and_then(Value::as_str) == Some("delete")
}

/// The loader takes `$patch: delete` nodes out before decoding.
fn without_deletes(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !is_delete(v))
                .map(|(k, v)| (k.clone(), without_deletes(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .filter(|v| !is_delete(v))
                .map(without_deletes)
                .collect(),
        ),
        v => v.clone(),
    }
}

/// What the loader would refuse, from the library's error tree: decode errors and unknown keys.
#[derive(Default)]
struct Refusals {
    decode: Vec<String>,
    unknown: Vec<String>,
}

fn location(e: &ValidationError) -> String {
    crate::jsonschema::instance_tokens(e).join(".")
}

fn value_at<'a>(root: &'a Value, e: &ValidationError) -> Option<&'a Value> {
    let mut cur = root;
    for t in &e.instance_location.tokens {
        cur = match t {
            InstanceToken::Prop(p) => cur.get(p.as_ref())?,
            InstanceToken::Item(i) => cur.get(*i)?,
        };
    }
    Some(cur)
}

fn collect(root: &Value, e: &ValidationError, out: &mut Refusals) {
    match &e.kind {
        // a union decides for itself which branch a value takes
        ErrorKind::OneOf(_) | ErrorKind::AnyOf => return,
        ErrorKind::AdditionalProperties { got } => {
            let at = location(e);
            for key in got {
                out.unknown.push(if at.is_empty() {
                    key.to_string()
                } else {
                    format!("{at}.{key}")
                });
            }
        }
        ErrorKind::Type { want, .. } => {
            let value = value_at(root, e);
            let wants = |t: &str| want.iter().any(|w| w.to_string() == t);
            let decodes = match value {
                None | Some(Value::Null) => true,
                // go-yaml writes any scalar's text into a string field
                Some(Value::Bool(_) | Value::Number(_)) if wants("string") => true,
                Some(Value::String(s)) if wants("boolean") => matches!(
                    s.as_str(),
                    "y" | "Y"
                        | "yes"
                        | "Yes"
                        | "YES"
                        | "on"
                        | "On"
                        | "ON"
                        | "n"
                        | "N"
                        | "no"
                        | "No"
                        | "NO"
                        | "off"
                        | "Off"
                        | "OFF"
                ),
                Some(Value::Number(n)) if wants("integer") => {
                    n.as_f64().is_some_and(|f| f.fract() == 0.0)
                }
                _ => false,
            };
            if !decodes {
                let got = match value {
                    Some(Value::Object(_)) => "!!map".to_string(),
                    Some(Value::Array(_)) => "!!seq".to_string(),
                    Some(v) => format!("`{v}`"),
                    None => String::new(),
                };
                let want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
                out.decode.push(format!(
                    "{}: cannot decode {got} into {}",
                    location(e),
                    want.join(" or ")
                ));
            }
        }
        _ => {}
    }
    for cause in &e.causes {
        collect(root, cause, out);
    }
}

fn field<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.as_object()?.get(part)?;
    }
    Some(cur)
}

const FORBIDDEN_DOCUMENTS: &[&str] = &[
    "UnattendedInstallConfig",
    "DiscoveryIdentityConfig",
    "KubeClusterConfig",
    "KubeEtcdEncryptionConfig",
    "KubeAPIServerCAConfig",
    "KubeAggregatorCAConfig",
];

const FORBIDDEN_FIELDS: &[&str] = &[
    "cluster.clusterName",
    "cluster.id",
    "cluster.controlPlane.endpoint",
    "cluster.token",
    "cluster.secret",
    "cluster.aescbcEncryptionSecret",
    "cluster.secretboxEncryptionSecret",
    "cluster.ca",
    "cluster.acceptedCAs",
    "cluster.serviceAccount",
    "machine.token",
    "machine.ca",
    "machine.type",
    "machine.install.disk",
    "machine.install.extensions",
    "machine.acceptedCAs",
];

/// Omni's rules for one document (stage 2).
fn forbidden(doc: &Map<String, Value>, problems: &mut Vec<String>) {
    let whole = Value::Object(doc.clone());
    let kind = doc.get("kind").and_then(Value::as_str);
    if let Some(k) = kind {
        if FORBIDDEN_DOCUMENTS.contains(&k) {
            problems.push(format!(
                "the {k:?} document is not allowed in the config patch"
            ));
            return;
        }
    }
    let (fields, elements): (&[&str], Option<&str>) = match kind {
        None => (
            FORBIDDEN_FIELDS,
            Some("machine.features.kubernetesTalosAPIAccess.allowedRoles"),
        ),
        Some("KubeServiceAccountConfig") => (&["issuer.privateKey"], None),
        Some("KubeTalosAPIAccessConfig") => (&[], Some("allowedRoles")),
        Some(_) => (&[], None),
    };
    for f in fields {
        if field(&whole, f).is_some() {
            problems.push(format!(
                "overriding {f:?} is not allowed in the config patch"
            ));
        }
    }
    if let Some(path) = elements {
        if let Some(Value::Array(items)) = field(&whole, path) {
            for it in items {
                if it.as_str() == Some("os:admin") {
                    problems.push(format!(
                        "element \"os:admin\" is not allowed in field {path:?}"
                    ));
                }
            }
        }
    }
}

/// `omni.ValidateConfigPatch`: `Err` with upstream's text shape when Omni would refuse `data`.
pub fn validate_patch(data: &str) -> Result<(), String> {
    let loader = loader()?;
    let docs = documents(data)?;
    let mut seen: Vec<String> = Vec::new();
    let mut decoded = 0;
    let mut kept: Vec<&Map<String, Value>> = Vec::new();
    for doc in &docs {
        if is_delete(&doc.value) {
            decoded += 1;
            continue;
        }
        let map = match &doc.value {
            Value::Null => continue,
            Value::Object(m) => m,
            _ => return Err(format!("expected a YAML document at line {}", doc.line)),
        };
        decoded += 1;
        let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or_default();
        let (api, kind, name) = (text("apiVersion"), text("kind"), text("name"));
        let id = format!(
            "{api}/{}/{name}",
            if kind.is_empty() { "v1alpha1" } else { kind }
        );
        if seen.contains(&id) {
            return Err(format!(
                "duplicate document {id} is not allowed (line {})",
                doc.line
            ));
        }
        seen.push(id.clone());
        let legacy = ["machine", "cluster", "debug", "persist"]
            .iter()
            .any(|k| map.contains_key(*k));
        let version = if legacy { "v1alpha1" } else { api };
        let key = match (kind, version) {
            ("", "v1alpha1") => "v1alpha1/".to_string(),
            ("", _) => {
                return Err(format!(
                    "error decoding document {id} (line {}): missing kind",
                    doc.line
                ))
            }
            (_, "") => {
                return Err(format!(
                    "error decoding document {id} (line {}): missing apiVersion",
                    doc.line
                ))
            }
            (k, v) => format!("{k}/{v}"),
        };
        let Some((_, index)) = loader.documents.iter().find(|(k, _)| *k == key) else {
            return Err(format!(
                "error decoding document {id} (line {}): {kind:?} {version:?}: not registered",
                doc.line
            ));
        };
        let value = without_deletes(&doc.value);
        if let Err(e) = loader.schemas.validate(&value, *index) {
            let mut refusals = Refusals::default();
            collect(&value, &e, &mut refusals);
            if !refusals.decode.is_empty() {
                return Err(format!(
                    "error decoding document {id} (line {}): error decoding {kind}: {}",
                    doc.line,
                    refusals.decode.join("; ")
                ));
            }
            if !refusals.unknown.is_empty() {
                refusals.unknown.sort();
                return Err(format!(
                    "error decoding document {id} (line {}): unknown keys found during decoding: {}",
                    doc.line,
                    refusals.unknown.join(", ")
                ));
            }
        }
        kept.push(map);
    }
    if decoded == 0 {
        return Err("config not found".into());
    }
    let mut problems = Vec::new();
    for doc in kept {
        forbidden(doc, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(crate::validations::multierror(&problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(data: &str) -> bool {
        validate_patch(data).is_err()
    }

    #[test]
    fn the_loader_and_omni_refuse_what_they_refuse() {
        assert!(!refused("machine:\n  network:\n    hostname: a\n"));
        assert!(refused("machine:\n  network:\n    hostnam: a\n"));
        assert!(refused("machine:\n  install:\n    wipe: maybe\n"));
        assert!(!refused("machine:\n  install:\n    wipe: yes\n"));
        assert!(!refused("machine:\n  network:\n    hostname: 12\n"));
        assert!(refused("spaceship: {}\n"));
        assert!(refused("apiVersion: v1alpha1\nkind: NoSuchConfig\n"));
        assert!(!refused(
            "apiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: 1420\n"
        ));
        assert!(refused(
            "apiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: big\n"
        ));
        assert!(!refused("machine:\n  network:\n    $patch: delete\n"));
        assert_eq!(
            validate_patch("machine:\n  token: x\n").err().as_deref(),
            Some("1 error occurred:\n\t* overriding \"machine.token\" is not allowed in the config patch\n\n")
        );
        assert_eq!(
            validate_patch("").err().as_deref(),
            Some("config not found")
        );
        assert_eq!(
            validate_patch("a: 1\n---\n[x]\n").err().as_deref(),
            Some("error decoding document /v1alpha1/ (line 1): missing kind")
        );
    }
}
