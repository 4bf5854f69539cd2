//! Data-driven cluster-template tests over `tests/testdata/templates/` (upstream cases kept in
//! the repository; origin and licence in its README).
#![cfg(feature = "templates")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use omni_wasm::template::{Stage, Template};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/templates")
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

const BASE: &str =
    "kind: Cluster\nname: c1\nkubernetes:\n  version: v1.30.0\ntalos:\n  version: v1.7.0\n";
const CP: &str = "---\nkind: ControlPlane\nmachines:\n  - 11111111-1111-1111-1111-111111111111\n";

fn load_err(text: &str) -> String {
    Template::load(text, &BTreeMap::new())
        .unwrap_err()
        .to_string()
}

fn render(text: &str) -> Vec<omni_wasm::template::RenderedResource> {
    Template::load(text, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{e}"))
        .render()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn load_errors_follow_upstream_shapes() {
    assert_eq!(
        load_err("- a\n- b\n"),
        "error in document at line 1:1: unexpected node kind 2, expecting mapping"
    );
    assert_eq!(
        load_err(&format!("{BASE}---\n")),
        "error in document at line 7:1: unexpected node kind 8, expecting mapping"
    );
    assert_eq!(
        load_err("kind: [a]\n"),
        "error in document at line 1:1: unexpected value type for kind field 2"
    );
    assert_eq!(
        load_err(&format!("{BASE}{CP}bogus: 1\n")),
        "error decoding document at line 7:1: yaml: construct errors: line 4: field bogus not found in type models.ControlPlane"
    );
    assert_eq!(
        load_err("kind: Cluster\nname: a\nname: b\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 3: mapping key \"name\" already defined at line 2"
    );
    assert_eq!(
        load_err("kind: Cluster\nfeatures:\n  diskEncryption: maybe\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 3: cannot construct !!str `maybe` into bool"
    );
    assert_eq!(
        load_err("kind: Cluster\nfeatures:\n  backupConfiguration:\n    interval: 3600\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 4: cannot construct !!int `3600` into time.Duration"
    );
    assert_eq!(
        load_err("kind: Workers\nmachineClass:\n  size: lots\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 3: invalid machine count lots: strconv.ParseUint: parsing \"lots\": invalid syntax"
    );
    assert_eq!(
        load_err("kind: Workers\nupdateStrategy:\n  type: Fast\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 3: invalid update strategy type Fast"
    );
    assert_eq!(
        load_err("kind: Cluster\npatches:\n  - name: x\n    inline: 5\n"),
        "error decoding document at line 1:1: yaml: construct errors: line 4: expected string, but got !!int"
    );
}

#[test]
fn kernel_args_extensions_and_machine_class_translate_per_spec() {
    let text = format!(
        "{BASE}kernelArgs: [c-arg]\nsystemExtensions: [siderolabs/iscsi-tools]\n{CP}\
         kernelArgs: [cp-arg]\n---\nkind: Workers\nmachines:\n  - 22222222-2222-2222-2222-222222222222\n\
         ---\nkind: Machine\nname: 22222222-2222-2222-2222-222222222222\nlocked: yes\nsystemExtensions: []\n"
    );
    let rs = render(&text);
    let names: Vec<String> = rs.iter().map(|r| r.display_name()).collect();
    assert_eq!(
        names,
        vec![
            "Clusters.omni.sidero.dev(default/c1)",
            "ExtensionsConfigurations.omni.sidero.dev(default/schematic-c1)",
            "MachineSets.omni.sidero.dev(default/c1-control-planes)",
            "MachineSetNodes.omni.sidero.dev(default/11111111-1111-1111-1111-111111111111)",
            "KernelArgs.omni.sidero.dev(default/11111111-1111-1111-1111-111111111111)",
            "MachineSets.omni.sidero.dev(default/c1-workers)",
            "MachineSetNodes.omni.sidero.dev(default/22222222-2222-2222-2222-222222222222)",
            "KernelArgs.omni.sidero.dev(default/22222222-2222-2222-2222-222222222222)",
            "ExtensionsConfigurations.omni.sidero.dev(default/schematic-22222222-2222-2222-2222-222222222222)",
        ]
    );
    let yaml = omni_wasm::template::resources_to_yaml(&rs, 2);
    assert!(yaml.contains("spec:\n  args:\n    - cp-arg\n"), "{yaml}");
    assert!(yaml.contains("spec:\n  args:\n    - c-arg\n"), "{yaml}");
    assert!(yaml.contains("spec:\n  extensions: []\n"), "{yaml}");
    assert!(yaml.contains("    omni.sidero.dev/locked:\n"), "{yaml}");

    // machine class + cluster kernel args: validates, fails to render
    let text = format!(
        "{BASE}kernelArgs: []\n{CP}---\nkind: Workers\nmachineClass:\n  name: mc\n  size: unlimited\n"
    );
    let t = Template::load(&text, &BTreeMap::new()).unwrap();
    t.validate().unwrap();
    let e = t.render().unwrap_err();
    assert_eq!(e.stage, Stage::Render);
    assert_eq!(
        e.to_string(),
        "1 error occurred:\n\t* kernelArgs cannot be defined at cluster level for this machine set since it uses a machine class\n\n"
    );
}

#[test]
fn duplicate_resources_fail_render() {
    let text = format!("{BASE}{CP}  - 11111111-1111-1111-1111-111111111111\n");
    let e = Template::load(&text, &BTreeMap::new())
        .unwrap()
        .render()
        .unwrap_err();
    assert!(
        e.to_string().contains(
            "resource ID duplicate MachineSetNodes.omni.sidero.dev(default/11111111-1111-1111-1111-111111111111)"
        ),
        "{e}"
    );
}

#[test]
fn inline_content_is_reencoded_like_go_yaml() {
    let text = format!(
        "{BASE}kubernetes:\n  version: v1.30\n  manifests:\n    - name: m\n      mode: full\n      inline:\n        - {{kind: A, b: 0x1F, c: 1.0, d: '2024-01-02', e: yes, f: ~}}\n        - {{kind: B, list: [1e6, .5]}}\n{CP}"
    )
    .replace("kubernetes:\n  version: v1.30.0\n", "");
    let rs = render(&text);
    let omni_wasm::template::Spec::KubernetesManifestGroup { data, .. } = &rs[1].spec else {
        panic!("{:?}", rs[1]);
    };
    assert_eq!(
        data,
        "b: 31\nc: 1\nd: \"2024-01-02\"\ne: 'yes'\nf: null\nkind: A\n---\nkind: B\nlist:\n    - 1e+06\n    - 0.5\n"
    );
    let omni_wasm::template::Spec::Cluster(c) = &rs[0].spec else {
        panic!()
    };
    assert_eq!(c.kubernetes_version, "1.30");
    let yaml = omni_wasm::template::resources_to_yaml(&rs[..1], 2);
    assert!(yaml.contains("  kubernetesversion: \"1.30\"\n"), "{yaml}");
}

#[test]
fn proto_json_uses_proto_field_names() {
    let text = format!(
        "{BASE}features:\n  backupConfiguration:\n    interval: 2h\n{CP}updateStrategy: null\nupgradeStrategy:\n  rolling:\n    maxParallelism: 2\n"
    );
    let rs = render(&text);
    let c = rs[0].spec.to_proto_json();
    assert_eq!(c["kubernetes_version"], "1.30.0");
    assert_eq!(c["backup_configuration"]["interval"], "7200s");
    assert_eq!(c["features"]["disk_encryption"], false);
    let ms = rs[1].spec.to_proto_json();
    assert_eq!(ms["update_strategy"], 1);
    assert_eq!(
        ms["upgrade_strategy_config"]["rolling"]["max_parallelism"],
        2
    );
}

#[test]
fn delete_plan_releases_install_disk_and_tears_down_the_cluster() {
    use omni_wasm::template::delete_plan;
    let files = files();
    let r1 = Template::load(&read("cluster1.yaml"), &files)
        .unwrap()
        .render()
        .unwrap();
    let p = delete_plan("my-first-cluster", &r1).unwrap();
    assert!(p.create.is_empty());
    assert_eq!(p.update.len(), 1);
    assert_eq!(
        p.update[0].new.display_name(),
        "MachineInstallDiskConfigs.omni.sidero.dev(default/430d882a-51a8-48b3-ae00-90c5b0b5b0b0)"
    );
    assert!(p.update[0].new.metadata.annotations.is_empty());
    assert!(p.destroy[0].is_empty());
    let d: Vec<String> = p.destroy[1].iter().map(|r| r.display_name()).collect();
    assert_eq!(
        d,
        vec!["Clusters.omni.sidero.dev(default/my-first-cluster)"]
    );
}

#[test]
fn plan_refuses_resources_of_other_clusters() {
    use omni_wasm::template::plan;
    let files = files();
    let r1 = Template::load(&read("cluster1.yaml"), &files)
        .unwrap()
        .render()
        .unwrap();
    let mut other = r1[1].clone();
    other.metadata.id = "999-other".into();
    other
        .metadata
        .labels
        .insert("omni.sidero.dev/cluster".into(), "other".into());
    let e = plan("my-first-cluster", &r1, &[other]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "1 error occurred:\n\t* resource ConfigPatches.omni.sidero.dev(default/999-other) belongs to cluster \"other\", but template is for cluster \"my-first-cluster\"\n\n"
    );
    let mut owned = r1[0].clone();
    owned.metadata.owner = "SomeController".into();
    owned
        .metadata
        .labels
        .insert("omni.sidero.dev/cluster".into(), "x".into());
    let e = plan("my-first-cluster", &r1, &[owned]).unwrap_err();
    assert!(
        e.to_string().contains("already exists for cluster \"x\""),
        "{e}"
    );
}

#[test]
fn empty_stream_loads_and_fails_validation() {
    for text in ["", "# only a comment\n"] {
        let t = Template::load(text, &BTreeMap::new()).unwrap();
        assert_eq!(t.document_count(), 0);
        assert_eq!(
            t.validate().unwrap_err().to_string(),
            "2 errors occurred:\n\t* template should contain 1 cluster, got 0\n\t* template should contain 1 controlplane, got 0\n\n"
        );
    }
}

#[test]
fn crlf_templates_render_like_lf_ones() {
    let files = files();
    let lf = read("cluster1.yaml");
    let crlf = lf.replace('\n', "\r\n");
    let a = Template::load(&lf, &files).unwrap().render_yaml().unwrap();
    let b = Template::load(&crlf, &files)
        .unwrap()
        .render_yaml()
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn proto_json_round_trips_through_from_proto_json() {
    use omni_wasm::template::Spec;
    let files = files();
    for case in valid_cases() {
        for r in Template::load(&read(&format!("{case}.yaml")), &files)
            .unwrap()
            .render()
            .unwrap()
        {
            let json = r.spec.to_proto_json();
            let back = Spec::from_proto_json(&r.metadata.resource_type, &json).unwrap();
            assert_eq!(back, r.spec, "{}", r.display_name());
        }
    }
    // pbjson style: camelCase keys, enum names, duration strings
    let v = serde_json::json!({"updateStrategy": "Rolling", "upgradeStrategyConfig": {"rolling": {"maxParallelism": 3}}});
    let Some(Spec::MachineSet(ms)) = Spec::from_proto_json("MachineSets.omni.sidero.dev", &v)
    else {
        panic!()
    };
    assert_eq!(ms.update_strategy, 1);
    assert_eq!(ms.upgrade_strategy_config, Some(Some(3)));
    let v = serde_json::json!({"job": "x", "interval": "1.5s"});
    let Some(Spec::KubernetesHealthCheck { interval, .. }) =
        Spec::from_proto_json("KubernetesHealthChecks.omni.sidero.dev", &v)
    else {
        panic!()
    };
    assert_eq!(
        interval.map(|d| (d.seconds, d.nanos)),
        Some((1, 500_000_000))
    );
}

/// The engine the client uses (`TemplateEngine`: resources as JSON, as they cross between the
/// npm package's two modules) plans exactly what the typed planner plans: rendered resources
/// survive the JSON round trip, and the plan's diff is the same text.
#[test]
fn the_clients_engine_plans_like_the_typed_planner() {
    use omni_wasm::template::TemplateEngine;
    use omni_wasm::template::{plan, Engine, RenderedResource};
    let files = files();
    let e = Engine;
    let r1 = e.render(&read("cluster1.yaml"), &files).unwrap();
    let r2 = e.render(&read("cluster2.yaml"), &files).unwrap();
    assert_eq!(r1.cluster, "my-first-cluster");
    let typed = |name: &str| {
        Template::load(&read(name), &files)
            .unwrap()
            .render()
            .unwrap()
    };
    let (typed1, typed2) = (typed("cluster1.yaml"), typed("cluster2.yaml"));
    let back: Vec<RenderedResource> = r1
        .resources
        .iter()
        .filter_map(RenderedResource::from_json)
        .collect();
    assert_eq!(back, typed1, "rendered resources survive JSON");

    let p = e.plan(&r2.cluster, &r2.resources, &r1.resources).unwrap();
    let t = plan("my-first-cluster", &typed2, &typed1).unwrap();
    assert_eq!(p.diff, omni_wasm::template::diff(&t));
    assert_eq!(
        (p.create.len(), p.update.len()),
        (t.create.len(), t.update.len())
    );
    assert_eq!(
        p.destroy.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(e
        .plan(&r2.cluster, &r2.resources, &r2.resources)
        .unwrap()
        .is_empty());

    let d = e.delete_plan(&r1.cluster, &r1.resources).unwrap();
    let td = omni_wasm::template::delete_plan("my-first-cluster", &typed1).unwrap();
    assert_eq!(d.diff, omni_wasm::template::diff(&td));
    assert!(!d.destroy.iter().all(Vec::is_empty));

    assert_eq!(
        e.validate(&read("cluster1.yaml"), &files).unwrap(),
        "my-first-cluster"
    );
    let err = e
        .render(&read("cluster-invalid1.yaml"), &files)
        .unwrap_err();
    let omni_wasm::Error::Template(t) = &err else {
        panic!("{err:?}")
    };
    assert!(t.errors.iter().any(|x| x.line.is_some()), "{t:?}");
}
