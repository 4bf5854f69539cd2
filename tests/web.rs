//! wasm tests in Node (wasm-bindgen-test) against a running omni-sim (`OMNI_SIM_URL`), over
//! both transports: unary calls, a 1 000-message stream in order, cancellation mid-stream,
//! authentication failures, clock-skew recovery, UNAVAILABLE retries for reads only.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt as _;
use js_sys::Reflect;
use omni_wasm::auth::{PgpKey, ServiceAccountKey, SharedSigner};
use omni_wasm::client::{ListParams, OmniClient, WatchParams};
use omni_wasm::proto::cosi::resource as cosi;
use omni_wasm::resource::{Resource, ResourceMetadata};
use omni_wasm::transport::{runtime, Backoff, CallOptions, Protocol};
use omni_wasm::Code;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const CLUSTERS: &str = "Clusters.omni.sidero.dev";

fn sim_url() -> String {
    let env = Reflect::get(&js_sys::global(), &"process".into())
        .and_then(|p| Reflect::get(&p, &"env".into()))
        .expect("process.env");
    Reflect::get(&env, &"OMNI_SIM_URL".into())
        .ok()
        .and_then(|v| v.as_string())
        .expect("OMNI_SIM_URL is not set: run through scripts/with-sim.sh")
}

async fn sim_post(path: &str, body: serde_json::Value) -> serde_json::Value {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.to_string().into());
    let headers = web_sys::Headers::new().unwrap();
    headers.set("content-type", "application/json").unwrap();
    init.set_headers(&headers);
    let req = web_sys::Request::new_with_str_and_init(&format!("{}/_sim/{path}", sim_url()), &init)
        .unwrap();
    let fetch = Reflect::get(&js_sys::global(), &"fetch".into()).unwrap();
    let p: js_sys::Promise = fetch
        .unchecked_into::<js_sys::Function>()
        .call1(&wasm_bindgen::JsValue::NULL, &req)
        .unwrap()
        .unchecked_into();
    let resp: web_sys::Response = JsFuture::from(p).await.unwrap().unchecked_into();
    let text = JsFuture::from(resp.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(resp.status(), 200, "/_sim/{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

async fn sa_key(role: &str) -> String {
    let v = sim_post(
        "service-account",
        serde_json::json!({"name": unique("wasm"), "role": role}),
    )
    .await;
    v["key"].as_str().unwrap().to_string()
}

async fn client(protocol: Protocol, role: &str) -> OmniClient {
    OmniClient::builder(&sim_url())
        .protocol(protocol)
        .service_account_key(&sa_key(role).await)
        .unwrap()
        .backoff(Backoff::new(
            Duration::from_millis(20),
            Duration::from_millis(200),
            5,
        ))
        .build()
        .unwrap()
}

fn cluster(id: &str) -> Resource {
    Resource::new(
        ResourceMetadata::new("default", CLUSTERS, id),
        serde_json::json!({"kubernetes_version": "1.32.0", "talos_version": "1.9.1"}),
    )
}

async fn reset_faults() {
    sim_post("faults", serde_json::json!({})).await;
}

const BOTH: [Protocol; 2] = [Protocol::Gateway, Protocol::GrpcWeb];

#[wasm_bindgen_test]
async fn unary_calls_work_over_both_transports() {
    for p in BOTH {
        let omni = client(p, "Admin").await;
        let clusters = omni.resources("clusters").await.unwrap();
        let id = unique("u");
        let created = clusters
            .create(&cluster(&id), &CallOptions::default())
            .await
            .unwrap();
        assert_eq!(created.metadata.version, "1", "{p:?}");
        let got = clusters.get(&id, &CallOptions::default()).await.unwrap();
        assert_eq!(got.spec["kubernetes_version"], "1.32.0", "{p:?}");
        let missing = clusters
            .get(&unique("none"), &CallOptions::default())
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound, "{p:?}");
    }
}

#[wasm_bindgen_test]
async fn a_thousand_message_stream_arrives_in_order() {
    let prefix = unique("k");
    let omni = client(Protocol::Gateway, "Admin").await;
    let clusters = omni.resources("clusters").await.unwrap();
    for i in 0..1000 {
        clusters
            .create(
                &cluster(&format!("{prefix}-{i:04}")),
                &CallOptions::default(),
            )
            .await
            .unwrap();
    }
    for p in BOTH {
        let omni = client(p, "Reader").await;
        let clusters = omni.resources("clusters").await.unwrap();
        let list = clusters
            .list(
                &ListParams::default().id_regexp(format!("^{prefix}-")),
                &CallOptions::default(),
            )
            .await
            .unwrap();
        let ids: Vec<_> = list.iter().map(|r| r.metadata.id.clone()).collect();
        let expected: Vec<_> = (0..1000).map(|i| format!("{prefix}-{i:04}")).collect();
        assert_eq!(ids, expected, "{p:?}");
    }
}

/// Parses `list_text`'s JSON as the JS glue does (ResourceService items have a numeric version).
fn parse_list_text(t: omni_wasm::client::ListText) -> Vec<serde_json::Value> {
    use omni_wasm::client::ListText;
    match t {
        ListText::Items(body) => {
            let v: serde_json::Value = serde_json::from_str(&String::from(body)).unwrap();
            v["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|s| {
                    let mut r: serde_json::Value =
                        serde_json::from_str(s.as_str().unwrap()).unwrap();
                    let version = r["metadata"]["version"].to_string();
                    r["metadata"]["version"] = version.trim_matches('"').into();
                    r
                })
                .collect()
        }
        ListText::Arrays(parts) => parts
            .into_iter()
            .flat_map(|p| {
                let v: Vec<serde_json::Value> = serde_json::from_str(&String::from(p)).unwrap();
                v
            })
            .map(|mut r| {
                // ResourceService pages (gRPC-web) carry the version as a number
                let version = r["metadata"]["version"].to_string();
                r["metadata"]["version"] = version.trim_matches('"').into();
                r
            })
            .collect(),
    }
}

