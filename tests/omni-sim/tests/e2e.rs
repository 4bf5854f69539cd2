//! End-to-end tests of omni-sim over native gRPC, gRPC-web and the `/api` gateway.
//! Requests are signed by a small test-side `siderov1` signer (§4.2–4.3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use omni_sim::pb::cosi::resource::{
    self as cosi, state_client::StateClient, CreateRequest, DestroyRequest, GetRequest, Metadata,
    Resource, Spec, UpdateRequest, WatchOptions, WatchRequest,
};
use pgp::composed::{Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize as _;
use pgp::types::{KeyDetails, Password};
use prost::Message as _;
use tonic::metadata::MetadataValue;

const CLUSTERS: &str = "Clusters.omni.sidero.dev";

/// Test-side signer for a service-account key string.
struct Signer {
    name: String,
    key: SignedSecretKey,
}

impl Signer {
    fn from_key(s: &str) -> Signer {
        let raw = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let (key, _) = SignedSecretKey::from_string(v["pgp_key"].as_str().unwrap()).unwrap();
        Signer {
            name: v["name"].as_str().unwrap().to_string(),
            key,
        }
    }

    fn fingerprint(&self) -> String {
        format!("{:x}", self.key.primary_key.fingerprint())
    }

    /// Go-style payload: all ten signed names, `null` when absent, keys sorted.
    fn payload(method: &str, headers: &[(&str, &str)]) -> String {
        let names = [
            "x-sidero-timestamp",
            "nodes",
            "selectors",
            "fieldSelectors",
            "runtime",
            "context",
            "cluster",
            "namespace",
            "uid",
            "authorization",
        ];
        let mut map: BTreeMap<&str, Option<Vec<String>>> = BTreeMap::new();
        for n in names {
            let vals: Vec<String> = headers
                .iter()
                .filter(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
                .collect();
            map.insert(
                n,
                if vals.is_empty() || n == "fieldSelectors" {
                    None
                } else {
                    Some(vals)
                },
            );
        }
        serde_json::json!({"headers": map, "method": method}).to_string()
    }

    fn sign_bytes(&self, data: &[u8]) -> String {
        let sig = DetachedSignature::sign_binary_data(
            rand::thread_rng(),
            &self.key.primary_key,
            &Password::empty(),
            HashAlgorithm::Sha256,
            data,
        )
        .unwrap();
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes().unwrap())
    }

    /// The three x-sidero-* headers (plus the given extra headers, which are signed).
    fn headers(&self, method: &str, ts: i64, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let ts = ts.to_string();
        let mut all: Vec<(&str, &str)> = vec![("x-sidero-timestamp", ts.as_str())];
        all.extend_from_slice(extra);
        let payload = Self::payload(method, &all);
        let sig = self.sign_bytes(payload.as_bytes());
        let mut out: Vec<(String, String)> = all
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.push(("x-sidero-payload".into(), payload));
        out.push((
            "x-sidero-signature".into(),
            format!("siderov1 {} {} {}", self.name, self.fingerprint(), sig),
        ));
        out
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn signed<T>(s: &Signer, method: &str, msg: T) -> tonic::Request<T> {
    with_headers(s.headers(method, now(), &[]), msg)
}

fn with_headers<T>(h: Vec<(String, String)>, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    for (k, v) in h {
        let key = tonic::metadata::MetadataKey::from_bytes(k.as_bytes()).unwrap();
        r.metadata_mut()
            .append(key, MetadataValue::try_from(v.as_str()).unwrap());
    }
    r
}

fn cluster(id: &str, version: &str) -> Resource {
    Resource {
        metadata: Some(Metadata {
            namespace: "default".into(),
            r#type: CLUSTERS.into(),
            id: id.into(),
            version: version.into(),
            phase: "running".into(),
            ..Default::default()
        }),
        spec: Some(Spec {
            // ClusterSpec { kubernetes_version = "1.32.0" } hand-encoded is fine
            // for the sim: it only needs to decode as ClusterSpec.
            proto_spec: cluster_spec("1.32.0"),
            yaml_spec: String::new(),
        }),
    }
}

fn cluster_spec(k8s: &str) -> Vec<u8> {
    let pool = prost_reflect::DescriptorPool::decode(omni_sim::DESCRIPTOR_SET).unwrap();
    let d = pool.get_message_by_name("specs.ClusterSpec").unwrap();
    let mut m = prost_reflect::DynamicMessage::new(d);
    m.set_field_by_name(
        "kubernetes_version",
        prost_reflect::Value::String(k8s.into()),
    );
    m.set_field_by_name(
        "talos_version",
        prost_reflect::Value::String("1.9.1".into()),
    );
    m.encode_to_vec()
}

async fn setup() -> (
    omni_sim::SimHandle,
    Signer,
    StateClient<tonic::transport::Channel>,
) {
    let sim = omni_sim::Sim::builder()
        .accept_eula(true)
        .start()
        .await
        .unwrap();
    let signer = Signer::from_key(&sim.service_account_key("automation", "Admin").unwrap());
    let client = StateClient::connect(sim.url()).await.unwrap();
    (sim, signer, client)
}

const G: &str = "/cosi.resource.State/";

async fn create(c: &mut StateClient<tonic::transport::Channel>, s: &Signer, id: &str) -> Resource {
    c.create(signed(
        s,
        &format!("{G}Create"),
        CreateRequest {
            resource: Some(cluster(id, "undefined")),
            options: None,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .resource
    .unwrap()
}

async fn post_json(url: &str, body: &str, headers: &[(String, String)]) -> (u16, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut req = http::Request::post(url).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(format!("Grpc-Metadata-{k}"), v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .unwrap();
    let st = resp.status().as_u16();
    let b = resp.into_body().collect().await.unwrap().to_bytes();
    (st, String::from_utf8_lossy(&b).to_string())
}

#[tokio::test]
async fn stale_version_update_rejected() {
    let (sim, s, mut c) = setup().await;
    let r = create(&mut c, &s, "c1").await;
    assert_eq!(r.metadata.as_ref().unwrap().version, "1");
    assert!(
        r.spec
            .as_ref()
            .unwrap()
            .yaml_spec
            .contains("kubernetesversion: 1.32.0"),
        "{:?}",
        r.spec
    );
    let up = c
        .update(signed(
            &s,
            &format!("{G}Update"),
            UpdateRequest {
                new_resource: Some(cluster("c1", "1")),
                options: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(up.resource.unwrap().metadata.unwrap().version, "2");
    let err = c
        .update(signed(
            &s,
            &format!("{G}Update"),
            UpdateRequest {
                new_resource: Some(cluster("c1", "1")),
                options: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    // Invalid phase is refused.
    let mut bad = cluster("c2", "undefined");
    bad.metadata.as_mut().unwrap().phase = String::new();
    let err = c
        .create(signed(
            &s,
            &format!("{G}Create"),
            CreateRequest {
                resource: Some(bad),
                options: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    sim.stop().await;
}

#[tokio::test]
async fn destroy_with_finalizers_rejected() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "f1").await;
    let url = format!("{}/_sim/resource", sim.url());
    let (st, _) = post_json(
        &url,
        r#"{"type":"Clusters.omni.sidero.dev","id":"f1","add_finalizers":["ClusterController"]}"#,
        &[],
    )
    .await;
    assert_eq!(st, 200);
    let req = || DestroyRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: "f1".into(),
        options: None,
    };
    let err = c
        .destroy(signed(&s, &format!("{G}Destroy"), req()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    // TeardownAndDestroy blocks until the controller releases the finalizer.
    let mut c2 = c.clone();
    let tad = signed(
        &s,
        &format!("{G}TeardownAndDestroy"),
        cosi::TeardownAndDestroyRequest {
            namespace: "default".into(),
            r#type: CLUSTERS.into(),
            id: "f1".into(),
            options: None,
        },
    );
    let h = tokio::spawn(async move { c2.teardown_and_destroy(tad).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!h.is_finished());
    let got = c
        .get(signed(
            &s,
            &format!("{G}Get"),
            GetRequest {
                namespace: "default".into(),
                r#type: CLUSTERS.into(),
                id: "f1".into(),
                options: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.resource.unwrap().metadata.unwrap().phase, "tearingDown");
    let (st, _) = post_json(
        &url,
        r#"{"type":"Clusters.omni.sidero.dev","id":"f1","remove_finalizers":[]}"#,
        &[],
    )
    .await;
    assert_eq!(st, 200);
    h.await.unwrap().unwrap();
    let err = c
        .get(signed(
            &s,
            &format!("{G}Get"),
            GetRequest {
                namespace: "default".into(),
                r#type: CLUSTERS.into(),
                id: "f1".into(),
                options: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    sim.stop().await;
}

#[tokio::test]
async fn watch_bootstrap_live_and_resume() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "w1").await;
    create(&mut c, &s, "w2").await;
    let wreq = |bm: Option<Vec<u8>>| WatchRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: None,
        options: Some(WatchOptions {
            bootstrap_contents: bm.is_none(),
            start_from_bookmark: bm,
            ..Default::default()
        }),
        api_version: 1,
    };
    let mut stream = c
        .watch(signed(&s, &format!("{G}Watch"), wreq(None)))
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert!(first.event.is_empty());
    let mut kinds = vec![];
    for _ in 0..3 {
        let m = stream.message().await.unwrap().unwrap();
        kinds.push((
            m.event[0].event_type,
            m.event[0]
                .resource
                .as_ref()
                .unwrap()
                .metadata
                .as_ref()
                .unwrap()
                .id
                .clone(),
        ));
    }
    assert_eq!(
        kinds,
        vec![(0, "w1".into()), (0, "w2".into()), (3, "".into())]
    );
    create(&mut c, &s, "w3").await;
    let ev = stream.message().await.unwrap().unwrap().event.remove(0);
    assert_eq!(ev.event_type, 0);
    let bm = ev.bookmark.clone().unwrap();
    assert_eq!(bm.len(), 8, "Omni's etcd store writes 8-byte revisions");
    drop(stream);
    // Changes while disconnected.
    create(&mut c, &s, "w4").await;
    c.update(signed(
        &s,
        &format!("{G}Update"),
        UpdateRequest {
            new_resource: Some(cluster("w4", "1")),
            options: None,
        },
    ))
    .await
    .unwrap();
    let mut stream = c
        .watch(signed(&s, &format!("{G}Watch"), wreq(Some(bm))))
        .await
        .unwrap()
        .into_inner();
    assert!(stream.message().await.unwrap().unwrap().event.is_empty());
    let mut got = vec![];
    for _ in 0..2 {
        let e = stream.message().await.unwrap().unwrap().event.remove(0);
        got.push((e.event_type, e.resource.unwrap().metadata.unwrap().id));
    }
    assert_eq!(got, vec![(0, "w4".to_string()), (1, "w4".to_string())]);
    // Unknown bookmark → FailedPrecondition instead of the "established" message.
    let err = c
        .watch(signed(&s, &format!("{G}Watch"), wreq(Some(vec![1, 2, 3]))))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(
        err.message().contains("invalid bookmark length: 3"),
        "{err:?}"
    );
    // Expired bookmark (history dropped), or one from the future: as etcd, the watch opens and
    // then says so in an ERRORED event, and nothing more comes.
    post_json(&format!("{}/_sim/expire-bookmarks", sim.url()), "", &[]).await;
    create(&mut c, &s, "w5").await;
    for (bm, text) in [
        (sim.core.store.bookmark(1), omni_sim::store::COMPACTED),
        (sim.core.store.bookmark(1 << 40), omni_sim::store::FUTURE),
    ] {
        let mut stream = c
            .watch(signed(&s, &format!("{G}Watch"), wreq(Some(bm))))
            .await
            .unwrap()
            .into_inner();
        assert!(stream.message().await.unwrap().unwrap().event.is_empty());
        let ev = stream.message().await.unwrap().unwrap().event.remove(0);
        assert_eq!(ev.event_type, cosi::EventType::Errored as i32);
        assert_eq!(ev.error.as_deref(), Some(text));
        let quiet =
            tokio::time::timeout(std::time::Duration::from_millis(200), stream.message()).await;
        assert!(quiet.is_err(), "nothing after ERRORED: {quiet:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn bad_signatures_rejected() {
    let (sim, s, mut c) = setup().await;
    let get = || GetRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: "x".into(),
        options: None,
    };
    let m = format!("{G}Get");
    let unauth = |e: tonic::Status| assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    // unsigned
    unauth(c.get(tonic::Request::new(get())).await.unwrap_err());
    // signed for another method
    unauth(
        c.get(with_headers(
            s.headers(&format!("{G}List"), now(), &[]),
            get(),
        ))
        .await
        .unwrap_err(),
    );
    // timestamp out of the ±5 min window (a replay)
    unauth(
        c.get(with_headers(s.headers(&m, now() - 600, &[]), get()))
            .await
            .unwrap_err(),
    );
    // wrong key: another key claiming this key's id
    let other = Signer::from_key(&sim.service_account_key("other", "Admin").unwrap());
    let mut h = other.headers(&m, now(), &[]);
    let sig = h
        .iter_mut()
        .find(|(k, _)| k == "x-sidero-signature")
        .unwrap();
    let parts: Vec<String> = sig.1.split(' ').map(str::to_string).collect();
    sig.1 = format!("siderov1 automation {} {}", s.fingerprint(), parts[3]);
    unauth(c.get(with_headers(h, get())).await.unwrap_err());
    // an unsigned extra header that is part of the signed set
    let mut h = s.headers(&m, now(), &[]);
    h.push(("runtime".into(), "Omni".into()));
    unauth(c.get(with_headers(h, get())).await.unwrap_err());
    // an empty array in the payload does not match an absent header
    let ts = now().to_string();
    let payload =
        format!(r#"{{"headers":{{"runtime":[],"x-sidero-timestamp":["{ts}"]}},"method":"{m}"}}"#);
    let h = vec![
        ("x-sidero-timestamp".to_string(), ts.clone()),
        (
            "x-sidero-signature".to_string(),
            format!(
                "siderov1 automation {} {}",
                s.fingerprint(),
                s.sign_bytes(payload.as_bytes())
            ),
        ),
        ("x-sidero-payload".to_string(), payload),
    ];
    unauth(c.get(with_headers(h, get())).await.unwrap_err());
    // the web-UI payload style (only present headers) is accepted
    let payload = format!(r#"{{"headers":{{"x-sidero-timestamp":["{ts}"]}},"method":"{m}"}}"#);
    let h = vec![
        ("x-sidero-timestamp".to_string(), ts),
        (
            "x-sidero-signature".to_string(),
            format!(
                "siderov1 automation {} {}",
                s.fingerprint(),
                s.sign_bytes(payload.as_bytes())
            ),
        ),
        ("x-sidero-payload".to_string(), payload),
    ];
    assert_eq!(
        c.get(with_headers(h, get())).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    // expired key: the server clock is moved past the key's 365-day lifetime
    let url = format!("{}/_sim/faults", sim.url());
    let off = 366 * 24 * 3600;
    post_json(&url, &format!(r#"{{"clock_offset_secs":{off}}}"#), &[]).await;
    unauth(
        c.get(with_headers(s.headers(&m, now() + off, &[]), get()))
            .await
            .unwrap_err(),
    );
    sim.stop().await;
}

#[tokio::test]
async fn reader_cannot_write() {
    let (sim, _admin, mut c) = setup().await;
    let r = Signer::from_key(&sim.service_account_key("viewer", "Reader").unwrap());
    let err = c
        .create(signed(
            &r,
            &format!("{G}Create"),
            CreateRequest {
                resource: Some(cluster("r1", "undefined")),
                options: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
    // but may read
    let list = c
        .list(signed(
            &r,
            &format!("{G}List"),
            cosi::ListRequest {
                namespace: "default".into(),
                r#type: CLUSTERS.into(),
                options: None,
            },
        ))
        .await;
    assert!(list.is_ok());
    sim.stop().await;
}

#[tokio::test]
async fn grpc_web_and_gateway_agree() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "g1").await;
    let m = format!("{G}Get");
    let req = GetRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: "g1".into(),
        options: None,
    };
    // gRPC-web over HTTP/1.1
    let mut body = vec![0u8];
    let enc = req.encode_to_vec();
    body.extend_from_slice(&(enc.len() as u32).to_be_bytes());
    body.extend_from_slice(&enc);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut hr = http::Request::post(format!("{}{m}", sim.url()))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1");
    for (k, v) in s.headers(&m, now(), &[]) {
        hr = hr.header(k, v);
    }
    let resp = client
        .request(hr.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let b = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(b[0], 0);
    let len = u32::from_be_bytes([b[1], b[2], b[3], b[4]]) as usize;
    let web = cosi::GetResponse::decode(&b[5..5 + len])
        .unwrap()
        .resource
        .unwrap();
    let trailer = String::from_utf8_lossy(&b[5 + len + 5..]).to_string();
    assert!(
        trailer.contains("grpc-status:0") || trailer.contains("grpc-status: 0"),
        "{trailer}"
    );
    // gateway
    let (st, text) = post_json(
        &format!("{}/api{m}", sim.url()),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","id":"g1"}"#,
        &s.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let md = &v["resource"]["metadata"];
    let wmd = web.metadata.as_ref().unwrap();
    assert_eq!(md["id"], wmd.id);
    assert_eq!(md["version"], wmd.version);
    assert_eq!(md["phase"], wmd.phase);
    let spec = web.spec.as_ref().unwrap();
    assert_eq!(
        v["resource"]["spec"]["proto_spec"].as_str().unwrap(),
        base64::engine::general_purpose::STANDARD.encode(&spec.proto_spec)
    );
    assert_eq!(
        v["resource"]["spec"]["yaml_spec"].as_str().unwrap(),
        spec.yaml_spec
    );
    // gateway strictness: unknown field, wrong method, unknown path, unsigned
    let (st, _) = post_json(
        &format!("{}/api{m}", sim.url()),
        r#"{"bogus":1}"#,
        &s.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 400);
    let (st, _) = post_json(
        &format!("{}/api/cosi.resource.State/Nope", sim.url()),
        "{}",
        &[],
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = post_json(&format!("{}/api{m}", sim.url()), "{}", &[]).await;
    assert_eq!(st, 401);
    // a gateway stream: NDJSON with the empty first watch message
    let wm = format!("{G}List");
    let (st, text) = post_json(
        &format!("{}/api{wm}", sim.url()),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#,
        &s.headers(&wm, now(), &[]),
    )
    .await;
    assert_eq!(st, 200);
    assert!(text.starts_with("{\"result\":{\"resource\":"), "{text}");
    sim.stop().await;
}

async fn api(
    sim: &omni_sim::SimHandle,
    s: &Signer,
    method: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let h = s.headers(method, now(), extra);
    post_json(&format!("{}/api{method}", sim.url()), body, &h).await
}

#[tokio::test]
async fn resource_service_json() {
    let (sim, s, _c) = setup().await;
    let rs = "/omni.resources.ResourceService/";
    // runtime metadata is required
    let (st, _) = api(
        &sim,
        &s,
        &format!("{rs}List"),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#,
        &[],
    )
    .await;
    assert_eq!(st, 400);
    let rt = [("runtime", "Omni")];
    let body = r#"{"resource":{"metadata":{"namespace":"default","type":"Clusters.omni.sidero.dev","id":"j1","version":"1"},"spec":"{\"kubernetes_version\":\"1.31.0\"}"}}"#;
    let (st, t) = api(&sim, &s, &format!("{rs}Create"), body, &rt).await;
    assert_eq!(st, 200, "{t}");
    let (st, t) = api(
        &sim,
        &s,
        &format!("{rs}Get"),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","id":"j1"}"#,
        &rt,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let res: serde_json::Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(res["spec"]["kubernetes_version"], "1.31.0");
    assert_eq!(res["metadata"]["version"], 1);
    assert!(v["body"].as_str().unwrap().starts_with("{\"spec\":"));
    // version conflict → AlreadyExists (409)
    let stale = body
        .replace("1.31.0", "1.32.0")
        .replace("\"version\":\"1\"", "\"version\":\"7\"");
    let (st, _) = api(&sim, &s, &format!("{rs}Update"), &stale, &rt).await;
    assert_eq!(st, 409);
    // unknown spec fields are an Unknown (500) error
    let bad = body
        .replace("kubernetes_version", "nope")
        .replace("j1", "j2");
    let (st, _) = api(&sim, &s, &format!("{rs}Create"), &bad, &rt).await;
    assert_eq!(st, 500);
    // selectors metadata and paging
    let (st, t) = api(
        &sim,
        &s,
        &format!("{rs}List"),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","limit":1}"#,
        &[("runtime", "Omni"), ("selectors", "!missing")],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["total"], 1);
    // unsigned read of the public AuthConfig works
    let (st, t) = post_json(
        &format!("{}/api{rs}Get", sim.url()),
        r#"{"namespace":"default","type":"AuthConfigs.omni.sidero.dev","id":"auth-config"}"#,
        &[("runtime".to_string(), "Omni".to_string())],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    sim.stop().await;
}

#[tokio::test]
async fn management_and_registration() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "prod").await;
    let m = "/management.ManagementService/";
    let (st, t) = api(
        &sim,
        &s,
        &format!("{m}Kubeconfig"),
        "{}",
        &[("cluster", "prod")],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let kc = base64::engine::general_purpose::STANDARD
        .decode(v["kubeconfig"].as_str().unwrap())
        .unwrap();
    let y: serde_norway::Value = serde_norway::from_slice(&kc).unwrap();
    assert_eq!(y["kind"], serde_norway::Value::from("Config"));
    assert!(String::from_utf8_lossy(&kc).contains("prod"));
    let (st, _) = api(
        &sim,
        &s,
        &format!("{m}ValidateConfig"),
        r#"{"config":"a: [b"}"#,
        &[],
    )
    .await;
    assert_eq!(st, 400);
    let (st, t) = api(
        &sim,
        &s,
        &format!("{m}ValidateJSONSchema"),
        r#"{"schema":"{\"type\":\"object\",\"required\":[\"a\"]}","data":"{}"}"#,
        &[],
    )
    .await;
    assert_eq!(st, 200);
    assert!(t.contains("required"), "{t}");
    // service account created from a caller-supplied key is usable at once
    let ssk =
        omni_sim::auth::generate_pgp_key("ci <ci@serviceaccount.omni.sidero.dev>", 3600).unwrap();
    let armored = omni_sim::auth::armored_public(&ssk).unwrap();
    let body =
        serde_json::json!({"name": "ci", "armored_pgp_public_key": armored, "role": "Reader"})
            .to_string();
    let (st, t) = api(&sim, &s, &format!("{m}CreateServiceAccount"), &body, &[]).await;
    assert_eq!(st, 200, "{t}");
    let ci = Signer {
        name: "ci".into(),
        key: ssk,
    };
    let (st, t) = api(&sim, &ci, &format!("{m}ListServiceAccounts"), "{}", &[]).await;
    assert_eq!(st, 403, "{t}");
    // machine logs: tail 0 = none; a stream error after the header shape
    let (st, t) = api(
        &sim,
        &s,
        &format!("{m}MachineLogs"),
        r#"{"machine_id":"nope"}"#,
        &[],
    )
    .await;
    assert_eq!(st, 404, "{t}");
    // registration flow: unsigned register → confirm via test endpoint → await returns
    let user = omni_sim::auth::generate_pgp_key("omnictl <dev@example.com>", 4 * 3600).unwrap();
    sim.core
        .dir
        .upsert_user("dev@example.com", omni_sim::Role::Operator, false);
    let body = serde_json::json!({
        "public_key": {"pgp_data": base64::engine::general_purpose::STANDARD.encode(omni_sim::auth::armored_public(&user).unwrap())},
        "identity": {"email": "dev@example.com"},
    })
    .to_string();
    let (st, t) = post_json(
        &format!("{}/api/auth.AuthService/RegisterPublicKey", sim.url()),
        &body,
        &[],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let id = v["public_key_id"].as_str().unwrap().to_string();
    let dev = Signer {
        name: "dev@example.com".into(),
        key: user,
    };
    let (st, _) = api(&sim, &dev, &format!("{m}Omniconfig"), "{}", &[]).await;
    assert_eq!(st, 401);
    let url = sim.url();
    let id2 = id.clone();
    let waiter = tokio::spawn(async move {
        post_json(
            &format!("{url}/api/auth.AuthService/AwaitPublicKeyConfirmation"),
            &format!(r#"{{"public_key_id":"{id2}"}}"#),
            &[],
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (st, _) = post_json(
        &format!("{}/_sim/confirm?public_key_id={id}", sim.url()),
        "",
        &[],
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(waiter.await.unwrap().0, 200);
    let (st, t) = api(&sim, &dev, &format!("{m}Omniconfig"), "{}", &[]).await;
    assert_eq!(st, 200, "{t}");
    sim.stop().await;
}

#[tokio::test]
async fn faults_unavailable_and_cut() {
    let (sim, s, mut c) = setup().await;
    for i in 0..3 {
        create(&mut c, &s, &format!("f{i}")).await;
    }
    let url = format!("{}/_sim/faults", sim.url());
    post_json(
        &url,
        r#"{"unavailable_first":2,"cut_streams_after":2}"#,
        &[],
    )
    .await;
    let list = || cosi::ListRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        options: None,
    };
    for _ in 0..2 {
        let e = c
            .list(signed(&s, &format!("{G}List"), list()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::Unavailable);
    }
    let mut st = c
        .list(signed(&s, &format!("{G}List"), list()))
        .await
        .unwrap()
        .into_inner();
    assert!(st.message().await.unwrap().is_some());
    assert!(st.message().await.unwrap().is_some());
    assert_eq!(
        st.message().await.unwrap_err().code(),
        tonic::Code::Unavailable
    );
    sim.stop().await;
}

#[tokio::test]
async fn demo_seeds_installation() {
    let sim = omni_sim::Sim::builder().demo(true).start().await.unwrap();
    let key = sim.core.demo_key.lock().unwrap().clone().unwrap();
    let s = Signer::from_key(&key);
    let mut c = StateClient::connect(sim.url()).await.unwrap();
    let mut n = 0;
    let mut st = c
        .list(signed(
            &s,
            &format!("{G}List"),
            cosi::ListRequest {
                namespace: "default".into(),
                r#type: "MachineStatuses.omni.sidero.dev".into(),
                options: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    while let Some(m) = st.message().await.unwrap() {
        assert!(!m.resource.unwrap().spec.unwrap().yaml_spec.is_empty());
        n += 1;
    }
    assert_eq!(n, 20);
    // controller-owned resources refuse user writes
    let got = c
        .get(signed(
            &s,
            &format!("{G}Get"),
            GetRequest {
                namespace: "default".into(),
                r#type: "ClusterStatuses.omni.sidero.dev".into(),
                id: "production".into(),
                options: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    let e = c
        .update(signed(
            &s,
            &format!("{G}Update"),
            UpdateRequest {
                new_resource: Some(got),
                options: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied);
    let rd = c
        .get(signed(
            &s,
            &format!("{G}Get"),
            GetRequest {
                namespace: "meta".into(),
                r#type: "ResourceDefinitions.meta.cosi.dev".into(),
                id: "machinesets.omni.sidero.dev".into(),
                options: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let y = rd.resource.unwrap().spec.unwrap().yaml_spec;
    assert!(
        y.contains("- ms") && y.contains("machinesets.omni.sidero"),
        "{y}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn grpc_web_text_mode() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "t1").await;
    let m = format!("{G}Get");
    let req = GetRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: "t1".into(),
        options: None,
    };
    let mut body = vec![0u8];
    let enc = req.encode_to_vec();
    body.extend_from_slice(&(enc.len() as u32).to_be_bytes());
    body.extend_from_slice(&enc);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut hr = http::Request::post(format!("{}{m}", sim.url()))
        .header("content-type", "application/grpc-web-text")
        .header("accept", "application/grpc-web-text")
        .header("x-grpc-web", "1");
    for (k, v) in s.headers(&m, now(), &[]) {
        hr = hr.header(k, v);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
    let resp = client
        .request(hr.body(Full::new(Bytes::from(b64))).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/grpc-web-text"));
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    // Chunks may be separately padded: decode each padded piece.
    let mut raw = Vec::new();
    let t = String::from_utf8(text.to_vec()).unwrap();
    let mut rest = t.as_str();
    while !rest.is_empty() {
        let end = rest
            .find('=')
            .map(|i| {
                let mut j = i;
                while rest[j..].starts_with('=') {
                    j += 1;
                }
                j
            })
            .unwrap_or(rest.len());
        raw.extend(
            base64::engine::general_purpose::STANDARD
                .decode(&rest[..end])
                .unwrap(),
        );
        rest = &rest[end..];
    }
    let len = u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]) as usize;
    let got = cosi::GetResponse::decode(&raw[5..5 + len]).unwrap();
    assert_eq!(got.resource.unwrap().metadata.unwrap().id, "t1");
    assert_eq!(raw[5 + len], 0x80);
    sim.stop().await;
}

#[tokio::test]
async fn label_watch_transforms_updates() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "l1").await;
    let q = cosi::LabelQuery {
        terms: vec![cosi::LabelTerm {
            key: "env".into(),
            op: cosi::label_term::Operation::Equal as i32,
            value: vec!["prod".into()],
            invert: false,
        }],
    };
    let w = WatchRequest {
        namespace: "default".into(),
        r#type: CLUSTERS.into(),
        id: None,
        options: Some(WatchOptions {
            bootstrap_contents: true,
            label_query: vec![q],
            ..Default::default()
        }),
        api_version: 1,
    };
    let mut st = c
        .watch(signed(&s, &format!("{G}Watch"), w))
        .await
        .unwrap()
        .into_inner();
    assert!(st.message().await.unwrap().unwrap().event.is_empty());
    assert_eq!(st.message().await.unwrap().unwrap().event[0].event_type, 3); // nothing matches yet
    let url = format!("{}/_sim/resource", sim.url());
    post_json(
        &url,
        r#"{"type":"Clusters.omni.sidero.dev","id":"l1","set_labels":{"env":"prod"}}"#,
        &[],
    )
    .await;
    assert_eq!(st.message().await.unwrap().unwrap().event[0].event_type, 0);
    post_json(
        &url,
        r#"{"type":"Clusters.omni.sidero.dev","id":"l1","remove_labels":["env"]}"#,
        &[],
    )
    .await;
    assert_eq!(st.message().await.unwrap().unwrap().event[0].event_type, 2);
    sim.stop().await;
}

#[tokio::test]
async fn gateway_stream_shapes() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "s1").await;
    let m = format!("{G}Watch");
    // bad bookmark: fails before headers → 400 + plain status
    let body = r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","options":{"start_from_bookmark":"AQID"},"api_version":1}"#;
    let (st, text) = post_json(
        &format!("{}/api{m}", sim.url()),
        body,
        &s.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 400, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["code"], 9);
    // a stream cut after messages: 200, result lines, then an error line
    post_json(
        &format!("{}/_sim/faults", sim.url()),
        r#"{"cut_streams_after":2}"#,
        &[],
    )
    .await;
    let body = r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","options":{"bootstrap_contents":true},"api_version":1}"#;
    let (st, text) = post_json(
        &format!("{}/api{m}", sim.url()),
        body,
        &s.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 200, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"result":{}}"#);
    assert!(
        lines[1].starts_with(r#"{"result":{"event":[{"resource""#),
        "{text}"
    );
    let err: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(err["error"]["code"], 14);
    post_json(&format!("{}/_sim/faults", sim.url()), "{}", &[]).await;
    // single-resource watch with bootstrap → Unimplemented before headers: 501 + plain status
    let body = r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","id":"s1","options":{"bootstrap_contents":true},"api_version":1}"#;
    let (st, text) = post_json(
        &format!("{}/api{m}", sim.url()),
        body,
        &s.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 501, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["code"], 12);
    sim.stop().await;
}

#[tokio::test]
async fn plain_ecdsa_key_flow_and_eula() {
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::EncodePublicKey;
    // EULA not accepted: signed calls fail with FailedPrecondition, unsigned public create works.
    let sim = omni_sim::Sim::builder().start().await.unwrap();
    let admin = Signer::from_key(&sim.service_account_key("automation", "Admin").unwrap());
    let m = format!("{G}List");
    let (st, t) = post_json(
        &format!("{}/api{m}", sim.url()),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#,
        &admin.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 400, "{t}");
    assert!(t.contains("EULA"), "{t}");
    // the EULA gate also covers the unsigned auth calls (Omni's EULACheck interceptor)
    let (st, t) = post_json(
        &format!("{}/api/auth.AuthService/RegisterPublicKey", sim.url()),
        r#"{"identity":{"email":"x@example.com"}}"#,
        &[],
    )
    .await;
    assert_eq!(st, 400, "{t}");
    // Omni's EULA validations (upstream validations/eula.go): the id must be `eula`, a name and
    // an email are required, and it is accepted once; each refusal is a validation error
    let eula = |id: &str, name: &str, email: &str| {
        let spec =
            serde_json::json!({"accepted_by_name": name, "accepted_by_email": email}).to_string();
        serde_json::json!({"resource": {"metadata": {"namespace": "default",
            "type": "EulaAcceptances.omni.sidero.dev", "id": id, "version": "1"}, "spec": spec}})
        .to_string()
    };
    let create_eula = |body: String| {
        let url = format!("{}/api/omni.resources.ResourceService/Create", sim.url());
        async move { post_json(&url, &body, &[("runtime".into(), "Omni".into())]).await }
    };
    for (body, why) in [
        (
            eula("accepted", "Jane", "jane@example.com"),
            "resource ID must be eula",
        ),
        (
            eula("eula", "", "jane@example.com"),
            "name is required when accepting the EULA",
        ),
        (
            eula("eula", "Jane", ""),
            "email is required when accepting the EULA",
        ),
    ] {
        let (st, t) = create_eula(body).await;
        assert_eq!(st, 400, "{t}");
        assert!(
            t.contains("failed to validate: 1 error occurred") && t.contains(why),
            "{t}"
        );
    }
    let (st, t) = create_eula(eula("eula", "Jane", "jane@example.com")).await;
    assert_eq!(st, 200, "{t}");
    let (st, t) = create_eula(eula("eula", "Jane", "jane@example.com")).await;
    assert_eq!(st, 400, "{t}");
    assert!(t.contains("EULA has already been accepted"), "{t}");
    let (st, t) = post_json(
        &format!("{}/api{m}", sim.url()),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#,
        &admin.headers(&m, now(), &[]),
    )
    .await;
    assert_eq!(st, 200, "{t}");

    // Web-UI style plain key: register, confirm, sign with raw r‖s.
    sim.core
        .dir
        .upsert_user("web@example.com", omni_sim::Role::Reader, false);
    let sk = p256::ecdsa::SigningKey::random(&mut rand::thread_rng());
    let pem = sk
        .verifying_key()
        .to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .unwrap();
    let nb = chrono::Utc::now() - chrono::Duration::seconds(10);
    let na = nb + chrono::Duration::minutes(470);
    let body = serde_json::json!({
        "public_key": {"plain_key": {"key_pem": pem, "not_before": nb.to_rfc3339(), "not_after": na.to_rfc3339()}},
        "identity": {"email": "Web@Example.com"},
    })
    .to_string();
    let (st, t) = post_json(
        &format!("{}/api/auth.AuthService/RegisterPublicKey", sim.url()),
        &body,
        &[],
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let id = v["public_key_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 44);
    post_json(
        &format!("{}/_sim/confirm?public_key_id={}", sim.url(), id),
        "",
        &[],
    )
    .await;
    let rm = "/omni.resources.ResourceService/List";
    let ts = now().to_string();
    let payload = format!(
        r#"{{"headers":{{"runtime":["Omni"],"x-sidero-timestamp":["{ts}"]}},"method":"{rm}"}}"#
    );
    let sig: p256::ecdsa::Signature = sk.sign(payload.as_bytes());
    let h = vec![
        ("runtime".to_string(), "Omni".to_string()),
        ("x-sidero-timestamp".to_string(), ts),
        ("x-sidero-payload".to_string(), payload),
        (
            "x-sidero-signature".to_string(),
            format!(
                "siderov1 web@example.com {id} {}",
                base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
            ),
        ),
    ];
    let (st, t) = post_json(
        &format!("{}/api{rm}", sim.url()),
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#,
        &h,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    // a plain key with a lifetime over 8 h is refused
    let body = serde_json::json!({
        "public_key": {"plain_key": {"key_pem": pem, "not_before": nb.to_rfc3339(), "not_after": (nb + chrono::Duration::hours(9)).to_rfc3339()}},
        "identity": {"email": "web@example.com"},
    })
    .to_string();
    let (st, _) = post_json(
        &format!("{}/api/auth.AuthService/RegisterPublicKey", sim.url()),
        &body,
        &[],
    )
    .await;
    assert_eq!(st, 400);
    sim.stop().await;
}

#[tokio::test]
async fn resource_watch_and_logs_over_gateway() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "rw1").await;
    let m = "/omni.resources.ResourceService/Watch";
    let url = format!("{}/api{m}", sim.url());
    let h = s.headers(m, now(), &[("runtime", "Omni")]);
    let body = r#"{"namespace":"default","type":"Clusters.omni.sidero.dev"}"#.to_string();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut req = http::Request::post(url);
    for (k, v) in &h {
        req = req.header(format!("Grpc-Metadata-{k}"), v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut buf = String::new();
    while buf.lines().count() < 2 {
        let f = body.frame().await.unwrap().unwrap();
        if let Ok(d) = f.into_data() {
            buf.push_str(&String::from_utf8_lossy(&d));
        }
    }
    let first: serde_json::Value = serde_json::from_str(buf.lines().next().unwrap()).unwrap();
    assert_eq!(first["result"]["event"]["event_type"], 1);
    assert_eq!(first["result"]["total"], 1);
    let second: serde_json::Value = serde_json::from_str(buf.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["result"]["event"]["event_type"], 4);
    drop(body);
    // machine logs: tail 0 → nothing, -1 → everything
    sim.core
        .store
        .put(
            Resource {
                metadata: Some(Metadata {
                    namespace: "default".into(),
                    r#type: "Machines.omni.sidero.dev".into(),
                    id: "m1".into(),
                    phase: "running".into(),
                    ..Default::default()
                }),
                spec: Some(Spec::default()),
            },
            chrono::Utc::now(),
        )
        .unwrap();
    let lm = "/management.ManagementService/MachineLogs";
    let (st, t) = api(&sim, &s, lm, r#"{"machine_id":"m1","tail_lines":0}"#, &[]).await;
    assert_eq!((st, t.as_str()), (200, ""));
    let (st, t) = api(&sim, &s, lm, r#"{"machine_id":"m1","tail_lines":-1}"#, &[]).await;
    assert_eq!(st, 200);
    assert_eq!(t.lines().count(), 50);
    let (_, t) = api(&sim, &s, lm, r#"{"machine_id":"m1","tail_lines":3}"#, &[]).await;
    assert_eq!(t.lines().count(), 3);
    sim.stop().await;
}

#[tokio::test]
async fn seed_file_users_and_keys() {
    let key = omni_sim::auth::generate_pgp_key("Jane <jane@example.com>", 3600).unwrap();
    let armored = omni_sim::auth::armored_public(&key).unwrap();
    let dir = std::env::temp_dir().join(format!("omni-sim-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.yaml");
    let indented: String = armored
        .lines()
        .map(|l| format!("          {l}\n"))
        .collect();
    std::fs::write(&path, format!("accept_eula: true\nusers:\n  - email: jane@example.com\n    role: Operator\n    public_keys:\n      - |\n{indented}")).unwrap();
    let sim = omni_sim::Sim::builder().seed(&path).start().await.unwrap();
    let jane = Signer {
        name: "jane@example.com".into(),
        key,
    };
    let mut c = StateClient::connect(sim.url()).await.unwrap();
    let r = c
        .create(signed(
            &jane,
            &format!("{G}Create"),
            CreateRequest {
                resource: Some(cluster("seeded", "undefined")),
                options: None,
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        r.into_inner().resource.unwrap().metadata.unwrap().version,
        "1"
    );
    sim.stop().await;
}

/// Codes Omni answers for bad keys (upstream `internal/backend/grpc/auth.go`, `validate.go`):
/// a key that does not parse and a revocation of an unknown key are plain errors (`Unknown`),
/// a bad validity window is `InvalidArgument`, WebAuthn is `Unimplemented`.
#[tokio::test]
async fn public_key_errors_have_omnis_codes() {
    let sim = omni_sim::Sim::builder()
        .accept_eula(true)
        .start()
        .await
        .unwrap();
    let register = |body: serde_json::Value| {
        let url = format!("{}/api/auth.AuthService/RegisterPublicKey", sim.url());
        async move { post_json(&url, &body.to_string(), &[]).await }
    };
    let code = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["code"].as_i64();
    let nb = chrono::Utc::now() - chrono::Duration::seconds(10);
    let na = nb + chrono::Duration::hours(1);
    let plain = |pem: &str,
                 nb: chrono::DateTime<chrono::Utc>,
                 na: chrono::DateTime<chrono::Utc>| {
        serde_json::json!({
            "public_key": {"plain_key": {"key_pem": pem, "not_before": nb.to_rfc3339(), "not_after": na.to_rfc3339()}},
            "identity": {"email": "web@example.com"},
        })
    };
    // not PEM, and PEM that is not a public key: Unknown with go-api-signature's text
    let (st, t) = register(plain("garbage", nb, na)).await;
    assert_eq!((st, code(&t)), (500, Some(2)), "{t}");
    assert!(
        t.contains("failed to decode PEM block containing public key"),
        "{t}"
    );
    let (st, t) = register(plain(
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        nb,
        na,
    ))
    .await;
    assert_eq!((st, code(&t)), (500, Some(2)), "{t}");
    // a valid key with a bad window: InvalidArgument
    use p256::pkcs8::EncodePublicKey;
    let sk = p256::ecdsa::SigningKey::random(&mut rand::thread_rng());
    let pem = sk
        .verifying_key()
        .to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .unwrap();
    let (st, t) = register(plain(&pem, na, nb)).await;
    assert_eq!((st, code(&t)), (400, Some(3)), "{t}");
    assert!(
        t.contains("public key 'not_before' is after 'not_after'"),
        "{t}"
    );
    let (st, t) = register(plain(&pem, nb, nb + chrono::Duration::hours(9))).await;
    assert_eq!((st, code(&t)), (400, Some(3)), "{t}");
    assert!(t.contains("exceeds max allowed lifetime"), "{t}");
    // no key data: InvalidArgument; WebAuthn: Unimplemented
    let (st, t) = register(serde_json::json!({"identity": {"email": "web@example.com"}})).await;
    assert_eq!((st, code(&t)), (400, Some(3)), "{t}");
    let (_, t) = register(serde_json::json!({"public_key": {"webauthn_data": "AAEC"}})).await;
    assert_eq!(code(&t), Some(12), "{t}");
    // revoking a key that does not exist: the state's not-found error, Unknown
    let admin = Signer::from_key(&sim.service_account_key("automation", "Admin").unwrap());
    let m = "/auth.AuthService/RevokePublicKey";
    let (st, t) = api(&sim, &admin, m, r#"{"public_key_id":"no-such-key"}"#, &[]).await;
    assert_eq!((st, code(&t)), (500, Some(2)), "{t}");
    assert!(t.contains("doesn't exist"), "{t}");
    sim.stop().await;
}

/// Break-glass configs are off unless the server enables them (upstream management.go:
/// `PermissionDenied "not allowed"`, checked after the Admin role); a raw talosconfig only
/// exists in Omni's debug builds.
#[tokio::test]
async fn break_glass_configs_need_the_feature_flag() {
    let m = "/management.ManagementService/";
    for enabled in [false, true] {
        let sim = omni_sim::Sim::builder()
            .accept_eula(true)
            .break_glass_configs(enabled)
            .start()
            .await
            .unwrap();
        let admin = Signer::from_key(&sim.service_account_key("automation", "Admin").unwrap());
        let reader = Signer::from_key(&sim.service_account_key("viewer", "Reader").unwrap());
        let mut c = StateClient::connect(sim.url()).await.unwrap();
        create(&mut c, &admin, "prod").await;
        let prod = [("cluster", "prod")];
        let kc = format!("{m}Kubeconfig");
        let tc = format!("{m}Talosconfig");
        // the role comes first, whatever the flag
        let (st, t) = api(&sim, &reader, &kc, r#"{"break_glass":true}"#, &prod).await;
        assert_eq!(st, 403, "{t}");
        assert!(!t.contains("not allowed"), "{t}");
        if enabled {
            // no ClusterStatus yet: the taint can't be written, so no config is given out
            let (st, t) = api(&sim, &admin, &kc, r#"{"break_glass":true}"#, &prod).await;
            assert_eq!(st, 404, "{t}");
            let (st, t) = post_json(
                &format!("{}/_sim/resource", sim.url()),
                r#"{"type":"ClusterStatuses.omni.sidero.dev","id":"prod","create":true,"spec":{}}"#,
                &[],
            )
            .await;
            assert_eq!(st, 200, "{t}");
        }
        let (st, t) = api(&sim, &admin, &kc, r#"{"break_glass":true}"#, &prod).await;
        let (st2, t2) = api(&sim, &admin, &tc, r#"{"break_glass":true}"#, &prod).await;
        if enabled {
            assert_eq!((st, st2), (200, 200), "{t} {t2}");
            // Omni marks the cluster as tainted by break-glass access
            let status = sim
                .core
                .store
                .get("default", "ClusterStatuses.omni.sidero.dev", "prod")
                .unwrap()
                .metadata
                .unwrap();
            assert_eq!(
                status.labels.get("omni.sidero.dev/tainted-by-break-glass"),
                Some(&String::new())
            );
            let at: i64 = status.annotations["omni.sidero.dev/tainted-by-break-glass-timestamp"]
                .parse()
                .unwrap();
            assert!((at - now()).abs() < 60, "{at}");
            let (st, t) = api(&sim, &admin, &tc, r#"{"break_glass":true}"#, &[]).await;
            assert_eq!(st, 400, "{t}");
            assert!(t.contains("cluster name is required"), "{t}");
        } else {
            assert_eq!((st, st2), (403, 403), "{t} {t2}");
            assert!(
                t.contains("not allowed") && t2.contains("not allowed"),
                "{t} {t2}"
            );
        }
        let (st, t) = api(&sim, &admin, &tc, r#"{"raw":true}"#, &prod).await;
        assert_eq!(st, 403, "{t}");
        assert!(t.contains("not allowed"), "{t}");
        // the ordinary configs are not affected
        let (st, t) = api(&sim, &admin, &kc, "{}", &prod).await;
        assert_eq!(st, 200, "{t}");
        sim.stop().await;
    }
}

/// Kubeconfig checks as upstream makes them (management.go, serviceaccount.go): an OIDC
/// kubeconfig does not look the cluster up; a service-account one checks the role, then its
/// arguments, then the cluster's UUID (a plain error, Unknown).
#[tokio::test]
async fn kubeconfig_checks_in_omnis_order() {
    let (sim, admin, _) = setup().await;
    let reader = Signer::from_key(&sim.service_account_key("viewer", "Reader").unwrap());
    let kc = "/management.ManagementService/Kubeconfig";
    let ghost = [("cluster", "no-such-cluster")];
    let code = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["code"].as_i64();
    let (st, t) = api(&sim, &reader, kc, "{}", &ghost).await;
    assert_eq!(st, 200, "{t}");
    let (st, t) = api(&sim, &reader, kc, r#"{"grant_type":"password"}"#, &ghost).await;
    assert_eq!(st, 400, "{t}");
    assert!(t.contains(r#"invalid grant type \"password\""#), "{t}");
    let sa = |ttl: &str| format!(r#"{{"service_account":true,"service_account_user":"ci"{ttl}}}"#);
    // the role before anything else
    let (st, t) = api(&sim, &reader, kc, &sa(""), &ghost).await;
    assert_eq!(st, 403, "{t}");
    for (ttl, st_want, why) in [
        ("", 400, "service account ttl is not set"),
        (
            r#","service_account_ttl":"0s""#,
            400,
            "service account ttl is must be positive",
        ),
        (
            r#","service_account_ttl":"315360001s""#,
            400,
            "service account ttl is too long (max allowed: 87600h0m0s)",
        ),
        (
            r#","service_account_ttl":"3600s""#,
            500,
            "failed to get cluster UUID",
        ),
    ] {
        let (st, t) = api(&sim, &admin, kc, &sa(ttl), &ghost).await;
        assert_eq!(st, st_want, "{t}");
        assert!(t.contains(why), "{t}");
        if st_want == 500 {
            assert_eq!(code(&t), Some(2), "{t}");
        }
    }
    sim.stop().await;
}

/// Watch options Omni's store refuses (cosi-project/state-etcd for most namespaces, COSI
/// `inmem` for `ephemeral` and `meta`): plain errors, gRPC Unknown, before any message.
#[tokio::test]
async fn watch_options_omnis_store_refuses() {
    let (sim, s, mut c) = setup().await;
    create(&mut c, &s, "t1").await;
    let req = |ns: &str, id: Option<&str>, o: WatchOptions| WatchRequest {
        namespace: ns.into(),
        r#type: CLUSTERS.into(),
        id: id.map(str::to_string),
        options: Some(o),
        api_version: 1,
    };
    let cases = [
        (
            req("default", None, WatchOptions { tail_events: 3, ..Default::default() }),
            "failed to watchKind: operation tailEvents is not supported",
        ),
        (
            req("default", Some("t1"), WatchOptions { tail_events: 3, ..Default::default() }),
            "failed to watch: operation tailEvents is not supported",
        ),
        (
            req(
                "default",
                None,
                WatchOptions {
                    bootstrap_contents: true,
                    start_from_bookmark: Some(vec![0; 8]),
                    ..Default::default()
                },
            ),
            "failed to watchKind: operation startFromBookmark and bootstrapContents is not supported",
        ),
        (
            req(
                "ephemeral",
                None,
                WatchOptions { bootstrap_contents: true, tail_events: 3, ..Default::default() },
            ),
            "cannot use BootstrapContents with TailEvents and StartFromBookmark options",
        ),
        (
            req(
                "ephemeral",
                Some("x"),
                WatchOptions {
                    tail_events: 3,
                    start_from_bookmark: Some(vec![0; 8]),
                    ..Default::default()
                },
            ),
            "cannot use both TailEvents and StartFromBookmark options",
        ),
    ];
    for (r, why) in cases {
        let Err(err) = c.watch(signed(&s, &format!("{G}Watch"), r)).await else {
            panic!("{why}: accepted");
        };
        assert_eq!(err.code(), tonic::Code::Unknown, "{err:?}");
        assert_eq!(err.message(), why);
    }
    // ResourceService watches read the same store
    let (st, t) = api(
        &sim,
        &s,
        "/omni.resources.ResourceService/Watch",
        r#"{"namespace":"default","type":"Clusters.omni.sidero.dev","id":"t1","tail_events":2}"#,
        &[("runtime", "Omni")],
    )
    .await;
    assert_eq!(st, 500, "{t}");
    assert!(t.contains("operation tailEvents is not supported"), "{t}");
    sim.stop().await;
}
