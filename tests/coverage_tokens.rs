//! Join tokens, machine SideroLink connection modes and infra providers (`omnictl jointoken`,
//! `omnictl configure machine`, `omnictl infraprovider`) against an in-memory Omni: what is
//! read, what is written, omnictl's messages and errors.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use omni_wasm::auth::ServiceAccountKey;
use omni_wasm::client::{JoinTokenWarning, SiderolinkConnection};
use omni_wasm::{Code, Error};
use serde_json::json;

mod coverage_support;
use coverage_support::{fake, opts, run, state_only, Fake};

const TOKEN: &str = "JoinTokens.omni.sidero.dev";
const TOKEN_STATUS: &str = "JoinTokenStatuses.omni.sidero.dev";
const DEFAULT_TOKEN: &str = "DefaultJoinTokens.omni.sidero.dev";
const TUNNEL: &str = "GRPCTunnelConfigs.omni.sidero.dev";
const M: &str = "/management.ManagementService/";

fn with_tokens() -> Fake {
    let f = state_only();
    f.put("default", TOKEN, "tok-b", json!({"name": "ci"}));
    f.put("default", TOKEN, "tok-a", json!({}));
    f.put(
        "default",
        DEFAULT_TOKEN,
        "default",
        json!({"token_id": "tok-a"}),
    );
    f.put(
        "default",
        TOKEN_STATUS,
        "tok-b",
        json!({
            "state": 2, "name": "ci", "use_count": 3,
            "expiration_time": "2030-01-02T03:04:05Z",
            "warnings": [{"machine": "m1", "message": "would lose its connection"}],
        }),
    );
    f.put(
        "default",
        TOKEN_STATUS,
        "tok-a",
        json!({"state": 1, "is_default": true}),
    );
    f.put("default", TOKEN_STATUS, "tok-c", json!({"state": 3}));
    f.put("default", TOKEN_STATUS, "tok-d", json!({}));
    f.clear_calls();
    f
}

#[test]
fn join_tokens_are_listed_with_their_state_sorted_by_id() {
    let f = with_tokens();
    let t = f.omni.tokens();
    let list = run(t.list_join_tokens(&opts())).unwrap();
    let brief: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|t| (t.id.as_str(), t.state.as_str(), t.is_default))
        .collect();
    assert_eq!(
        brief,
        [
            ("tok-a", "ACTIVE", true),
            ("tok-b", "REVOKED", false),
            ("tok-c", "EXPIRED", false),
            ("tok-d", "UNKNOWN", false),
        ]
    );
    let b = run(t.join_token("tok-b", &opts())).unwrap();
    assert_eq!(b.name, "ci");
    assert_eq!(b.use_count, 3, "uint64 travels as a string in protojson");
    assert_eq!(b.expiration.as_deref(), Some("2030-01-02T03:04:05Z"));
    assert_eq!(
        b.warnings,
        [JoinTokenWarning {
            machine: "m1".into(),
            message: "would lose its connection".into()
        }]
    );
    assert_eq!(list[0].expiration, None);
    let js = serde_json::to_value(&b).unwrap();
    assert_eq!(js["useCount"], 3);
    assert_eq!(js["isDefault"], false);
    assert_eq!(
        run(t.join_token("nope", &opts())).unwrap_err().code(),
        Code::NotFound
    );
}

#[test]
fn join_tokens_resolve_by_id_by_name_or_to_the_default() {
    let f = with_tokens();
    let t = f.omni.tokens();
    let r = |id: &str, name: &str| run(t.resolve_join_token(id, name, &opts()));
    assert_eq!(r("tok-b", "").unwrap(), "tok-b");
    let e = r("tok-x", "").unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e
        .to_string()
        .contains("join token with ID \"tok-x\" was not found"));
    assert_eq!(r("", "ci").unwrap(), "tok-b");
    assert_eq!(
        r("", "initial").unwrap(),
        "tok-a",
        "`initial` is the unnamed token"
    );
    let e = r("", "prod").unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e
        .to_string()
        .contains("join token with name \"prod\" was not found"));
    assert_eq!(r("", "").unwrap(), "tok-a", "the default token");
}