#[wasm_bindgen_test]
async fn lists_as_json_text_equal_decoded_lists_on_both_transports() {
    // list_text (what JS's list() parses) reads ResourceService on the gateway and State/List
    // elsewhere; every form must give the resources list() decodes: same ids, versions,
    // labels and specs
    let prefix = unique("t");
    let omni = client(Protocol::Gateway, "Admin").await;
    let clusters = omni.resources("clusters").await.unwrap();
    for i in 0..30 {
        let mut c = cluster(&format!("{prefix}-{i:02}"));
        c.metadata.labels.insert("bench".into(), prefix.clone());
        clusters.create(&c, &CallOptions::default()).await.unwrap();
    }
    let selected = ListParams::default().selector(format!("bench={prefix}"));
    for p in BOTH {
        let omni = client(p, "Reader").await;
        let clusters = omni.resources(CLUSTERS).await.unwrap();
        let decoded: Vec<serde_json::Value> = clusters
            .list(&selected, &CallOptions::default())
            .await
            .unwrap()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        assert_eq!(decoded.len(), 30, "{p:?}");
        for params in [
            selected.clone(),
            selected.clone().id_regexp(format!("^{prefix}-")),
        ] {
            let text = clusters
                .list_text(&params, &CallOptions::default())
                .await
                .unwrap();
            let got = parse_list_text(text);
            assert_eq!(got.len(), decoded.len(), "{p:?}");
            for (g, d) in got.iter().zip(&decoded) {
                for k in ["id", "version", "labels", "type", "namespace", "phase"] {
                    assert_eq!(g["metadata"][k], d["metadata"][k], "{p:?} {k}");
                }
                assert_eq!(g["spec"], d["spec"], "{p:?}");
            }
        }
        // whole lists read in small ResourceService pages (overlapping by one) give the same
        let paged = clusters
            .paged_arrays(&selected, 7, &CallOptions::default())
            .await
            .unwrap()
            .expect("nothing changed between the pages");
        let got = parse_list_text(omni_wasm::client::ListText::Arrays(paged));
        let ids = |v: &[serde_json::Value]| -> Vec<String> {
            v.iter().map(|r| r["metadata"]["id"].to_string()).collect()
        };
        assert_eq!(ids(&got), ids(&decoded), "{p:?}");
    }
}

#[wasm_bindgen_test]
async fn cancelling_mid_stream_stops_the_watch() {
    for p in BOTH {
        let omni = client(p, "Admin").await;
        let clusters = omni.resources("clusters").await.unwrap();
        let token = omni_wasm::transport::CancelToken::new();
        let opts = CallOptions::default().with_cancel(token.clone());
        let mut w = clusters.watch(WatchParams::bootstrap(), opts);
        // bootstrap arrives
        loop {
            let ev = w.next().await.unwrap().unwrap();
            if ev.kind == omni_wasm::client::WatchEventKind::Bootstrapped {
                break;
            }
        }
        let started = runtime::now_millis();
        token.cancel();
        let end = w.next().await;
        let elapsed = runtime::now_millis() - started;
        match end {
            Some(Err(e)) => assert_eq!(e.code(), Code::Cancelled, "{p:?}: {e}"),
            None => {}
            Some(Ok(ev)) => panic!("{p:?}: event after abort: {ev:?}"),
        }
        assert!(elapsed < 2000.0, "{p:?}: abort took {elapsed} ms");
    }
}

