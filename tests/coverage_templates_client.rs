//! Cluster templates against a server (`omnictl cluster template diff|sync|delete|export`,
//! `omnictl cluster status`) with the native engine and an in-memory Omni: what a sync
//! creates, updates and tears down (waiting for finalizers), that a dry run writes nothing,
//! and that a synced cluster diffs clean and exports back.
#![cfg(all(feature = "full", feature = "templates", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt as _;
use omni_wasm::template::{Engine, Rendered, TemplateEngine};
use omni_wasm::transport::CallOptions;
use omni_wasm::Code;
use serde_json::json;

mod coverage_support;
use coverage_support::{opts, run, state_only, Fake};

const CLUSTER: &str = "Clusters.omni.sidero.dev";
const MACHINE_SET: &str = "MachineSets.omni.sidero.dev";
const MSN: &str = "MachineSetNodes.omni.sidero.dev";
const CP_MACHINE: &str = "11111111-1111-1111-1111-111111111111";
const W_MACHINE: &str = "22222222-2222-2222-2222-222222222222";

fn template(k8s: &str, workers: bool) -> String {
    let mut t = format!(
        "kind: Cluster\nname: c1\nkubernetes:\n  version: {k8s}\ntalos:\n  version: v1.7.0\n\
         ---\nkind: ControlPlane\nmachines:\n  - {CP_MACHINE}\n"
    );
    if workers {
        t.push_str(&format!("---\nkind: Workers\nmachines:\n  - {W_MACHINE}\n"));
    }
    t
}

fn rendered(text: &str) -> Rendered {
    Engine.render(text, &BTreeMap::new()).unwrap()
}

/// Ids of the stored resources of `ty`.
fn ids(f: &Fake, ty: &str) -> Vec<String> {
    f.store
        .borrow()
        .resources
        .keys()
        .filter(|k| k.0 == ty)
        .map(|k| k.2.clone())
        .collect()
}

fn synced() -> Fake {
    let f = state_only();
    run(f.omni.templates().sync(
        &Engine,
        &rendered(&template("v1.30.0", true)),
        false,
        &opts(),
    ))
    .unwrap();
    f.clear_calls();
    f
}

#[test]
fn a_dry_run_sync_writes_nothing_and_a_sync_creates_every_resource() {
    let f = state_only();
    let t = f.omni.templates();
    let r = rendered(&template("v1.30.0", true));
    let dry = run(t.sync(&Engine, &r, true, &opts())).unwrap();
    assert!(dry.changed);
    assert!(
        dry.diff
            .contains("+++ Clusters.omni.sidero.dev(default/c1)"),
        "{}",
        dry.diff
    );
    assert!(dry
        .actions
        .iter()
        .all(|a| a.starts_with("* creating (dry run) ")));
    assert!(dry
        .actions
        .contains(&format!("* creating (dry run) {CLUSTER}(c1)")));
    assert!(f.writes().is_empty(), "{:?}", f.writes());
    assert_eq!(run(t.diff(&Engine, &r, &opts())).unwrap(), dry.diff);

    let done = run(t.sync(&Engine, &r, false, &opts())).unwrap();
    assert_eq!(done.diff, dry.diff);
    assert_eq!(
        done.actions,
        dry.actions
            .iter()
            .map(|a| a.replace(" (dry run)", ""))
            .collect::<Vec<_>>()
    );
    assert_eq!(f.writes().len(), r.resources.len(), "one Create each");
    assert_eq!(ids(&f, CLUSTER), ["c1"]);
    assert_eq!(ids(&f, MACHINE_SET), ["c1-control-planes", "c1-workers"]);
    assert_eq!(ids(&f, MSN), [CP_MACHINE, W_MACHINE]);
    let c = f.get("default", CLUSTER, "c1").unwrap();
    assert_eq!(c.spec["kubernetes_version"], "1.30.0");
    assert_eq!(c.spec["talos_version"], "1.7.0");

    // synced: nothing to do
    f.clear_calls();
    let again = run(t.sync(&Engine, &r, false, &opts())).unwrap();
    assert!(!again.changed, "{}", again.diff);
    assert_eq!(again.diff, "");
    assert!(again.actions.is_empty());
    assert!(f.writes().is_empty());
}

