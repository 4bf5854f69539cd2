//! Offline config-patch validation agrees with the server's (see
//! `tests/testdata/talos-patches/README.md`): every patch of the corpus through omni-wasm's
//! `template::validate_config_patch` and through omni-sim's independent implementation (what its
//! `ValidateConfig` answers), each expected to give the directory's verdict.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

fn corpus(verdict: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/talos-patches")
        .join(verdict);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "{verdict}: {} patches", out.len());
    out
}

#[test]
fn accepted_patches_pass_offline_and_on_the_server() {
    for (name, text) in corpus("accepted") {
        let offline = omni_wasm::template::validate_config_patch(&text);
        assert!(offline.is_ok(), "{name}: offline refused it: {offline:?}");
        let server = omni_sim::talosconfig::validate_patch(&text);
        assert!(server.is_ok(), "{name}: the server refused it: {server:?}");
    }
}

#[test]
fn refused_patches_fail_offline_and_on_the_server() {
    for (name, text) in corpus("refused") {
        let offline = omni_wasm::template::validate_config_patch(&text);
        let issue = offline.expect_err(&format!("{name}: offline accepted it"));
        let server = omni_sim::talosconfig::validate_patch(&text);
        assert!(server.is_err(), "{name}: the server accepted it");
        // where: a document and a line inside the patch, unless nothing is there at all
        let first = &issue.errors[0];
        if !name.contains("nothing") {
            assert!(first.line.is_some_and(|l| l >= 1), "{name}: {first:?}");
            assert!(first.document.is_some(), "{name}: {first:?}");
        }
    }
}

#[test]
fn the_offline_problem_points_at_what_is_wrong() {
    let issue = |text: &str| {
        let e = omni_wasm::template::validate_config_patch(text).unwrap_err();
        let first = e.errors[0].clone();
        (first.document, first.line, first.column)
    };
    // the misspelt key
    assert_eq!(
        issue("machine:\n  network:\n    hostnam: a\n"),
        (Some(0), Some(3), Some(5))
    );
    // the value that does not decode, in the second document
    assert_eq!(
        issue("machine: {}\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: jumbo\n"),
        (Some(1), Some(5), Some(6))
    );
    // the field Omni keeps for itself
    assert_eq!(
        issue("machine:\n  token: x\n"),
        (Some(0), Some(2), Some(10))
    );
}

#[test]
fn a_template_marks_the_inline_patch_key_omni_would_refuse() {
    let text = "kind: Cluster\nname: c\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.0\npatches:\n  - name: bad\n    inline:\n      machine:\n        instal: {}\n---\nkind: ControlPlane\nmachines: [0c8f1a4e-1111-4a5b-9c3d-000000000001]\n";
    let t = omni_wasm::template::Template::load(text, &Default::default()).unwrap();
    let e = t.validate().unwrap_err();
    let issue = e
        .errors
        .iter()
        .find(|i| i.message.contains("inline patch"))
        .unwrap();
    // upstream's text (the line in the encoded patch), placed at the key in the template
    assert!(
        issue
            .message
            .contains("(line 1): unknown keys found during decoding:\nmachine:\n    instal: {}"),
        "{}",
        issue.message
    );
    assert_eq!((issue.line, issue.column), (Some(11), Some(9)));
}
