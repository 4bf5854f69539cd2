//! Error codes against the gRPC and grpc-gateway tables they mirror, and lists read as JSON text
//! (what the JS API hands to `JSON.parse`) from an in-memory Omni: one array of resources in the
//! library's shape, cut into arrays of about `CHUNK` bytes when large.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use omni_wasm::client::{ListParams, ListText, CHUNK};
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

mod coverage_support;
use coverage_support::{opts, run, state_only};

/// gRPC's canonical codes, in number order, with grpc-gateway's `HTTPStatusFromCode`.
const GRPC: [(&str, u16); 17] = [
    ("OK", 200),
    ("CANCELLED", 499),
    ("UNKNOWN", 500),
    ("INVALID_ARGUMENT", 400),
    ("DEADLINE_EXCEEDED", 504),
    ("NOT_FOUND", 404),
    ("ALREADY_EXISTS", 409),
    ("PERMISSION_DENIED", 403),
    ("RESOURCE_EXHAUSTED", 429),
    ("FAILED_PRECONDITION", 400),
    ("ABORTED", 409),
    ("OUT_OF_RANGE", 400),
    ("UNIMPLEMENTED", 501),
    ("INTERNAL", 500),
    ("UNAVAILABLE", 503),
    ("DATA_LOSS", 500),
    ("UNAUTHENTICATED", 401),
];

#[test]
fn codes_follow_grpc_and_grpc_gateway() {
    for (n, (name, http)) in GRPC.iter().enumerate() {
        let c = Code::from_i32(n as i32);
        assert_eq!(c.as_i32(), n as i32);
        assert_eq!(c.name(), *name);
        assert_eq!(c.to_string(), *name);
        assert_eq!(c.http_status(), *http, "{name}");
        assert_eq!(Code::ALL[n], c);
    }
    // the other way, for bodies without a code: the statuses grpc-gateway produces
    for (status, code) in [
        (200, Code::Ok),
        (400, Code::InvalidArgument),
        (401, Code::Unauthenticated),
        (403, Code::PermissionDenied),
        (404, Code::NotFound),
        (409, Code::AlreadyExists),
        (429, Code::ResourceExhausted),
        (499, Code::Cancelled),
        (501, Code::Unimplemented),
        (503, Code::Unavailable),
        (504, Code::DeadlineExceeded),
        (500, Code::Unknown),
        (502, Code::Unknown),
        (418, Code::Unknown),
    ] {
        assert_eq!(Code::from_http_status(status), code, "{status}");
    }
}

#[test]
fn errors_carry_their_code_and_only_unavailable_is_retried() {
    let cases = [
        (
            Error::status(Code::NotFound, "gone"),
            Code::NotFound,
            "NOT_FOUND: gone",
        ),
        (
            Error::Transport("cut".into()),
            Code::Unavailable,
            "transport: cut",
        ),
        (
            Error::Cancelled("abort".into()),
            Code::Cancelled,
            "cancelled: abort",
        ),
        (
            Error::Key("expired".into()),
            Code::Unauthenticated,
            "key: expired",
        ),
        (
            Error::InvalidArgument("bad".into()),
            Code::InvalidArgument,
            "invalid argument: bad",
        ),
        (Error::Decode("junk".into()), Code::Internal, "decode: junk"),
    ];
    for (e, code, text) in cases {
        assert_eq!(e.code(), code);
        assert_eq!(e.to_string(), text);
        assert_eq!(e.is_retryable(), code == Code::Unavailable, "{text}");
    }
}

fn arrays(t: ListText) -> Vec<Vec<Value>> {
    match t {
        ListText::Arrays(a) => a
            .iter()
            .map(|s| serde_json::from_str::<Vec<Value>>(s).unwrap())
            .collect(),
        ListText::Items(_) => panic!("the memory transport reads State/List"),
    }
}

#[test]
fn lists_as_json_text_are_arrays_of_bounded_size() {
    let f = state_only();
    let ty = "InstallationMediaConfigs.omni.sidero.dev";
    let h = run(f.omni.resources_in(ty, "default")).unwrap();
    let empty = arrays(run(h.list_text(&ListParams::default(), &opts())).unwrap());
    assert_eq!(empty, [Vec::<Value>::new()], "one empty array");

    for (id, env) in [("b", "dev"), ("a", "prod"), ("c", "prod")] {
        f.put_with(
            "default",
            ty,
            id,
            json!({"talos_version": "1.9.0", "architecture": 1}),
            |m| {
                m.labels.insert("env".into(), env.into());
            },
        );
    }
    let small =
        arrays(run(h.list_text(&ListParams::default().selector("env=prod"), &opts())).unwrap());
    assert_eq!(small.len(), 1);
    let ids: Vec<&str> = small[0]
        .iter()
        .map(|r| r["metadata"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(small[0][0]["spec"]["talos_version"], "1.9.0");
    assert_eq!(small[0][0]["spec"]["architecture"], 1);
    assert_eq!(small[0][0]["metadata"]["labels"]["env"], "prod");

    // about 600 KB of resources: several arrays, each (but the last) at least CHUNK bytes
    let config = "x".repeat(3000);
    for i in 0..200 {
        f.put(
            "default",
            ty,
            &format!("big-{i:03}"),
            json!({ "embedded_machine_config": config }),
        );
    }
    let text = match run(h.list_text(&ListParams::default(), &opts())).unwrap() {
        ListText::Arrays(a) => a,
        ListText::Items(_) => panic!("arrays expected"),
    };
    assert!(text.len() >= 2, "{} arrays", text.len());
    for t in &text[..text.len() - 1] {
        assert!(t.len() >= CHUNK);
    }
    let all: Vec<Value> = text
        .iter()
        .flat_map(|s| serde_json::from_str::<Vec<Value>>(s).unwrap())
        .collect();
    assert_eq!(all.len(), 203, "every resource once");
    assert!(all
        .iter()
        .filter(|r| r["metadata"]["id"].as_str().unwrap().starts_with("big-"))
        .all(|r| r["spec"]["embedded_machine_config"].as_str().unwrap().len() == 3000));
}
