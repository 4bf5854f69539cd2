//! Cluster and machine operations omnictl performs through resources (`omnictl cluster
//! lock|unlock`, `cluster machine lock|unlock|delete`, `cluster secret rotate`, `cluster import
//! abort`) against an in-memory Omni whose "controllers" remove what Omni would remove.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use omni_wasm::client::{MachineDelete, RotationStatus, SecretComponent};
use omni_wasm::Code;
use serde_json::json;

mod coverage_support;
use coverage_support::{opts, run, state_only, Fake};

const CLUSTER: &str = "Clusters.omni.sidero.dev";
const CLUSTER_STATUS: &str = "ClusterStatuses.omni.sidero.dev";
const CLUSTER_MACHINE: &str = "ClusterMachines.omni.sidero.dev";
const MSN: &str = "MachineSetNodes.omni.sidero.dev";
const FORCE: &str = "NodeForceDestroyRequests.omni.sidero.dev";
const ROTATION: &str = "ClusterSecretsRotationStatuses.omni.sidero.dev";
const ROTATE_TALOS: &str = "RotateTalosCAs.omni.sidero.dev";
const LINK: &str = "Links.omni.sidero.dev";
const LABEL_CLUSTER: &str = "omni.sidero.dev/cluster";
const LOCKED: &str = "omni.sidero.dev/cluster-locked";
const IMPORTING: &str = "omni.sidero.dev/cluster-import-is-in-progress";

fn key(ty: &str, id: &str) -> (String, String, String) {
    (ty.to_string(), "default".to_string(), id.to_string())
}

