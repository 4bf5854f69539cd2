//! Resources as omnictl reads and writes them, against an in-memory Omni: `apply` (create,
//! update, unchanged, dry runs, a denied read), many writes at once, type names resolved
//! through the registry, ResourceService pages; and offline, a spec rendered the way the
//! server's `yaml.Marshal` renders it and omnictl-style YAML documents read into resources.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use omni_wasm::client::{ApplyAction, ListParams, PageParams};
use omni_wasm::resource::{parse_yaml_documents, Resource, ResourceMetadata};
use omni_wasm::Code;
use serde_json::{json, Value};

mod coverage_support;
use coverage_support::{fake, opts, run, state_only, Fake};

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";
const CLUSTER: &str = "Clusters.omni.sidero.dev";

fn preset(id: &str, spec: Value) -> Resource {
    Resource::new(ResourceMetadata::new("default", PRESET, id), spec)
}

#[test]
fn specs_render_like_the_servers_yaml_marshal() {
    let r = preset(
        "p",
        json!({"talos_version": "1.9.0", "architecture": 2, "install_extensions": ["a", "b"],
               "machine_labels": {"z": "1", "a": "2"}, "cloud": {"platform": "aws"}, "secure_boot": true}),
    );
    // every field, Go's lower-cased names, nil messages as null, maps sorted, 4-space indent
    assert_eq!(
        r.spec_yaml().unwrap(),
        "talosversion: 1.9.0\narchitecture: 2\ninstallextensions:\n    - a\n    - b\nkernelargs: \"\"\n\
         cloud:\n    platform: aws\nsbc: null\njointoken: \"\"\nsecureboot: true\ngrpctunnel: 0\n\
         machinelabels:\n    a: \"2\"\n    z: \"1\"\nbootloader: 0\nembeddedmachineconfig: \"\"\nimagefactoryurl: \"\"\n"
    );
    let c = Resource::new(
        ResourceMetadata::new("default", CLUSTER, "c"),
        json!({"kubernetes_version": "1.30.0", "talos_version": "1.7.0",
               "features": {"enable_workload_proxy": true},
               "backup_configuration": {"interval": "3600s", "enabled": true}}),
    );
    // a Duration is a struct to yaml.Marshal: seconds and nanos
    assert_eq!(
        c.spec_yaml().unwrap(),
        "kubernetesversion: 1.30.0\ntalosversion: 1.7.0\nfeatures:\n    enableworkloadproxy: true\n\
         \x20   diskencryption: false\n    useembeddeddiscoveryservice: false\n    enablenodeauditskip: false\n\
         \x20   disablepublicdiscoveryservice: false\nbackupconfiguration:\n    interval:\n        seconds: 3600\n\
         \x20       nanos: 0\n    enabled: true\n"
    );
}

#[test]
fn yaml_documents_read_into_resources_by_go_field_names() {
    let docs = parse_yaml_documents(
        "metadata:\n  namespace: default\n  type: InstallationMediaConfigs.omni.sidero.dev\n  id: p\n\
         spec:\n  talosversion: 1.9.0\n  architecture: 2\n  installextensions: [a, b]\n  machinelabels:\n    z: \"1\"\n\
         \x20 cloud:\n    platform: aws\n  secureboot: true\n---\n\
         metadata:\n  type: Clusters.omni.sidero.dev\n  id: c\n  labels:\n    env: prod\n\
         spec:\n  kubernetesversion: 1.30.0\n  backupconfiguration:\n    interval: 3600s\n    enabled: true\n\
         \x20 features:\n    diskencryption: true\n",
    )
    .unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0].spec,
        json!({"architecture": 2, "cloud": {"platform": "aws"}, "install_extensions": ["a", "b"],
               "machine_labels": {"z": "1"}, "secure_boot": true, "talos_version": "1.9.0"})
    );
    assert_eq!(
        docs[1].metadata.namespace, "",
        "the type's default namespace applies later"
    );
    assert_eq!(
        docs[1].metadata.labels.get("env").map(String::as_str),
        Some("prod")
    );
    assert_eq!(
        docs[1].spec,
        json!({"backup_configuration": {"enabled": true, "interval": "3600s"},
               "features": {"disk_encryption": true}, "kubernetes_version": "1.30.0"})
    );
    // errors name the document and the position
    let e = parse_yaml_documents(
        "metadata:\n  type: Clusters.omni.sidero.dev\n  id: c\nspec:\n  kubernetesversion: 1.30.0\n---\n\
         metadata:\n  type: Clusters.omni.sidero.dev\n  id: d\nspec:\n  features:\n    diskencryption: maybe\n",
    )
    .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.to_string().contains(
            "document 1: line 12:21: cannot decode \"maybe\" into bool field disk_encryption"
        ),
        "{e}"
    );
}