/// The error of listing clusters (type resolution included).
async fn list_error(omni: &OmniClient) -> omni_wasm::Error {
    match omni.resources_in(CLUSTERS, "default").await {
        Err(e) => e,
        Ok(r) => r
            .list(&ListParams::default(), &CallOptions::default())
            .await
            .unwrap_err(),
    }
}

#[wasm_bindgen_test]
async fn unsigned_wrong_key_and_expired_key_calls_are_unauthenticated() {
    for p in BOTH {
        // unsigned
        let anon = OmniClient::builder(&sim_url()).protocol(p).build().unwrap();
        let e = list_error(&anon).await;
        assert_eq!(e.code(), Code::Unauthenticated, "{p:?} unsigned: {e}");
        // a key the server never saw
        let now = runtime::now_secs();
        let (_, stranger) = ServiceAccountKey::generate("stranger", None, now).unwrap();
        let signer: SharedSigner = Rc::new(stranger);
        let wrong = OmniClient::builder(&sim_url())
            .protocol(p)
            .signer(signer)
            .build()
            .unwrap();
        let e = list_error(&wrong).await;
        assert_eq!(e.code(), Code::Unauthenticated, "{p:?} wrong key: {e}");
        // an expired key is refused before anything is sent
        let expired = PgpKey::generate("old@example.org", "old", "test", 3600, now - 7200).unwrap();
        let signer: SharedSigner = Rc::new(expired);
        let old = OmniClient::builder(&sim_url())
            .protocol(p)
            .signer(signer)
            .build()
            .unwrap();
        let e = list_error(&old).await;
        assert_eq!(e.code(), Code::Unauthenticated, "{p:?} expired: {e}");
        assert!(e.to_string().contains("expired"), "{e}");
    }
}

#[wasm_bindgen_test]
async fn a_skewed_server_clock_is_recovered_from() {
    for p in BOTH {
        let omni = client(p, "Admin").await;
        let clusters = omni.resources("clusters").await.unwrap();
        sim_post("faults", serde_json::json!({"clock_offset_secs": 900})).await;
        let r = clusters
            .list(&ListParams::default(), &CallOptions::default())
            .await;
        reset_faults().await;
        r.unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let offset = omni.transport().clock_offset_secs();
        assert!((offset - 900).abs() <= 2, "{p:?}: learned offset {offset}");
    }
}

#[wasm_bindgen_test]
async fn unavailable_is_retried_for_reads_and_surfaced_for_writes() {
    for p in BOTH {
        let omni = client(p, "Admin").await;
        let clusters = omni.resources("clusters").await.unwrap();
        sim_post("faults", serde_json::json!({"unavailable_first": 3, "unavailable_methods": ["/cosi.resource.State/Get"]})).await;
        let r = clusters
            .get_opt(&unique("none"), &CallOptions::default())
            .await;
        assert!(matches!(r, Ok(None)), "{p:?}: {r:?}");
        sim_post("faults", serde_json::json!({"unavailable_first": 1, "unavailable_methods": ["/cosi.resource.State/Create"]})).await;
        let e = clusters
            .create(&cluster(&unique("w")), &CallOptions::default())
            .await
            .unwrap_err();
        reset_faults().await;
        assert_eq!(e.code(), Code::Unavailable, "{p:?}: {e}");
    }
}

#[wasm_bindgen_test]
async fn list_sends_label_queries_the_server_applies() {
    let omni = client(Protocol::GrpcWeb, "Admin").await;
    let clusters = omni.resources("clusters").await.unwrap();
    let id = unique("lbl");
    let mut c = cluster(&id);
    c.metadata.labels.insert("tier".into(), "gold".into());
    clusters.create(&c, &CallOptions::default()).await.unwrap();
    let hit = clusters
        .list(
            &ListParams::default().selector("tier in (gold, silver)"),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    assert!(hit.iter().any(|r| r.metadata.id == id));
    let miss = clusters
        .list(
            &ListParams::default().selector("tier notin (gold)"),
            &CallOptions::default(),
        )
        .await
        .unwrap();
    assert!(!miss.iter().any(|r| r.metadata.id == id));
    let _ = cosi::LabelQuery::default();
}
