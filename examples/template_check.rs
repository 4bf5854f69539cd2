//! A CI gate for cluster templates, natively in Rust (no network, no wasm): load each template
//! with the files it references, validate it, and render it to the YAML
//! `omnictl cluster template render` prints. Problems are printed as `file:line:column: message`
//! (what editors and CI annotations understand) and make the exit code non-zero.
//!
//! ```sh
//! cargo run --example template_check -- clusters/*.yaml          # check templates
//! cargo run --example template_check -- --render cluster.yaml    # and print the render
//! cargo run --example template_check                             # a built-in demo template
//! ```
//!
//! Files a template references (`file: patches/x.yaml`) are read relative to its directory,
//! as omnictl does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use omni_wasm::template::{Template, TemplateErrors};

const DEMO: &str = "kind: Cluster
name: demo
kubernetes:
  version: v1.32.0
talos:
  version: v1.9.1
patches:
  - name: kubespan
    inline:
      machine:
        network:
          kubespan:
            enabled: true
---
kind: ControlPlane
machines:
  - 4c4c4544-0042-3510-8052-b4c04f4e3332
---
kind: Workers
machines:
  - 4c4c4544-0042-3510-8052-b4c04f4e3333
";

/// Every file under `dir` (recursively), keyed by its path relative to `dir` with `/`.
fn files_under(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else if let (Ok(rel), Ok(text)) =
                (path.strip_prefix(dir), std::fs::read_to_string(&path))
            {
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(key, text);
            }
        }
    }
    Ok(out)
}

fn report(name: &str, errors: &TemplateErrors) {
    for e in &errors.errors {
        let mut lines = e.message.trim_end().lines();
        let first = lines.next().unwrap_or_default();
        match (e.line, e.column) {
            (Some(l), Some(c)) => eprintln!("{name}:{l}:{c}: {first}"),
            _ => eprintln!("{name}: {first}"),
        }
        for more in lines.filter(|l| !l.trim().is_empty()) {
            eprintln!("    {}", more.trim());
        }
    }
}

/// Check one template; `Ok(rendered YAML)` when valid.
fn check(
    name: &str,
    text: &str,
    files: &BTreeMap<String, String>,
) -> Result<String, TemplateErrors> {
    let template = Template::load(text, files)?;
    template.validate()?;
    let yaml = template.render_yaml()?;
    let cluster = template.cluster_name().unwrap_or("?");
    let documents =
        yaml.matches("\nmetadata:").count() + usize::from(yaml.starts_with("metadata:"));
    println!(
        "{name}: cluster {cluster:?} is valid ({} documents in, {documents} resources out)",
        template.document_count()
    );
    Ok(yaml)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let render = args.iter().any(|a| a == "--render");
    args.retain(|a| a != "--render");

    let mut inputs: Vec<(String, String, BTreeMap<String, String>)> = Vec::new();
    if args.is_empty() {
        inputs.push(("demo.yaml".into(), DEMO.into(), BTreeMap::new()));
    }
    for arg in &args {
        let path = PathBuf::from(arg);
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match (std::fs::read_to_string(&path), files_under(dir)) {
            (Ok(text), Ok(files)) => inputs.push((arg.clone(), text, files)),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("{arg}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    let mut failed = 0;
    for (name, text, files) in &inputs {
        match check(name, text, files) {
            Ok(yaml) if render => print!("{yaml}"),
            Ok(_) => {}
            Err(errors) => {
                report(name, &errors);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} templates have problems", inputs.len());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
