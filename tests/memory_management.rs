//! Management calls over the in-memory transport: the exact requests (method, cluster
//! metadata, protojson body) and how answers and streams are read — no server involved.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use futures::StreamExt as _;
use omni_wasm::auth::Metadata;
use omni_wasm::client::{AuditLogParams, SupportBundleEvent};
use omni_wasm::proto::management as pb;
use omni_wasm::transport::CallOptions;
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

mod common;
use common::client;

const M: &str = "/management.ManagementService/";

#[test]
fn audit_log_follow_skips_reconnect_acks_and_resumes_after_the_last_id() {
    // each stream: an acknowledgement (empty data, the start position), then events, then the
    // end (as Omni ends follow streams after a while)
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let (omni, seen) = client(move |method, body| {
        assert_eq!(method, format!("{M}ReadAuditLog"));
        *c.borrow_mut() += 1;
        let from = body["from_id"]
            .as_str()
            .map_or(0, |s| s.parse::<i64>().unwrap());
        match *c.borrow() {
            1 => Ok(vec![
                json!({"id": "7"}),
                json!({"audit_log": "YQo=", "id": "7"}),
            ]),
            2 => {
                assert_eq!(from, 8, "resumes after the last event");
                Ok(vec![json!({"id": "8"})]) // nothing new
            }
            3 => {
                assert_eq!(from, 8);
                Ok(vec![
                    json!({"id": "8"}),
                    json!({"audit_log": "Ygo=", "id": "8"}),
                    json!({"audit_log": "Ywo=", "id": "9"}),
                ])
            }
            _ => Err(Error::status(Code::PermissionDenied, "stop")),
        }
    });
    let req = pb::ReadAuditLogRequest {
        follow: true,
        ..Default::default()
    };
    let items: Vec<_> = block_on(
        omni.management()
            .audit_log(
                AuditLogParams {
                    request: req,
                    reconnect_after_ms: Some(0),
                },
                &CallOptions::default(),
            )
            .collect::<Vec<_>>(),
    );
    let ok: Vec<(String, i64)> = items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|c| (String::from_utf8(c.data.clone()).unwrap(), c.id))
        .collect();
    // the first acknowledgement is delivered (it says where following starts), later ones not
    assert_eq!(
        ok,
        vec![
            ("".into(), 7),
            ("a\n".into(), 7),
            ("b\n".into(), 8),
            ("c\n".into(), 9)
        ]
    );
    assert_eq!(
        items.last().unwrap().as_ref().unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(seen.borrow().len(), 4);
    let last = &seen.borrow()[3].2;
    assert_eq!(last["from_id"], "10");
    assert_eq!(last["follow"], true);
}

#[test]
fn cluster_scoped_rpcs_send_the_cluster_metadata() {
    let (omni, seen) = client(|method, body| match method {
        m if m.ends_with("KubernetesUpgradePreChecks") => {
            if body["new_version"] == "1.32.0" {
                Ok(vec![json!({"ok": true})])
            } else {
                Ok(vec![json!({"ok": false, "reason": "too far"})])
            }
        }
        m if m.ends_with("KubernetesSyncManifests") => Ok(vec![
            json!({"response_type": 1, "path": "kube-system/x", "object": "YTogMQo=", "diff": "+a", "skipped": false}),
            json!({"response_type": 2, "path": "kube-system/x"}),
        ]),
        other => panic!("unexpected {other}"),
    });
    let m = omni.management();
    let opts = CallOptions::default();
    block_on(m.kubernetes_upgrade_pre_checks("prod", "1.32.0", &opts)).unwrap();
    let e = block_on(m.kubernetes_upgrade_pre_checks("prod", "1.40.0", &opts)).unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.to_string().contains("too far"));
    assert_eq!(
        block_on(m.kubernetes_upgrade_pre_checks("", "1.32.0", &opts))
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let events: Vec<_> = block_on(
        m.sync_manifests(
            "prod",
            pb::KubernetesSyncManifestRequest {
                dry_run: false,
                ssa: None,
            },
            &opts,
        )
        .collect::<Vec<_>>(),
    );
    let events: Vec<_> = events.into_iter().map(Result::unwrap).collect();
    assert!(!events[0].rollout && events[0].object == "a: 1\n" && events[0].diff == "+a");
    assert!(events[1].rollout);
    for (method, md, _) in seen.borrow().iter() {
        assert_eq!(
            md.get("cluster"),
            Some(&["prod".to_string()][..]),
            "{method}"
        );
    }
}