#[test]
fn clusters_and_machines_are_locked_and_unlocked_by_annotation() {
    let f = state_only();
    f.put_with("default", CLUSTER, "c1", json!({}), |m| {
        m.annotations.insert(IMPORTING.into(), String::new());
        m.annotations.insert("keep".into(), "me".into());
    });
    f.put("default", MSN, "m1", json!({}));
    let ops = f.omni.operations();

    let r = run(ops.set_cluster_locked("c1", true, &opts())).unwrap();
    assert!(r.metadata.annotations.contains_key(LOCKED));
    let stored = f.get("default", CLUSTER, "c1").unwrap();
    assert_eq!(
        stored.metadata.annotations.get(LOCKED).map(String::as_str),
        Some("")
    );
    assert!(stored.metadata.annotations.contains_key(IMPORTING));
    run(ops.set_cluster_locked("c1", false, &opts())).unwrap();
    let stored = f.get("default", CLUSTER, "c1").unwrap();
    assert!(!stored.metadata.annotations.contains_key(LOCKED));
    assert!(
        !stored.metadata.annotations.contains_key(IMPORTING),
        "unlocking ends an unfinished import"
    );
    assert_eq!(
        stored.metadata.annotations.get("keep").map(String::as_str),
        Some("me")
    );
    assert_eq!(
        run(ops.set_cluster_locked("nope", true, &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    run(ops.set_machine_locked("m1", true, &opts())).unwrap();
    assert!(f
        .get("default", MSN, "m1")
        .unwrap()
        .metadata
        .annotations
        .contains_key("omni.sidero.dev/locked"));
    run(ops.set_machine_locked("m1", false, &opts())).unwrap();
    assert!(f
        .get("default", MSN, "m1")
        .unwrap()
        .metadata
        .annotations
        .is_empty());
    assert_eq!(
        run(ops.set_machine_locked("m9", true, &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

/// A fake whose controller removes a ClusterMachine once its MachineSetNode is gone.
fn with_cluster_machine(label: bool) -> Fake {
    let f = state_only();
    f.put_with("default", CLUSTER_MACHINE, "m1", json!({}), |m| {
        if label {
            m.labels.insert(LABEL_CLUSTER.into(), "c1".into());
        }
    });
    f.put("default", MSN, "m1", json!({}));
    f.store.borrow_mut().controller = Some(Rc::new(|method, body, resources| {
        if method == "TeardownAndDestroy" && body["type"] == MSN {
            let id = body["id"].as_str().unwrap();
            resources.remove(&key(CLUSTER_MACHINE, id));
        }
    }));
    f.clear_calls();
    f
}

/// The progress lines, without line ends.
fn delete(f: &Fake, how: MachineDelete) -> omni_wasm::Result<Vec<String>> {
    run(f
        .omni
        .operations()
        .delete_cluster_machine("m1", how, &opts()))
    .map(|lines| lines.iter().map(|l| l.trim_end().to_string()).collect())
}

const FORCE_ETCD: MachineDelete = MachineDelete {
    force_etcd_leave: true,
    skip_wipe: false,
};

#[test]
fn deleting_a_cluster_machine_removes_its_node_and_waits_until_it_is_gone() {
    let f = with_cluster_machine(true);
    let lines = delete(&f, MachineDelete::default()).unwrap();
    assert_eq!(
        lines,
        [
            format!("destroy {MSN} m1"),
            format!("wait until {CLUSTER_MACHINE} m1 is destroyed"),
            format!("{CLUSTER_MACHINE} m1 is destroyed"),
        ]
    );
    assert!(f.get("default", MSN, "m1").is_none());
    assert_eq!(f.writes(), ["TeardownAndDestroy m1"]);
    assert_eq!(
        delete(&f, MachineDelete::default()).unwrap_err().code(),
        Code::NotFound,
        "not in a cluster (any more)"
    );

    // forced etcd leave: first a NodeForceDestroyRequest labelled with the cluster (one that
    // exists already is fine)
    let f = with_cluster_machine(true);
    f.put("default", FORCE, "m1", json!({}));
    let lines = delete(&f, FORCE_ETCD).unwrap();
    assert_eq!(lines[0], format!("create {FORCE} for machine m1"));
    assert_eq!(lines.len(), 4);
    let f = with_cluster_machine(true);
    delete(&f, FORCE_ETCD).unwrap();
    let req = f.get("default", FORCE, "m1").unwrap();
    assert_eq!(
        req.metadata.labels.get(LABEL_CLUSTER).map(String::as_str),
        Some("c1")
    );
    assert_eq!(
        f.writes(),
        ["Create m1", "TeardownAndDestroy m1"],
        "the request first"
    );

    // forced without a cluster label: nothing can be asked, nothing is written
    let f = with_cluster_machine(false);
    let e = delete(&f, FORCE_ETCD).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.to_string().contains("failed to get cluster label"));
    assert!(f.writes().is_empty());

    // without a wipe: the machine's Link is torn down before its node goes (a missing Link
    // is fine)
    let f = with_cluster_machine(true);
    f.put("default", LINK, "m1", json!({}));
    f.clear_calls();
    let how = MachineDelete {
        skip_wipe: true,
        ..MachineDelete::default()
    };
    delete(&f, how).unwrap();
    assert_eq!(f.writes(), ["Teardown m1", "TeardownAndDestroy m1"]);
    assert_eq!(
        f.get("default", LINK, "m1").unwrap().metadata.phase,
        "tearingDown"
    );
    let f = with_cluster_machine(true);
    delete(&f, how).unwrap();

    // a machine set node already gone: only the wait
    let f = with_cluster_machine(true);
    f.store.borrow_mut().resources.remove(&key(MSN, "m1"));
    f.store.borrow_mut().controller = Some(Rc::new(|method, _, resources| {
        // the ClusterMachine goes away on its own after the first read
        if method == "Get" {
            resources.remove(&key(CLUSTER_MACHINE, "m1"));
        }
    }));
    let lines = delete(&f, MachineDelete::default()).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn secret_rotation_starts_once_and_refuses_a_second_kind() {
    assert_eq!(
        SecretComponent::parse("talos-ca").unwrap(),
        SecretComponent::TalosCa
    );
    assert_eq!(
        SecretComponent::parse("TALOS_CA").unwrap(),
        SecretComponent::TalosCa
    );
    assert_eq!(
        SecretComponent::parse("kubernetes-ca").unwrap(),
        SecretComponent::KubernetesCa
    );
    assert_eq!(
        SecretComponent::parse("KUBERNETES_CA").unwrap(),
        SecretComponent::KubernetesCa
    );
    assert_eq!(
        SecretComponent::parse("etcd-ca").unwrap_err().code(),
        Code::InvalidArgument
    );
    let st = RotationStatus::from_spec(
        &json!({"phase": 3, "component": 2, "status": "s", "step": "t", "error": "e"}),
    );
    assert_eq!(
        (
            st.phase.as_str(),
            st.component.as_str(),
            st.status.as_str(),
            st.step.as_str(),
            st.error.as_str()
        ),
        ("POST_ROTATE", "KUBERNETES_CA", "s", "t", "e")
    );
    assert!(!st.idle());
    assert_eq!(
        RotationStatus::from_spec(&json!({"phase": 1})).phase,
        "PRE_ROTATE"
    );
    assert!(RotationStatus::from_spec(&json!({})).idle());

    let f = state_only();
    let ops = f.omni.operations();
    let talos = SecretComponent::TalosCa;
    assert_eq!(
        run(ops.rotate_secret("c1", talos, &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound,
        "no such cluster"
    );
    f.put("default", CLUSTER, "c1", json!({}));
    assert_eq!(
        run(ops.secret_rotation_status("c1", &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound,
        "no status yet"
    );
    f.put("default", ROTATION, "c1", json!({}));
    let st = run(ops.rotate_secret("c1", talos, &opts())).unwrap();
    assert!(st.idle());
    let req = f.get("default", ROTATE_TALOS, "c1").unwrap();
    let stamp: i64 = req.metadata.annotations["timestamp"].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - 5..=now).contains(&stamp));
    // again: the existing request is touched (a new timestamp means a new rotation)
    run(ops.rotate_secret("c1", talos, &opts())).unwrap();
    assert_eq!(
        f.get("default", ROTATE_TALOS, "c1")
            .unwrap()
            .metadata
            .version,
        "2"
    );

    // a Talos CA rotation in progress: asking for it again writes nothing; the other refuses
    let h = run(f.omni.resources_in(ROTATION, "default")).unwrap();
    let mut st = run(h.get("c1", &opts())).unwrap();
    st.spec = json!({"phase": 2, "component": 1, "step": "rotating"});
    run(h.update(&st, &opts())).unwrap();
    f.clear_calls();
    let status = run(ops.rotate_secret("c1", talos, &opts())).unwrap();
    assert_eq!(
        (
            status.phase.as_str(),
            status.component.as_str(),
            status.step.as_str()
        ),
        ("ROTATE", "TALOS_CA", "rotating")
    );
    let e = run(ops.rotate_secret("c1", SecretComponent::KubernetesCa, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e
        .to_string()
        .contains("another rotation is already in progress for TALOS_CA"));
    assert!(f.writes().is_empty());
}

#[test]
fn aborting_an_import_tears_the_cluster_down_then_the_links() {
    let f = state_only();
    f.put_with("default", CLUSTER, "c1", json!({}), |m| {
        m.annotations.insert(LOCKED.into(), String::new());
    });
    f.put("default", CLUSTER_STATUS, "c1", json!({}));
    for m in ["m1", "m2"] {
        f.put_with("default", MSN, m, json!({}), |md| {
            md.labels.insert(LABEL_CLUSTER.into(), "c1".into());
        });
    }
    f.put_with("default", MSN, "other", json!({}), |md| {
        md.labels.insert(LABEL_CLUSTER.into(), "c2".into());
    });
    f.put("default", LINK, "m1", json!({}));
    f.put("default", LINK, "other", json!({}));
    let ops = f.omni.operations();

    let e = run(ops.abort_cluster_import("c1", &opts())).unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.to_string().contains("is not tainted as importing"));
    f.edit_raw("default", CLUSTER_STATUS, "c1", |r| {
        r["metadata"]["labels"] = json!({"omni.sidero.dev/tainted-by-importing": ""});
    });
    f.edit_raw("default", CLUSTER, "c1", |r| {
        r["metadata"]["annotations"] = json!({});
    });
    let e = run(ops.abort_cluster_import("c1", &opts())).unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.to_string().contains("is not locked"));
    f.edit_raw("default", CLUSTER, "c1", |r| {
        r["metadata"]["annotations"] = json!({ LOCKED: "" });
    });

    // Omni's controllers destroy a cluster once it is torn down
    f.store.borrow_mut().controller = Some(Rc::new(|method, body, resources| {
        if method == "Teardown" && body["type"] == CLUSTER {
            resources.remove(&key(CLUSTER, body["id"].as_str().unwrap()));
        }
    }));
    f.clear_calls();
    let lines = run(ops.abort_cluster_import("c1", &opts())).unwrap();
    assert_eq!(
        lines,
        [
            "removing link for machine \"m1\" from Omni",
            "removing link for machine \"m2\" from Omni",
            "import operation was aborted successfully for cluster \"c1\"",
        ]
    );
    assert_eq!(f.writes(), ["Teardown c1", "Teardown m1", "Teardown m2"]);
    assert!(f.get("default", CLUSTER, "c1").is_none());
    assert_eq!(
        f.get("default", LINK, "m1").unwrap().metadata.phase,
        "tearingDown"
    );
    assert_eq!(
        f.get("default", LINK, "other").unwrap().metadata.phase,
        "running"
    );
}
