//! The client over the in-memory transport: the exact requests it sends (method, signed
//! metadata, protojson body) and how it reads answers — no server involved.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use omni_wasm::client::ListParams;
use omni_wasm::transport::CallOptions;
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

mod common;
use common::client;

fn cluster(id: &str, version: &str) -> Value {
    json!({"resource": {
        "metadata": {"namespace": "default", "type": "Clusters.omni.sidero.dev", "id": id, "version": version, "phase": "running"},
        "spec": {"proto_spec": "EgYxLjMyLjA=" /* field 2 = "1.32.0" */, "yaml_spec": "kubernetesversion: 1.32.0\n"}
    }})
}

#[test]
fn list_sends_a_signed_state_list_with_parsed_selectors() {
    let (omni, seen) = client(|method, body| match method {
        // type resolution lists the server's ResourceDefinitions first: none here
        "/cosi.resource.State/List" if body["type"] == "ResourceDefinitions.meta.cosi.dev" => {
            Ok(vec![])
        }
        "/cosi.resource.State/List" => Ok(vec![cluster("a", "3"), cluster("b", "1")]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let items = block_on(
        clusters.list(
            &ListParams::default()
                .selector("env=prod,!locked")
                .id_regexp("^a"),
            &CallOptions::default(),
        ),
    )
    .unwrap();
    assert_eq!(
        items
            .iter()
            .map(|r| r.metadata.id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(items[0].spec["kubernetes_version"], "1.32.0");
    let seen = seen.borrow();
    let (method, md, body) = seen.last().unwrap();
    assert_eq!(method, "/cosi.resource.State/List");
    assert_eq!(body["namespace"], "default");
    assert_eq!(body["options"]["id_query"]["regexp"], "^a");
    let terms = &body["options"]["label_query"][0]["terms"];
    assert_eq!(terms[0], json!({"key": "env", "op": 1, "value": ["prod"]}));
    assert_eq!(terms[1], json!({"key": "locked", "invert": true}));
    let sig = md.first("x-sidero-signature").unwrap();
    assert!(sig.starts_with("siderov1 unit "), "{sig}");
    let payload: Value = serde_json::from_str(md.first("x-sidero-payload").unwrap()).unwrap();
    assert_eq!(payload["method"], "/cosi.resource.State/List");
}

#[test]
fn reads_retry_unavailable_and_writes_do_not() {
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let (omni, seen) = client(move |method, _| {
        if method == "/cosi.resource.State/List" {
            return Ok(vec![]); // ResourceDefinitions for type resolution
        }
        *c.borrow_mut() += 1;
        if *c.borrow() <= 2 {
            return Err(Error::status(Code::Unavailable, "try later"));
        }
        match method {
            "/cosi.resource.State/Get" => Ok(vec![cluster("a", "1")]),
            _ => Err(Error::status(Code::Unimplemented, "no")),
        }
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let got = block_on(clusters.get("a", &CallOptions::default())).unwrap();
    assert_eq!(got.metadata.version, "1");
    assert_eq!(*calls.borrow(), 3, "two UNAVAILABLE answers, then success");
    *calls.borrow_mut() = 0;
    let err = block_on(clusters.destroy("a", &CallOptions::default())).unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(*calls.borrow(), 1, "a write is never retried");
    assert!(seen
        .borrow()
        .iter()
        .all(|(_, md, _)| md.contains("x-sidero-signature")));
}

#[test]
fn update_conflict_carries_the_current_version() {
    let (omni, _) = client(|method, _| match method {
        "/cosi.resource.State/Update" => {
            Err(Error::status(Code::FailedPrecondition, "version mismatch"))
        }
        "/cosi.resource.State/Get" => Ok(vec![cluster("a", "7")]),
        _ => Err(Error::status(Code::Unimplemented, "no")),
    });
    let clusters = block_on(omni.resources_in("Clusters.omni.sidero.dev", "default")).unwrap();
    let mut r = block_on(clusters.get("a", &CallOptions::default())).unwrap();
    r.metadata.version = "5".into();
    match block_on(clusters.update(&r, &CallOptions::default())).unwrap_err() {
        Error::Status {
            code,
            current_version,
            ..
        } => {
            assert_eq!(code, Code::FailedPrecondition);
            assert_eq!(current_version.as_deref(), Some("7"));
        }
        other => panic!("{other}"),
    }
}