#[test]
fn support_bundle_events_and_users_sorted_and_checked() {
    let (omni, seen) = client(|method, _| match method {
        m if m.ends_with("GetSupportBundle") => Ok(vec![
            json!({"encryption_recipients": ["age1x"]}),
            json!({"progress": {"source": "omni", "state": "collecting", "total": 1, "value": 1}}),
            json!({"bundle_data": "UEsDBA=="}),
        ]),
        m if m.ends_with("ListUsers") => Ok(vec![json!({"users": [
            {"id": "2", "email": "zoe@example.org", "role": "Reader"},
            {"id": "1", "email": "adam@example.org", "role": "Admin", "saml_labels": {"team": "ops"}}
        ]})]),
        other => panic!("unexpected {other}"),
    });
    let m = omni.management();
    let opts = CallOptions::default();
    let events: Vec<_> = block_on(
        m.support_bundle(
            pb::GetSupportBundleRequest {
                cluster: "prod".into(),
                ..Default::default()
            },
            &opts,
        )
        .collect::<Vec<_>>(),
    )
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(
        events[0],
        SupportBundleEvent::Recipients(vec!["age1x".into()])
    );
    assert!(
        matches!(&events[1], SupportBundleEvent::Progress { source, value: 1, total: 1, .. } if source == "omni")
    );
    assert_eq!(
        events[2],
        SupportBundleEvent::Bundle(vec![0x50, 0x4b, 3, 4])
    );
    let users = block_on(m.list_users(&opts)).unwrap();
    assert_eq!(
        users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["adam@example.org", "zoe@example.org"]
    );
    assert_eq!(
        users[0].saml_labels.get("team").map(String::as_str),
        Some("ops")
    );
    // validation happens before anything is sent
    let before = seen.borrow().len();
    assert_eq!(
        block_on(m.create_user("", "Reader", &opts))
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    assert_eq!(
        block_on(m.set_user_role("a@b.c", "", &opts))
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    assert_eq!(
        block_on(m.create_join_token("seventeen-chars-x", None, &opts))
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    assert_eq!(seen.borrow().len(), before);
}

#[test]
fn call_reaches_any_method_by_name_with_protojson_in_and_out() {
    let (omni, seen) = client(|method, body| match method {
        "/omni.resources.ResourceService/Controllers" => {
            assert_eq!(body, &json!({}));
            Ok(vec![
                json!({"controllers": ["ClusterController"], "added_later": 1}),
            ])
        }
        "/management.ManagementService/Kubeconfig" => {
            assert_eq!(body["service_account"], json!(true));
            assert_eq!(body["service_account_user"], json!("bot"));
            Ok(vec![json!({"kubeconfig": "YWJj"})])
        }
        "/management.ManagementService/MachineLogs" => {
            assert_eq!(body["machine_id"], json!("m1"));
            Ok(vec![json!({"bytes": "YQ=="}), json!({"bytes": "Yg=="})])
        }
        other => panic!("unexpected {other}"),
    });
    let o = CallOptions::default();
    let svc = "management.ManagementService";
    // an answer field this build does not know is skipped
    let c = block_on(omni.call(
        "omni.resources.ResourceService",
        "Controllers",
        &json!(null),
        Metadata::new(),
        &o,
    ));
    assert_eq!(c.unwrap(), json!({"controllers": ["ClusterController"]}));
    // JSON or proto field names in, protojson (proto names) out
    let k = block_on(omni.call(
        svc,
        "Kubeconfig",
        &json!({"serviceAccount": true, "service_account_user": "bot"}),
        {
            let mut md = Metadata::new();
            md.set("cluster", "c1");
            md
        },
        &o,
    ));
    assert_eq!(k.unwrap(), json!({"kubeconfig": "YWJj"}));
    let logs: Vec<_> = block_on(
        omni.call_stream(
            svc,
            "MachineLogs",
            &json!({"machineId": "m1"}),
            Metadata::new(),
            o.clone(),
        )
        .collect(),
    );
    let logs: Vec<_> = logs.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        logs,
        vec![json!({"bytes": "YQ=="}), json!({"bytes": "Yg=="})]
    );
    {
        let seen = seen.borrow();
        assert_eq!(
            seen[0].1.first("runtime"),
            Some("Omni"),
            "ResourceService runtime"
        );
        assert_eq!(seen[1].1.first("cluster"), Some("c1"), "caller's metadata");
        assert!(seen[1].1.first("runtime").is_none());
    }
    let sent = seen.borrow().len();
    // refused before anything is sent: unknown method, misspelt field, wrong call shape
    for (method, body) in [
        ("NoSuchMethod", json!({})),
        ("Kubeconfig", json!({"serviceAcount": true})),
        ("MachineLogs", json!({})),
    ] {
        let e = block_on(omni.call(svc, method, &body, Metadata::new(), &o)).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{method}: {e}");
    }
    let e = block_on(
        omni.call_stream(svc, "Kubeconfig", &json!({}), Metadata::new(), o.clone())
            .collect::<Vec<_>>(),
    );
    assert_eq!(e[0].as_ref().unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(seen.borrow().len(), sent, "nothing sent after a refusal");
}

/// A read-only client refuses every write before anything is sent, and reads as usual.
#[test]
fn a_read_only_client_sends_no_write() {
    use omni_wasm::client::{KubeconfigParams, OmniClient};
    use omni_wasm::transport::MemoryHandler;
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let log = seen.clone();
    let h: MemoryHandler = Rc::new(move |method: &str, _md: &Metadata, body: Value| {
        log.borrow_mut().push(method.to_string());
        match method {
            "/cosi.resource.State/List" if body["type"] == "ResourceDefinitions.meta.cosi.dev" => {
                Ok(vec![])
            }
            "/cosi.resource.State/List" => Ok(vec![]),
            "/management.ManagementService/Kubeconfig" => Ok(vec![json!({"kubeconfig": "YWJj"})]),
            other => Err(Error::status(Code::Unimplemented, other.to_string())),
        }
    });
    let omni = OmniClient::builder("memory")
        .memory(h)
        .read_only(true)
        .build()
        .unwrap();
    assert!(omni.transport().read_only());
    let o = CallOptions::default();
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    assert!(block_on(clusters.list(&Default::default(), &o))
        .unwrap()
        .is_empty());
    let denied = |r: omni_wasm::Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{e}");
        assert!(e.to_string().contains("read-only"), "{e}");
    };
    let r: omni_wasm::resource::Resource = serde_json::from_value(json!({
        "metadata": {"namespace": "default", "type": "Clusters.omni.sidero.dev", "id": "c", "version": "1"},
        "spec": {"kubernetes_version": "1.32.0"}
    }))
    .unwrap();
    denied(block_on(clusters.create(&r, &o)).map(|_| ()));
    denied(block_on(clusters.update(&r, &o)).map(|_| ()));
    denied(block_on(clusters.teardown("c", &o)).map(|_| ()));
    denied(block_on(clusters.destroy("c", &o)));
    denied(block_on(clusters.delete("c", &o)).map(|_| ()));
    let svc = "management.ManagementService";
    denied(
        block_on(omni.call(svc, "CreateServiceAccount", &json!({}), Metadata::new(), &o))
            .map(|_| ()),
    );
    denied(
        block_on(omni.call(
            svc,
            "Kubeconfig",
            &json!({"serviceAccount": true}),
            Metadata::new(),
            &o,
        ))
        .map(|_| ()),
    );
    let sa = KubeconfigParams {
        cluster: "c".into(),
        service_account: true,
        ..Default::default()
    };
    denied(block_on(omni.management().kubeconfig(&sa, &o)).map(|_| ()));
    // a user's kubeconfig is a read
    let mine = KubeconfigParams {
        cluster: "c".into(),
        ..Default::default()
    };
    assert_eq!(
        block_on(omni.management().kubeconfig(&mine, &o)).unwrap(),
        "abc"
    );
    let sent = seen.borrow();
    assert!(
        sent.iter().all(|m| omni_wasm::transport::is_read_method(m)),
        "{sent:?}"
    );
    assert!(sent.iter().any(|m| m.ends_with("/Kubeconfig")));
}
