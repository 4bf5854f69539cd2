//! Data-driven cluster-template tests over `../shared/testdata/templates/` (read in place).
#![cfg(feature = "templates")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use omni_wasm::template::{Stage, Template};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/templates")
}

/// Every file below the test directory, keyed by its relative path.
fn files() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["patches", "manifests"] {
        let Ok(rd) = fs::read_dir(dir().join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = format!("{sub}/{}", e.file_name().to_string_lossy());
            if let Ok(text) = fs::read_to_string(e.path()) {
                out.insert(name, text);
            }
        }
    }
    out
}

fn read(name: &str) -> String {
    fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `file -> (stage, exact text)` from EXPECTED-ERRORS.md.
fn expected_errors() -> Vec<(String, String, String)> {
    let md = read("EXPECTED-ERRORS.md");
    let mut out = Vec::new();
    let mut rest = md.as_str();
    while let Some(i) = rest.find("### `") {
        rest = &rest[i + 5..];
        let Some(j) = rest.find('`') else { break };
        let file = rest[..j].to_string();
        let stage = if rest[j..].starts_with("` (load)") {
            "load"
        } else {
            "validate"
        };
        let Some(s) = rest.find("````text\n") else {
            break;
        };
        let body = &rest[s + 9..];
        let Some(e) = body.find("\n````") else { break };
        out.push((file, stage.to_string(), body[..e].to_string()));
        rest = &body[e..];
    }
    out
}

fn valid_cases() -> Vec<&'static str> {
    vec!["cluster1", "cluster2", "cluster-with-manifests"]
}