/// Civil date of a Unix time, as RFC 3339 (UTC).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days → civil
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn join_tokens_are_revoked_renewed_made_default_and_deleted() {
    let f = with_tokens();
    let t = f.omni.tokens();
    let r = run(t.set_join_token_revoked("tok-b", true, &opts())).unwrap();
    assert_eq!(r.spec["revoked"], true);
    assert_eq!(r.spec["name"], "ci", "the rest of the spec is kept");
    assert_eq!(
        f.get("default", TOKEN, "tok-b").unwrap().spec["revoked"],
        true
    );
    run(t.set_join_token_revoked("tok-b", false, &opts())).unwrap();
    assert!(f
        .get("default", TOKEN, "tok-b")
        .unwrap()
        .spec
        .get("revoked")
        .is_none_or(|v| v == false));

    let e = run(t.renew_join_token("tok-a", 0, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.to_string().contains("ttl should be greater than 0"));
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    run(t.renew_join_token("tok-a", 3600, &opts())).unwrap();
    let after = before + 5;
    let got = f.get("default", TOKEN, "tok-a").unwrap().spec["expiration_time"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        (before + 3600..=after + 3600).any(|s| rfc3339(s) == got),
        "{got} is not an hour from now"
    );

    run(t.make_default_join_token("tok-b", &opts())).unwrap();
    assert_eq!(
        f.get("default", DEFAULT_TOKEN, "default").unwrap().spec["token_id"],
        "tok-b"
    );
    assert!(run(t.delete_join_token("tok-b", &opts())).unwrap());
    assert!(!run(t.delete_join_token("tok-b", &opts())).unwrap());
    assert_eq!(
        run(t.set_join_token_revoked("tok-b", true, &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

#[test]
fn modify_retries_lost_races_and_gives_up_with_the_current_version() {
    let f = with_tokens();
    let t = f.omni.tokens();
    // two writers got there first: read again, then the third update lands
    f.store.borrow_mut().conflicts = 2;
    run(t.set_join_token_revoked("tok-a", true, &opts())).unwrap();
    assert_eq!(
        f.writes(),
        ["Update tok-a", "Update tok-a", "Update tok-a"],
        "three attempts"
    );
    let stored = f.get("default", TOKEN, "tok-a").unwrap();
    assert_eq!(stored.spec["revoked"], true);
    assert_eq!(
        stored.metadata.version, "4",
        "1 + two foreign writes + ours"
    );

    // always losing: five attempts, then the conflict with the version the server holds
    f.clear_calls();
    f.store.borrow_mut().conflicts = 100;
    match run(t.set_join_token_revoked("tok-a", false, &opts())).unwrap_err() {
        Error::Status {
            code,
            current_version,
            ..
        } => {
            assert_eq!(code, Code::FailedPrecondition);
            assert_eq!(current_version.as_deref(), Some("9"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(f.writes().len(), 5);
}

#[test]
fn join_endpoint_appends_the_token_to_the_advertised_url() {
    let f = state_only();
    let t = f.omni.tokens();
    let cfg = "SiderolinkAPIConfigs.omni.sidero.dev";
    f.put(
        "default",
        cfg,
        "siderolink-config",
        json!({"machine_api_advertised_url": "https://omni.example.org:8090/?grpc_tunnel=false"}),
    );
    assert_eq!(
        run(t.join_endpoint("secret", &opts())).unwrap(),
        "https://omni.example.org:8090/?grpc_tunnel=false&jointoken=secret"
    );
    let g = state_only();
    g.put(
        "default",
        cfg,
        "siderolink-config",
        json!({"machine_api_advertised_url": "https://omni.example.org:8090/"}),
    );
    assert_eq!(
        run(g.omni.tokens().join_endpoint("s", &opts())).unwrap(),
        "https://omni.example.org:8090/?jointoken=s"
    );
    assert_eq!(
        run(state_only().omni.tokens().join_endpoint("s", &opts()))
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

#[test]
fn siderolink_connection_modes_write_the_tunnel_config() {
    assert_eq!(
        SiderolinkConnection::parse("udp").unwrap(),
        SiderolinkConnection::Udp
    );
    assert_eq!(
        SiderolinkConnection::parse("http-tunnel").unwrap(),
        SiderolinkConnection::HttpTunnel
    );
    assert_eq!(
        SiderolinkConnection::parse("auto").unwrap(),
        SiderolinkConnection::Auto
    );
    let e = SiderolinkConnection::parse("tcp").unwrap_err();
    assert!(e
        .to_string()
        .contains("unknown mode \"tcp\", should be one of [udp,http-tunnel,auto]"));

    let f = state_only();
    let t = f.omni.tokens();
    let set = |m: &str, mode| run(t.set_siderolink_connection(m, mode, &opts()));
    let e = set("ghost", SiderolinkConnection::Udp).unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e
        .to_string()
        .contains("machine with id ghost doesn't exist"));

    f.put("default", "Machines.omni.sidero.dev", "m1", json!({}));
    let msg = set("m1", SiderolinkConnection::HttpTunnel)
        .unwrap()
        .unwrap();
    assert!(
        msg.starts_with("enabled gRPC tunnel mode for machine m1\n"),
        "{msg}"
    );
    assert!(msg.contains("4m35s"));
    assert_eq!(
        f.get("default", TUNNEL, "m1").unwrap().spec["enabled"],
        true
    );
    assert_eq!(
        set("m1", SiderolinkConnection::HttpTunnel).unwrap(),
        None,
        "no change"
    );
    let msg = set("m1", SiderolinkConnection::Udp).unwrap().unwrap();
    assert!(
        msg.starts_with("disabled gRPC tunnel mode for machine m1"),
        "{msg}"
    );
    assert!(f
        .get("default", TUNNEL, "m1")
        .unwrap()
        .spec
        .get("enabled")
        .is_none_or(|v| v == false));
    let msg = set("m1", SiderolinkConnection::Auto).unwrap().unwrap();
    assert!(
        msg.starts_with("deleted grpc tunnel config for the machine m1"),
        "{msg}"
    );
    assert!(msg.contains("won't be applied until the machine is restarted"));
    assert!(f.get("default", TUNNEL, "m1").is_none());
    // UDP without a config: one is written (disabled), and nothing to say
    assert_eq!(set("m1", SiderolinkConnection::Udp).unwrap(), None);
    assert!(f.get("default", TUNNEL, "m1").is_some());
}

#[test]
fn infra_providers_get_a_service_account_and_are_listed_with_their_health() {
    let f = fake(Rc::new(|method, _| match method.strip_prefix(M) {
        Some("CreateServiceAccount") => Some(Ok(vec![json!({"public_key_id": "k1"})])),
        Some("RenewServiceAccount") => Some(Ok(vec![json!({"public_key_id": "k2"})])),
        _ => None,
    }));
    let t = f.omni.tokens();
    let key = run(t.create_infra_provider("aws", Some(3600), &opts())).unwrap();
    let sa = ServiceAccountKey::parse(&key).unwrap();
    assert_eq!(sa.name(), "infra-provider:aws");
    assert!(f
        .get("infra-provider", "InfraProviders.omni.sidero.dev", "aws")
        .is_some());
    let req = f.bodies(&format!("{M}CreateServiceAccount")).pop().unwrap();
    assert_eq!(req["name"], "infra-provider:aws");
    assert_eq!(req["role"], "InfraProvider");
    assert!(req.get("use_user_role").is_none_or(|v| v == false));
    let armored = req["armored_pgp_public_key"].as_str().unwrap();
    assert!(armored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    // the key sent is the public half of the key returned
    assert_eq!(armored, sa.signer().unwrap().armored_public_key().unwrap());
    assert_eq!(
        run(t.create_infra_provider("aws", None, &opts()))
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );

    let renewed = run(t.renew_infra_provider_key("aws", None, &opts())).unwrap();
    assert_eq!(
        ServiceAccountKey::parse(&renewed).unwrap().name(),
        "infra-provider:aws"
    );
    assert_ne!(renewed.as_str(), key.as_str());
    let req = f.bodies(&format!("{M}RenewServiceAccount")).pop().unwrap();
    assert_eq!(req["name"], "infra-provider:aws");

    let status = "InfraProviderCombinedStatuses.omni.sidero.dev";
    f.put(
        "ephemeral",
        status,
        "zz",
        json!({"name": "Z", "version": "v2", "description": "z", "health": {"connected": true}}),
    );
    f.put(
        "ephemeral",
        status,
        "aws",
        json!({"name": "AWS", "health": {"error": "no credentials"}}),
    );
    let list = run(t.list_infra_providers(&opts())).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (
            list[0].id.as_str(),
            list[0].name.as_str(),
            list[0].connected,
            list[0].error.as_str()
        ),
        ("aws", "AWS", false, "no credentials")
    );
    assert_eq!(
        (
            list[1].id.as_str(),
            list[1].version.as_str(),
            list[1].description.as_str(),
            list[1].connected
        ),
        ("zz", "v2", "z", true)
    );
    assert!(run(t.delete_infra_provider("aws", &opts())).unwrap());
    assert!(!run(t.delete_infra_provider("aws", &opts())).unwrap());
}
