//! Compiles `proto/` into prost types with protojson-compatible serde impls.
//!
//! No `protoc` binary is needed: `protox` is a pure-Rust protobuf compiler.
//! The template-only build (no `browser` feature) compiles nothing.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-env-changed=OMNI_WASM_DESCRIPTOR_OUT");
    if std::env::var_os("CARGO_FEATURE_BROWSER").is_none() {
        return Ok(());
    }
    let files = proto_files(PathBuf::from("proto").as_path())?;
    let fds = protox::compile(&files, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let bytes = prost::Message::encode_to_vec(&fds);
    if let Some(path) = std::env::var_os("OMNI_WASM_DESCRIPTOR_OUT") {
        std::fs::write(path, &bytes)?;
    }
    // What the library embeds carries no source info (spans and comments, over half of it):
    // everything for tests and tools; for the run time (the spec codec and the JSON protocols'
    // response reader) Omni's and COSI's own files whole, and of Talos' and Google's files only
    // what those reach.
    let mut bare = fds.clone();
    for f in &mut bare.file {
        f.source_code_info = None;
    }
    std::fs::write(out.join("proto.desc"), prost::Message::encode_to_vec(&bare))?;
    let mut runtime = bare.clone();
    let roots: Vec<String> = runtime
        .file
        .iter()
        .map(|f| f.name().to_string())
        .filter(|n| !n.starts_with("talos/") && !n.starts_with("google/"))
        .collect();
    prune(&mut runtime, &roots);
    for f in &mut runtime.file {
        strip_options(f);
    }
    std::fs::write(
        out.join("runtime.desc"),
        prost::Message::encode_to_vec(&runtime),
    )?;

    let mut config = prost_build::Config::new();
    config
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types")
        .btree_map(["."]);
    config.compile_fds(fds)?;

    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        .preserve_proto_field_names()
        .use_integers_for_enums()
        .ignore_unknown_fields()
        .btree_map(["."])
        .extern_path(".google.protobuf", "::pbjson_types")
        .build(&["."])?;
    Ok(())
}

/// Keeps of the files other than `roots` only the messages and enums that the root files'
/// messages reach (Omni's specs use a handful of Talos' hundreds of messages; of
/// `descriptor.proto` only the option messages that the options left resolve against, so that
/// building the pool never falls back to prost-reflect's global pool of well-known types), and
/// their services and all extensions: the descriptor pool is built when it is first needed,
/// and its build time grows with every message in it.
fn prune(set: &mut prost_types::FileDescriptorSet, roots: &[String]) {
    use std::collections::{HashMap, HashSet};
    fn index(
        scope: &str,
        m: &prost_types::DescriptorProto,
        refs: &mut HashMap<String, Vec<String>>,
        all: &mut Vec<String>,
    ) {
        let name = format!("{scope}.{}", m.name());
        let used = m
            .field
            .iter()
            .filter(|f| !f.type_name().is_empty())
            .map(|f| f.type_name().to_string())
            .collect();
        refs.insert(name.clone(), used);
        all.push(name.clone());
        for e in &m.enum_type {
            all.push(format!("{name}.{}", e.name()));
        }
        for n in &m.nested_type {
            index(&name, n, refs, all);
        }
    }
    let mut refs: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue: Vec<String> = Vec::new();
    for f in &set.file {
        let scope = if f.package().is_empty() {
            String::new()
        } else {
            format!(".{}", f.package())
        };
        let mut all = Vec::new();
        for m in &f.message_type {
            index(&scope, m, &mut refs, &mut all);
        }
        for e in &f.enum_type {
            all.push(format!("{scope}.{}", e.name()));
        }
        if roots.iter().any(|r| r == f.name()) {
            queue.extend(all);
            for m in f.service.iter().flat_map(|s| &s.method) {
                queue.push(m.input_type().to_string());
                queue.push(m.output_type().to_string());
            }
        }
    }
    // the options that remain (map entries, packed, aliases) resolve against these
    for o in ["MessageOptions", "FieldOptions", "EnumOptions"] {
        queue.push(format!(".google.protobuf.{o}"));
    }
    let mut kept: HashSet<String> = HashSet::new();
    while let Some(name) = queue.pop() {
        if !kept.insert(name.clone()) {
            continue;
        }
        // a nested type needs the messages around it
        let mut outer = name.as_str();
        while let Some((head, _)) = outer.rsplit_once('.') {
            if refs.contains_key(head) {
                queue.push(head.to_string());
            }
            outer = head;
        }
        if let Some(used) = refs.get(&name) {
            queue.extend(used.iter().cloned());
        }
    }
    fn keep_message(scope: &str, m: &mut prost_types::DescriptorProto, kept: &HashSet<String>) {
        let name = format!("{scope}.{}", m.name());
        m.nested_type
            .retain(|n| kept.contains(&format!("{name}.{}", n.name())));
        m.enum_type
            .retain(|e| kept.contains(&format!("{name}.{}", e.name())));
        m.extension.clear();
        for n in &mut m.nested_type {
            keep_message(&name, n, kept);
        }
    }
    for f in &mut set.file {
        let scope = if f.package().is_empty() {
            String::new()
        } else {
            format!(".{}", f.package())
        };
        f.message_type
            .retain(|m| kept.contains(&format!("{scope}.{}", m.name())));
        f.enum_type
            .retain(|e| kept.contains(&format!("{scope}.{}", e.name())));
        for m in &mut f.message_type {
            keep_message(&scope, m, &kept);
        }
        if !roots.iter().any(|r| r == f.name()) {
            f.service.clear();
        }
        f.extension.clear();
    }
}

/// Drops the options the run time never reads (Go packages, deprecation, custom options), so
/// that building the descriptor pool does not decode and re-encode each of them. Kept: what
/// changes the meaning of data (`map_entry`, `packed`, `allow_alias`).
fn strip_options(f: &mut prost_types::FileDescriptorProto) {
    fn message(m: &mut prost_types::DescriptorProto) {
        let map_entry = m.options.as_ref().and_then(|o| o.map_entry);
        m.options = map_entry.map(|v| prost_types::MessageOptions {
            map_entry: Some(v),
            ..Default::default()
        });
        for fd in m.field.iter_mut().chain(m.extension.iter_mut()) {
            let packed = fd.options.as_ref().and_then(|o| o.packed);
            fd.options = packed.map(|v| prost_types::FieldOptions {
                packed: Some(v),
                ..Default::default()
            });
        }
        for o in &mut m.oneof_decl {
            o.options = None;
        }
        m.nested_type.iter_mut().for_each(message);
        m.enum_type.iter_mut().for_each(enumeration);
    }
    fn enumeration(e: &mut prost_types::EnumDescriptorProto) {
        let alias = e.options.as_ref().and_then(|o| o.allow_alias);
        e.options = alias.map(|v| prost_types::EnumOptions {
            allow_alias: Some(v),
            ..Default::default()
        });
        for v in &mut e.value {
            v.options = None;
        }
    }
    f.options = None;
    f.message_type.iter_mut().for_each(message);
    f.enum_type.iter_mut().for_each(enumeration);
    for s in &mut f.service {
        s.options = None;
        for m in &mut s.method {
            m.options = None;
        }
    }
    for fd in &mut f.extension {
        fd.options = None;
    }
}

/// Every `.proto` under `dir`, as paths relative to `dir`, sorted.
fn proto_files(dir: &std::path::Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
                if !rel.starts_with("google/protobuf/") {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