#[test]
fn a_changed_template_updates_and_a_removed_part_is_torn_down_after_its_finalizers() {
    let f = synced();
    let t = f.omni.templates();
    let up = run(t.sync(
        &Engine,
        &rendered(&template("v1.30.1", true)),
        false,
        &opts(),
    ))
    .unwrap();
    assert_eq!(up.actions, [format!("* updating {CLUSTER}(c1)")]);
    let c = f.get("default", CLUSTER, "c1").unwrap();
    assert_eq!(c.spec["kubernetes_version"], "1.30.1");
    assert_eq!(c.metadata.version, "2");

    // the worker machine set has a finalizer that its controller releases a while after the
    // teardown: the destroy waits for that
    f.edit_raw("default", MACHINE_SET, "c1-workers", |r| {
        r["metadata"]["finalizers"] = json!(["MachineSetController"]);
    });
    let watches = Rc::new(std::cell::Cell::new(0));
    let w = watches.clone();
    f.store.borrow_mut().controller = Some(Rc::new(move |method, body, resources| {
        if method == "Watch" && body["id"] == "c1-workers" {
            w.set(w.get() + 1);
            if w.get() == 3 {
                let k = (
                    MACHINE_SET.to_string(),
                    "default".to_string(),
                    "c1-workers".to_string(),
                );
                resources.get_mut(&k).unwrap()["metadata"]["finalizers"] = json!([]);
            }
        }
    }));
    f.clear_calls();
    let down = run(t.sync(
        &Engine,
        &rendered(&template("v1.30.1", false)),
        false,
        &opts(),
    ))
    .unwrap();
    assert!(down.changed);
    assert!(
        down.diff
            .contains("--- MachineSets.omni.sidero.dev(default/c1-workers)"),
        "{}",
        down.diff
    );
    // the machine set only: Omni's controllers remove its nodes
    assert_eq!(
        down.actions,
        [
            format!("* tearing down {MACHINE_SET}(c1-workers)"),
            format!("* destroyed {MACHINE_SET}(c1-workers)"),
        ]
    );
    assert_eq!(f.writes(), ["Teardown c1-workers", "Destroy c1-workers"]);
    assert_eq!(ids(&f, MACHINE_SET), ["c1-control-planes"]);
    assert!(watches.get() >= 3, "waited for the finalizer");
    assert!(
        f.store.borrow().refused_destroys.is_empty(),
        "no destroy while finalizers were left"
    );
}