#[test]
fn valid_templates_render_byte_exact_goldens() {
    let files = files();
    let mut failures = Vec::new();
    for case in valid_cases() {
        let t = Template::load(&read(&format!("{case}.yaml")), &files)
            .unwrap_or_else(|e| panic!("{case}: load: {e}"));
        t.validate()
            .unwrap_or_else(|e| panic!("{case}: validate: {e}"));
        let got = t
            .render_yaml_with(4, None)
            .unwrap_or_else(|e| panic!("{case}: render: {e}"));
        let want = read(&format!("{case}-resources.yaml"));
        if got != want {
            failures.push(format!("{case}:\n--- want\n{want}\n--- got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn docs(text: &str) -> Vec<serde_norway::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde_norway::Value::deserialize(d).expect("parse"))
        .collect()
}

fn normalise(mut v: serde_norway::Value) -> serde_norway::Value {
    if let Some(md) = v.get_mut("metadata").and_then(|m| m.as_mapping_mut()) {
        md.remove("created");
        md.remove("updated");
        for k in ["labels", "annotations"] {
            if let Some(m) = md.get_mut(k).and_then(|m| m.as_mapping_mut()) {
                for (_, val) in m.iter_mut() {
                    if val.is_null() {
                        *val = serde_norway::Value::String(String::new());
                    }
                }
            }
        }
    }
    v
}

#[test]
fn omnictl_render_output_matches_goldens_semantically() {
    let files = files();
    for case in valid_cases() {
        let t = Template::load(&read(&format!("{case}.yaml")), &files).unwrap();
        let got = t
            .render_yaml_with(2, Some("2026-08-21T14:53:32+03:00"))
            .unwrap();
        let want = read(&format!("{case}-resources.yaml"));
        let (g, w) = (docs(&got), docs(&want));
        assert_eq!(g.len(), w.len(), "{case}: document count");
        for (i, (a, b)) in g.into_iter().zip(w).enumerate() {
            assert_eq!(normalise(a), normalise(b), "{case}: document {i}");
        }
        // data strings exactly: the 2-space output keeps 4-space re-encoded content
        let rs = t.render().unwrap();
        assert_eq!(rs.len(), docs(&want).len());
    }
}

#[test]
fn invalid_templates_report_upstream_texts() {
    let files = files();
    let cases = expected_errors();
    assert!(cases.len() >= 11, "parsed {} cases", cases.len());
    let mut failures = Vec::new();
    for (file, stage, want) in &cases {
        let text = read(file);
        let got = match (stage.as_str(), Template::load(&text, &files)) {
            ("load", Err(e)) => {
                assert_eq!(e.stage, Stage::Load);
                e.to_string()
            }
            ("load", Ok(_)) => format!("<{file} loaded>"),
            (_, Err(e)) => format!("<{file} failed to load: {e}>"),
            (_, Ok(t)) => match t.validate() {
                Err(e) => {
                    for err in &e.errors {
                        assert!(
                            err.document.is_some() || err.message.starts_with("template should"),
                            "{file}: error without document: {}",
                            err.message
                        );
                    }
                    e.to_string()
                }
                Ok(()) => format!("<{file} validated>"),
            },
        };
        if got.trim() != want.trim() {
            failures.push(format!(
                "{file}:\n--- want\n{}\n--- got\n{}",
                want.trim(),
                got.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn errors_carry_positions() {
    let files = files();
    let e = Template::load(&read("cluster-bad-yaml1.yaml"), &files).unwrap_err();
    let err = &e.errors[0];
    assert_eq!(
        (err.document, err.line, err.column),
        (Some(0), Some(7), Some(1))
    );
    let t = Template::load(&read("cluster-invalid3.yaml"), &files).unwrap();
    let e = t.validate().unwrap_err();
    let first = &e.errors[0];
    assert_eq!(first.document, Some(2), "{first:?}");
}

#[test]
fn sync_plan_of_cluster2_over_cluster1() {
    use omni_wasm::template::plan;
    let files = files();
    let r1 = Template::load(&read("cluster1.yaml"), &files)
        .unwrap()
        .render()
        .unwrap();
    let p = plan("my-first-cluster", &r1, &[]).unwrap();
    assert_eq!(p.create.len(), 12);
    assert!(p.update.is_empty());
    assert_eq!(p.destroy, vec![vec![], vec![]]);

    let r2 = Template::load(&read("cluster2.yaml"), &files)
        .unwrap()
        .render()
        .unwrap();
    let p = plan("my-first-cluster", &r2, &r1).unwrap();
    let ids = |v: &[omni_wasm::template::RenderedResource]| -> Vec<String> {
        v.iter().map(|r| r.display_name()).collect()
    };
    assert_eq!(
        ids(&p.destroy[0]),
        vec!["MachineSetNodes.omni.sidero.dev(default/4aed1106-6f44-4be9-9796-d4b5b0b5b0b0)"]
    );
    assert_eq!(
        ids(&p.destroy[1]),
        vec![
            "ConfigPatches.omni.sidero.dev(default/400-my-first-cluster-control-planes-patches/my-cp-patch.yaml)",
            "ConfigPatches.omni.sidero.dev(default/401-my-first-cluster-control-planes-kubespan-enabled)"
        ]
    );
    let upd: Vec<String> = p.update.iter().map(|u| u.new.display_name()).collect();
    assert_eq!(
        upd,
        vec![
            "Clusters.omni.sidero.dev(default/my-first-cluster)",
            "MachineInstallDiskConfigs.omni.sidero.dev(default/430d882a-51a8-48b3-ae00-90c5b0b5b0b0)",
            "MachineSetNodes.omni.sidero.dev(default/430d882a-51a8-48b3-ab00-d4b5b0b5b0b0)"
        ]
    );
    assert_eq!(
        ids(&p.create),
        vec!["ConfigPatches.omni.sidero.dev(default/400-my-first-cluster-control-planes-kubespan-enabled)"]
    );
    let d = omni_wasm::template::diff(&p);
    assert!(
        d.contains("--- Clusters.omni.sidero.dev(default/my-first-cluster)\n"),
        "{d}"
    );
    assert!(
        d.contains("-  talosversion: 1.5.0\n+  talosversion: 1.3.1\n"),
        "{d}"
    );
    // syncing the same template twice is a no-op
    assert!(plan("my-first-cluster", &r2, &r2).unwrap().is_empty());
}

#[test]
fn export_round_trips_rendered_resources() {
    use omni_wasm::template::{export, ExportOptions, RenderedResource};
    let files = files();
    let key = |r: &RenderedResource| (r.metadata.resource_type.clone(), r.metadata.id.clone());
    for case in valid_cases() {
        let mut before = Template::load(&read(&format!("{case}.yaml")), &files)
            .unwrap()
            .render()
            .unwrap();
        let opts = ExportOptions {
            cluster: Template::load(&read(&format!("{case}.yaml")), &files)
                .unwrap()
                .cluster_name()
                .unwrap()
                .to_string(),
            ..ExportOptions::default()
        };
        let text = export(&before, &opts).unwrap_or_else(|e| panic!("{case}: {e}"));
        let t = Template::load(&text, &BTreeMap::new())
            .unwrap_or_else(|e| panic!("{case}: {e}\n{text}"));
        let mut after = t.render().unwrap_or_else(|e| panic!("{case}: {e}\n{text}"));
        before.sort_by_key(key);
        after.sort_by_key(key);
        assert_eq!(before, after, "{case}:\n{text}");
        // exporting again gives the same text
        assert_eq!(export(&after, &opts).unwrap(), text, "{case}");
    }
}
