//! Prints TypeScript declarations for every protobuf message and enum under `proto/`, in the
//! protojson shape the library hands to JS (proto field names, enum numbers, 64-bit integers
//! and bytes as strings, timestamps and durations as strings), plus `SpecByType`, the spec
//! interface of every built-in resource type. `scripts/pkg.sh` writes it to `pkg/specs.d.ts`.
//!
//! `cargo run -q --example gen_ts > specs.d.ts`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

#[derive(Default)]
struct Ns {
    items: Vec<String>,
    children: BTreeMap<String, Ns>,
}

impl Ns {
    fn at(&mut self, package: &str) -> &mut Ns {
        let mut ns = self;
        for part in package.split('.').filter(|p| !p.is_empty()) {
            ns = ns.children.entry(part.to_string()).or_default();
        }
        ns
    }

    fn render(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        for item in &self.items {
            for line in item.lines() {
                let _ = writeln!(out, "{pad}{line}");
            }
        }
        // top-level namespaces are ambient declarations; nested ones must not repeat `declare`
        let keyword = if depth == 0 {
            "export declare namespace"
        } else {
            "export namespace"
        };
        for (name, child) in &self.children {
            let _ = writeln!(out, "{pad}{keyword} {name} {{");
            child.render(out, depth + 1);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

/// `.pkg.Outer.Inner` → the TS path `pkg.Outer_Inner`.
fn ts_ref(type_name: &str, packages: &[String]) -> String {
    let name = type_name.trim_start_matches('.');
    match name {
        "google.protobuf.Timestamp" | "google.protobuf.Duration" => return "string".into(),
        "google.protobuf.Empty" => return "Record<string, never>".into(),
        "google.protobuf.Any" => return "{ \"@type\": string; [k: string]: unknown }".into(),
        "google.protobuf.Struct" | "google.protobuf.Value" => return "unknown".into(),
        _ => {}
    }
    let pkg = packages
        .iter()
        .filter(|p| name.starts_with(&format!("{p}.")))
        .max_by_key(|p| p.len())
        .cloned()
        .unwrap_or_default();
    let rest = name.strip_prefix(&format!("{pkg}.")).unwrap_or(name);
    format!("{pkg}.{}", rest.replace('.', "_"))
}

fn scalar(t: Type) -> &'static str {
    match t {
        Type::Double
        | Type::Float
        | Type::Int32
        | Type::Uint32
        | Type::Sint32
        | Type::Fixed32
        | Type::Sfixed32 => "number",
        Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64 => "string",
        Type::Bool => "boolean",
        Type::String => "string",
        Type::Bytes => "string /* base64 */",
        _ => "unknown",
    }
}

fn emit_enum(e: &EnumDescriptorProto, prefix: &str, ns: &mut Ns) {
    let values: Vec<String> = e
        .value
        .iter()
        .map(|v| format!("{} /* {} */", v.number(), v.name()))
        .collect();
    let values = if values.is_empty() {
        "number".to_string()
    } else {
        values.join(" | ")
    };
    ns.items
        .push(format!("export type {prefix}{} = {values};", e.name()));
}

fn emit_message(m: &DescriptorProto, prefix: &str, ns: &mut Ns, packages: &[String]) {
    let name = format!("{prefix}{}", m.name());
    let maps: BTreeMap<String, &DescriptorProto> = m
        .nested_type
        .iter()
        .filter(|n| n.options.as_ref().is_some_and(|o| o.map_entry()))
        .map(|n| (n.name().to_string(), n))
        .collect();
    let mut body = format!("export interface {name} {{\n");
    for f in &m.field {
        let t = f.r#type();
        let base = if matches!(t, Type::Message | Type::Enum) {
            let short = f.type_name().rsplit('.').next().unwrap_or_default();
            if let Some(entry) = maps.get(short).filter(|_| t == Type::Message) {
                let v = &entry.field[1];
                let vt = if matches!(v.r#type(), Type::Message | Type::Enum) {
                    ts_ref(v.type_name(), packages)
                } else {
                    scalar(v.r#type()).to_string()
                };
                format!("Record<string, {vt}>")
            } else {
                ts_ref(f.type_name(), packages)
            }
        } else {
            scalar(t).to_string()
        };
        let is_map = base.starts_with("Record<string,") && t == Type::Message;
        let ty = if f.label() == Label::Repeated && !is_map {
            format!("Array<{base}>")
        } else {
            base
        };
        let _ = writeln!(body, "  {}?: {ty};", f.name());
    }
    body.push('}');
    ns.items.push(body);
    for e in &m.enum_type {
        emit_enum(e, &format!("{name}_"), ns);
    }
    for n in m
        .nested_type
        .iter()
        .filter(|n| !n.options.as_ref().is_some_and(|o| o.map_entry()))
    {
        emit_message(n, &format!("{name}_"), ns, packages);
    }
}

fn main() {
    let fds = FileDescriptorSet::decode(omni_wasm::proto::FILE_DESCRIPTOR_SET).unwrap();
    let packages: Vec<String> = fds.file.iter().map(|f| f.package().to_string()).collect();
    let mut root = Ns::default();
    for file in &fds.file {
        if file.package().starts_with("google.protobuf") {
            continue;
        }
        let ns = root.at(file.package());
        for e in &file.enum_type {
            emit_enum(e, "", ns);
        }
        for m in &file.message_type {
            emit_message(m, "", ns, &packages);
        }
    }
    let mut out = String::from(
        "// Generated by examples/gen_ts.rs from proto/: the protojson shape of every message.\n\
         // Fields are optional: zero values are omitted on the wire.\n",
    );
    let mut body = String::new();
    root.render(&mut body, 0);
    out.push_str(&body);
    let mut by_type = String::from(
        "\n/** The spec interface of every built-in resource type, by full type string. */\nexport interface SpecByType {\n",
    );
    let reg = omni_wasm::resource::Registry::builtin();
    let mut types: Vec<_> = reg.types().collect();
    types.sort_by(|a, b| a.type_name.cmp(&b.type_name));
    for t in types {
        let spec = t
            .spec_message
            .as_deref()
            .map(|m| ts_ref(m, &packages))
            .unwrap_or_else(|| "Record<string, unknown>".into());
        let _ = writeln!(by_type, "  \"{}\": {spec};", t.type_name);
    }
    by_type.push_str("}\n");
    print!("{out}{by_type}");
}
