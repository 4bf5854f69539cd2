//! Compiles every `.proto` under the workspace's `proto/` folder into prost
//! types with tonic server (and, for the sim's own tests, client) stubs.
//!
//! The sim deliberately does not reuse the client crate's generated code, so
//! that a bug in the client's types is not mirrored by the server. The file
//! descriptor set is written to `OUT_DIR/sim.desc` for `prost-reflect`, which
//! drives the JSON gateway and the YAML rendering of specs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from("../../proto");
    println!("cargo:rerun-if-changed=../../proto");
    let files = proto_files(&root)?;
    for f in &files {
        println!("cargo:rerun-if-changed=../../proto/{f}");
    }
    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("sim.desc"), prost::Message::encode_to_vec(&fds))?;

    let packages: Vec<String> = fds
        .file
        .iter()
        .filter_map(|f| f.package.clone())
        .filter(|p| !p.starts_with("google.protobuf"))
        .collect();

    let mut config = prost_build::Config::new();
    config.btree_map(["."]);
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .generate_default_stubs(true)
        .compile_fds_with_config(fds, config)?;

    // A module tree mirroring the proto packages: `cosi.resource` → `cosi::resource`.
    let mut tree = Node::default();
    for p in packages {
        let mut n = &mut tree;
        for part in p.split('.') {
            n = n.children.entry(part.to_string()).or_default();
        }
        n.file = Some(p);
    }
    let mut code = String::new();
    tree.render(&mut code);
    std::fs::write(out.join("sim_protos.rs"), code)?;
    Ok(())
}

#[derive(Default)]
struct Node {
    file: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn render(&self, out: &mut String) {
        if let Some(f) = &self.file {
            out.push_str(&format!(
                "include!(concat!(env!(\"OUT_DIR\"), \"/{f}.rs\"));\n"
            ));
        }
        for (name, child) in &self.children {
            out.push_str(&format!("pub mod {name} {{\n"));
            child.render(out);
            out.push_str("}\n");
        }
    }
}

/// Every `.proto` under `dir`, relative to `dir`, sorted; bundled well-known types are skipped.
fn proto_files(dir: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
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