#[test]
fn deleting_a_cluster_tears_down_everything_its_template_owns() {
    let f = synced();
    let t = f.omni.templates();
    assert_eq!(
        run(t.delete_cluster(&Engine, "", false, false, &opts()))
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    // disconnected machines of the cluster, their patches and the cluster's extensions
    f.put_with(
        "default",
        "MachineStatuses.omni.sidero.dev",
        "gone-1",
        json!({}),
        |m| {
            m.labels
                .insert("omni.sidero.dev/disconnected".into(), String::new());
            m.labels
                .insert("omni.sidero.dev/cluster".into(), "c1".into());
        },
    );
    f.put_with(
        "default",
        "MachineStatuses.omni.sidero.dev",
        "here-1",
        json!({}),
        |m| {
            m.labels
                .insert("omni.sidero.dev/cluster".into(), "c1".into());
        },
    );
    f.put_with(
        "default",
        "ConfigPatches.omni.sidero.dev",
        "p-gone",
        json!({}),
        |m| {
            m.labels
                .insert("omni.sidero.dev/machine".into(), "gone-1".into());
        },
    );
    f.clear_calls();
    let dry = run(t.delete_cluster(&Engine, "c1", true, true, &opts())).unwrap();
    assert!(dry.changed);
    for a in [
        "* tearing down (dry run) Links.omni.sidero.dev(gone-1)".to_string(),
        "* tearing down (dry run) ConfigPatches.omni.sidero.dev(p-gone)".to_string(),
        format!("* tearing down (dry run) {CLUSTER}(c1)"),
    ] {
        assert!(dry.actions.contains(&a), "{a} not in {:?}", dry.actions);
    }
    assert!(!dry.actions.iter().any(|a| a.contains("here-1")));
    assert!(f.writes().is_empty());

    let done = run(t.delete_cluster(&Engine, "c1", false, false, &opts())).unwrap();
    // the cluster only: Omni's controllers remove what hangs off it
    assert_eq!(
        done.actions,
        [
            format!("* tearing down {CLUSTER}(c1)"),
            format!("* destroyed {CLUSTER}(c1)"),
        ]
    );
    assert!(ids(&f, CLUSTER).is_empty());
    assert_eq!(
        ids(&f, "ConfigPatches.omni.sidero.dev"),
        ["p-gone"],
        "only with the flag"
    );
    let nothing = run(t.delete_cluster(&Engine, "c9", false, false, &opts())).unwrap();
    assert!(!nothing.changed);
    assert!(nothing.actions.is_empty());
}

#[test]
fn a_synced_cluster_exports_back_to_its_template() {
    let f = state_only();
    let t = f.omni.templates();
    let e = run(t.export(&Engine, "c1", false, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.to_string().contains("cluster \"c1\" not found"));
    let text = template("v1.30.0", true);
    run(t.sync(&Engine, &rendered(&text), false, &opts())).unwrap();
    let exported = run(t.export(&Engine, "c1", false, &opts())).unwrap();
    assert!(exported.contains("kind: Cluster\nname: c1\n"), "{exported}");
    assert!(exported.contains(CP_MACHINE) && exported.contains(W_MACHINE));
    // the export renders to the same resources: a sync of it changes nothing
    let again = run(t.sync(&Engine, &rendered(&exported), false, &opts())).unwrap();
    assert!(!again.changed, "{}", again.diff);
    assert!(!exported.contains("kernelArgs"), "{exported}");

    // --include-kernel-args: each listed machine's KernelArgs (upstream operations/export.go
    // sets the list even when the machine has no KernelArgs resource)
    f.put(
        "default",
        "KernelArgs.omni.sidero.dev",
        CP_MACHINE,
        json!({"args": ["console=ttyS0", "net.ifnames=0"]}),
    );
    let with_args = run(t.export(&Engine, "c1", true, &opts())).unwrap();
    assert!(
        with_args.contains("kernelArgs:\n  - console=ttyS0\n  - net.ifnames=0\n"),
        "{with_args}"
    );
    assert!(with_args.contains("kernelArgs: []\n"), "{with_args}");
    assert!(!run(t.export(&Engine, "c1", false, &opts()))
        .unwrap()
        .contains("kernelArgs"));
}

#[test]
fn cluster_status_snapshots_until_healthy_or_the_deadline() {
    let f = state_only();
    let t = f.omni.templates();
    assert_eq!(run(t.cluster_status("c1", &opts())).unwrap(), None);
    f.put(
        "default",
        "ClusterStatuses.omni.sidero.dev",
        "c1",
        json!({"phase": 1, "ready": false}),
    );
    f.put_with(
        "default",
        "MachineSetStatuses.omni.sidero.dev",
        "c1-workers",
        json!({"phase": 3, "ready": true}),
        |m| {
            m.labels
                .insert("omni.sidero.dev/cluster".into(), "c1".into());
        },
    );
    let (tree, healthy) = run(t.cluster_status("c1", &opts())).unwrap().unwrap();
    assert!(!healthy);
    assert!(tree.contains("c1"), "{tree}");
    assert!(tree.contains("c1-workers"), "{tree}");

    // not healthy and never changing: one snapshot, then the deadline
    let o = CallOptions::default().with_timeout(Duration::from_millis(150));
    let items: Vec<_> = run(t
        .status_updates("c1", Duration::from_millis(20), true, o)
        .collect::<Vec<_>>());
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(!items[0].as_ref().unwrap().as_ref().unwrap().1);
    assert_eq!(
        items[1].as_ref().unwrap_err().code(),
        Code::DeadlineExceeded
    );

    // becomes healthy after a few reads: each change once, ending with the healthy one
    let key = (
        "ClusterStatuses.omni.sidero.dev".to_string(),
        "default".to_string(),
        "c1".to_string(),
    );
    let unhealthy = f.store.borrow().resources[&key].clone();
    let h = run(f
        .omni
        .resources_in("ClusterStatuses.omni.sidero.dev", "default"))
    .unwrap();
    let mut st = run(h.get("c1", &opts())).unwrap();
    st.spec = json!({"phase": 3, "ready": true});
    run(h.update(&st, &opts())).unwrap();
    let healthy = f.store.borrow().resources[&key].clone();
    f.store
        .borrow_mut()
        .resources
        .insert(key.clone(), unhealthy);
    let reads = Rc::new(std::cell::Cell::new(0));
    let r = reads.clone();
    f.store.borrow_mut().controller = Some(Rc::new(move |method, body, resources| {
        if method == "List" && body["type"] == "ClusterStatuses.omni.sidero.dev" {
            r.set(r.get() + 1);
            if r.get() == 2 {
                resources.insert(key.clone(), healthy.clone());
            }
        }
    }));
    let items: Vec<_> = run(t
        .status_updates("c1", Duration::from_millis(5), true, CallOptions::default())
        .collect::<Vec<_>>());
    let health: Vec<bool> = items
        .iter()
        .map(|i| i.as_ref().unwrap().as_ref().unwrap().1)
        .collect();
    assert_eq!(
        health,
        [false, true],
        "the unchanged second read is not repeated"
    );
    assert_eq!(reads.get(), 3);
}

/// Upstream's export golden (`client/pkg/template/operations/export_test.go`, data copied into
/// `tests/testdata/templates/export/`): the resources a cluster made in Omni's UI has, read from
/// their omnictl YAML (Omni's own form: durations as `seconds`/`nanos`, 2-space indentation),
/// export byte for byte to upstream's expected template, with and without kernel args; syncing
/// the export back changes nothing; exporting again gives the same text.
#[test]
fn upstream_export_golden_byte_for_byte() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testdata/templates/export/"
    );
    let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).unwrap();
    let resources = omni_wasm::resource::parse_yaml_documents(&read("cluster-resources.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resources.len(), 31);
    for (kernel_args, golden) in [
        (false, "cluster-template.yaml"),
        (true, "cluster-template-with-kernel-args.yaml"),
    ] {
        let f = state_only();
        for r in &resources {
            let m = &r.metadata;
            f.put_with(&m.namespace, &m.type_, &m.id, r.spec.clone(), |md| {
                md.labels = m.labels.clone();
                md.annotations = m.annotations.clone();
                md.owner = m.owner.clone();
            });
        }
        let t = f.omni.templates();
        let exported = run(t.export(&Engine, "export-test", kernel_args, &opts()))
            .unwrap_or_else(|e| panic!("{e}"));
        let want = read(golden);
        if exported != want {
            let d = omni_wasm::template::unified_diff("want", "got", &want, &exported);
            panic!("{golden} differs:\n{d}");
        }
        // Syncing it back: the cluster, machine sets, nodes, patches, manifests and health
        // checks stay as they are (what upstream's test asserts). The UI-made install disk
        // configs become template-managed; without kernel args in the template the managed
        // KernelArgs is released, with them a machine's `kernelArgs: []` is created (as
        // upstream's sync plans each).
        let again = run(t.sync(&Engine, &rendered(&exported), false, &opts())).unwrap();
        let touched: Vec<&str> = again
            .diff
            .lines()
            .filter_map(|l| l.strip_prefix("+++ "))
            .collect();
        let mut want_touched = vec![
            "MachineInstallDiskConfigs.omni.sidero.dev(default/024780fe-b0d6-43e0-a868-b142ba0a67a6)",
            "MachineInstallDiskConfigs.omni.sidero.dev(default/3f8b33d2-52b1-42ed-8505-4025ddbc31f1)",
        ];
        if kernel_args {
            // `kernelArgs: []` for the machine that had none creates an empty KernelArgs
            want_touched
                .push("KernelArgs.omni.sidero.dev(default/3f8b33d2-52b1-42ed-8505-4025ddbc31f1)");
        } else {
            want_touched
                .push("KernelArgs.omni.sidero.dev(default/024780fe-b0d6-43e0-a868-b142ba0a67a6)");
        }
        assert_eq!(touched, want_touched, "{golden}:\n{}", again.diff);
        let twice = run(t.export(&Engine, "export-test", kernel_args, &opts())).unwrap();
        assert_eq!(twice, exported);
        let third = run(t.sync(&Engine, &rendered(&exported), false, &opts())).unwrap();
        assert!(
            !third.changed,
            "{golden}: a second sync changed:\n{}",
            third.diff
        );
    }
}
