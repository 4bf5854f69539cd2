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
    // everything for tests and tools, and for the runtime spec codec only the spec files and
    // what they import.
    let mut bare = fds.clone();
    for f in &mut bare.file {
        f.source_code_info = None;
    }
    std::fs::write(out.join("proto.desc"), prost::Message::encode_to_vec(&bare))?;
    let mut needed: Vec<String> = bare
        .file
        .iter()
        .map(|f| f.name().to_string())
        .filter(|n| n.starts_with("omni/specs/") || n == "v1alpha1/meta.proto")
        .collect();
    let mut i = 0;
    while i < needed.len() {
        let deps = bare
            .file
            .iter()
            .find(|f| f.name() == needed[i])
            .map(|f| f.dependency.clone())
            .unwrap_or_default();
        for d in deps {
            if !needed.contains(&d) {
                needed.push(d);
            }
        }
        i += 1;
    }
    let mut specs = bare.clone();
    specs.file.retain(|f| needed.iter().any(|n| n == f.name()));
    std::fs::write(
        out.join("specs.desc"),
        prost::Message::encode_to_vec(&specs),
    )?;

    let mut config = prost_build::Config::new();
    config
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types")
        .btree_map(["."]);
    tonic_prost_build::configure()
        .build_server(false)
        .build_transport(false)
        .compile_fds_with_config(fds, config)?;

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