#[test]
fn apply_creates_updates_or_leaves_alone_and_dry_runs_write_nothing() {
    let f = state_only();
    let h = run(f.omni.resources_in(PRESET, "default")).unwrap();
    let v1 = preset("p", json!({"talos_version": "1.9.0"}));

    let dry = run(h.apply(&v1, true, &opts())).unwrap();
    assert_eq!(dry.action, ApplyAction::Create);
    assert!(
        dry.diff.starts_with("--- /dev/null\n+++ p\n"),
        "{}",
        dry.diff
    );
    assert!(
        dry.diff.contains("+    talosversion: 1.9.0"),
        "{}",
        dry.diff
    );
    assert!(f.writes().is_empty());

    let created = run(h.apply(&v1, false, &opts())).unwrap();
    assert_eq!(created.action, ApplyAction::Create);
    assert_eq!(created.resource.metadata.version, "1");
    assert_eq!(created.diff, dry.diff);

    let same = run(h.apply(&v1, false, &opts())).unwrap();
    assert_eq!(same.action, ApplyAction::Unchanged);
    assert_eq!(same.diff, "");
    assert_eq!(f.writes(), ["Create p"]);

    let mut v2 = preset("p", json!({"talos_version": "1.9.1"}));
    v2.metadata.labels.insert("env".into(), "prod".into());
    let dry = run(h.apply(&v2, true, &opts())).unwrap();
    assert_eq!(dry.action, ApplyAction::Update);
    assert!(
        dry.diff
            .contains("-    talosversion: 1.9.0\n+    talosversion: 1.9.1"),
        "{}",
        dry.diff
    );
    assert!(dry.diff.contains("+        env: prod"), "{}", dry.diff);
    assert_eq!(f.writes(), ["Create p"]);
    let up = run(h.apply(&v2, false, &opts())).unwrap();
    assert_eq!(up.action, ApplyAction::Update);
    assert_eq!(
        up.resource.metadata.version, "2",
        "updated with the version read"
    );
    assert_eq!(
        f.get("default", PRESET, "p").unwrap().spec["talos_version"],
        "1.9.1"
    );

    // a spec that does not encode: refused before anything is read or written
    f.clear_calls();
    let bad = preset("q", json!({"no_such_field": 1}));
    let e = run(h.apply(&bad, false, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(f.store.borrow().calls.is_empty());

    // an update needs the version that was read
    let e = run(h.update(&preset("p", json!({})), &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}

#[test]
fn apply_creates_blindly_when_reading_is_denied() {
    let f = state_only();
    let h = run(f.omni.resources_in(PRESET, "default")).unwrap();
    for code in [Code::PermissionDenied, Code::Unauthenticated] {
        f.store.borrow_mut().refuse.insert("Get".into(), code);
        let id = format!("p-{}", code.name());
        let out = run(h.apply(&preset(&id, json!({})), false, &opts())).unwrap();
        assert_eq!(out.action, ApplyAction::Create);
        f.store.borrow_mut().refuse.clear();
        assert!(f.get("default", PRESET, &id).is_some());
    }
    // other read errors stop it
    f.store
        .borrow_mut()
        .refuse
        .insert("Get".into(), Code::Internal);
    f.clear_calls();
    let e = run(h.apply(&preset("q", json!({})), false, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::Internal);
    assert!(f.writes().is_empty());
}

#[test]
fn many_writes_keep_input_order_and_each_outcome() {
    let f = state_only();
    let items = vec![
        preset("a", json!({"talos_version": "1.9.0"})),
        Resource::new(
            ResourceMetadata::new("", CLUSTER, "c1"),
            json!({"kubernetes_version": "1.30.0"}),
        ),
        preset("b", json!({})),
    ];
    let out = run(f.omni.apply_each(&items, false, 1, &opts())).unwrap();
    let actions: Vec<ApplyAction> = out
        .iter()
        .map(|o| o.as_ref().unwrap().action.clone())
        .collect();
    assert_eq!(
        actions,
        [
            ApplyAction::Create,
            ApplyAction::Create,
            ApplyAction::Create
        ]
    );
    assert_eq!(
        f.writes(),
        ["Create a", "Create c1", "Create b"],
        "one after the other, in order"
    );
    let c1 = f.get("default", CLUSTER, "c1").unwrap();
    assert_eq!(
        c1.spec["kubernetes_version"], "1.30.0",
        "alias resolved, default namespace"
    );
    let again = run(f.omni.apply_each(&items, true, 4, &opts())).unwrap();
    assert!(again
        .iter()
        .all(|o| o.as_ref().unwrap().action == ApplyAction::Unchanged));

    // one invalid resource: nothing is written at all
    f.clear_calls();
    let mut bad = items.clone();
    bad.push(preset("z", json!({"architecture": "sideways"})));
    assert!(run(f.omni.apply_each(&bad, false, 2, &opts())).is_err());
    assert!(f.writes().is_empty());
    let unknown = vec![Resource::new(
        ResourceMetadata::new("", "nosuchthings", "x"),
        json!({}),
    )];
    assert_eq!(
        run(f.omni.apply_each(&unknown, false, 1, &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // deletes: each its own outcome, in the order asked
    let h = run(f.omni.resources_in(PRESET, "default")).unwrap();
    let ids: Vec<String> = ["b", "missing", "a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let gone = run(h.delete_each(&ids, 2, &opts()));
    let brief: Vec<(String, bool)> = gone
        .into_iter()
        .map(|o| o.map(|d| (d.id, d.destroyed)).unwrap())
        .collect();
    assert_eq!(
        brief,
        [
            ("b".into(), true),
            ("missing".into(), false),
            ("a".into(), true)
        ]
    );
    for (id, env) in [("x1", "prod"), ("x2", "dev"), ("x3", "prod")] {
        f.put_with("default", PRESET, id, json!({}), |m| {
            m.labels.insert("env".into(), env.into());
        });
    }
    let gone = run(h.delete_all(&ListParams::default().selector("env=prod"), &opts())).unwrap();
    let ids: Vec<&str> = gone.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["x1", "x3"]);
    assert!(f.get("default", PRESET, "x2").is_some());
}

#[test]
fn type_names_resolve_through_the_registry() {
    let f = state_only();
    let h = run(f.omni.resources("clusters")).unwrap();
    assert_eq!((h.type_name(), h.namespace()), (CLUSTER, "default"));
    let h = run(f.omni.resources("Cluster")).unwrap();
    assert_eq!(h.type_name(), CLUSTER);
    assert_eq!(
        run(f.omni.resources("flux-capacitors")).unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(h.in_namespace("other").namespace(), "other");
    assert!(h.registry().lookup(CLUSTER).is_some());
    assert!(f.omni.cached_registry().lookup(CLUSTER).is_some());

    // the server's definitions: a rejected key is an error; anything else falls back to the
    // built-in table (and is asked again next time)
    let g = state_only();
    g.store
        .borrow_mut()
        .refuse
        .insert("List".into(), Code::Unauthenticated);
    assert_eq!(
        run(g.omni.registry()).unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(
        run(g.omni.resources("clusters")).unwrap_err().code(),
        Code::Unauthenticated,
        "an alias needs the server's definitions"
    );
    assert!(
        run(g.omni.resources(CLUSTER)).is_ok(),
        "a full built-in type name does not"
    );
    g.store
        .borrow_mut()
        .refuse
        .insert("List".into(), Code::Unavailable);
    assert!(run(g.omni.registry()).unwrap().lookup(CLUSTER).is_some());
    g.store.borrow_mut().refuse.clear();
    g.clear_calls();
    run(g.omni.registry()).unwrap();
    run(g.omni.registry()).unwrap();
    let lists = g.bodies("/cosi.resource.State/List");
    assert_eq!(lists.len(), 1, "read once, then cached");
    assert_eq!(lists[0]["type"], "ResourceDefinitions.meta.cosi.dev");
    assert_eq!(lists[0]["namespace"], "meta");
}

/// A ResourceService/List answer: items as JSON strings, as Omni sends them.
fn rs_answer(body: &Value) -> Vec<Value> {
    let all = ["m1", "m2", "m3"];
    let offset = body["offset"].as_i64().unwrap_or(0) as usize;
    let items: Vec<Value> = all
        .iter()
        .skip(offset)
        .map(|id| {
            Value::String(
                json!({"metadata": {"id": id, "namespace": "default", "type": "Machines.omni.sidero.dev",
                                     "version": 3, "phase": "running", "labels": {"a": "b"}},
                       "spec": {"connected": true}})
                .to_string(),
            )
        })
        .collect();
    vec![json!({"items": items, "total": all.len()})]
}

#[test]
fn pages_come_from_the_resource_service_with_selectors_as_metadata() {
    let f: Fake = fake(Rc::new(|method, body| {
        (method == "/omni.resources.ResourceService/List").then(|| Ok(rs_answer(body)))
    }));
    let h = run(f.omni.resources_in("Machines.omni.sidero.dev", "default")).unwrap();
    let p = PageParams {
        selectors: vec!["a=b".into(), " ".into()],
        offset: 1,
        limit: 2,
        sort_by_field: "created".into(),
        sort_descending: true,
        search_for: vec!["m".into()],
    };
    let page = run(h.list_page(&p, &opts())).unwrap();
    assert_eq!(page.total, 3);
    let ids: Vec<&str> = page.items.iter().map(|r| r.metadata.id.as_str()).collect();
    assert_eq!(ids, ["m2", "m3"]);
    assert_eq!(
        page.items[0].metadata.version, "3",
        "numbers read as versions"
    );
    assert_eq!(page.items[0].spec["connected"], true);
    let calls = f.store.borrow();
    let (_, md, body) = calls.calls.last().unwrap();
    assert_eq!(md.first("runtime"), Some("Omni"));
    assert_eq!(md.get("selectors").unwrap(), ["a=b"]);
    assert_eq!(body["offset"], 1);
    assert_eq!(body["limit"], 2);
    assert_eq!(body["sort_by_field"], "created");
    assert_eq!(body["sort_descending"], true);
    assert_eq!(body["search_for"], json!(["m"]));
    drop(calls);
    let bad = PageParams {
        selectors: vec!["a=b,,=".into()],
        ..PageParams::default()
    };
    f.clear_calls();
    assert_eq!(
        run(h.list_page(&bad, &opts())).unwrap_err().code(),
        Code::InvalidArgument
    );
    assert!(f.store.borrow().calls.is_empty(), "checked before sending");
}
