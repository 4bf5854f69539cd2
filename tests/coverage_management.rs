//! Management and auth RPCs over the in-memory transport: service accounts (the key pair is
//! made here, only the public key leaves), key registration (unsigned) and revocation, users,
//! configuration downloads, and the typed unary and streaming ManagementService calls — the
//! exact requests, their metadata and how answers are read.
#![cfg(all(feature = "full", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use base64::Engine as _;
use futures::StreamExt as _;
use omni_wasm::auth::{Metadata, ServiceAccountKey};
use omni_wasm::client::{KubeconfigParams, PublicKeyMaterial, SupportBundleEvent};
use omni_wasm::proto::management as pb;
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

mod coverage_support;
use coverage_support::{fake, fake_built, opts, run, Fake};

const M: &str = "/management.ManagementService/";
const AUTH: &str = "/auth.AuthService/";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The key id a request was signed with (`siderov1 <identity> <key id> <signature>`).
fn signed_by(md: &Metadata) -> Option<String> {
    md.first("x-sidero-signature")
        .map(|s| s.split(' ').nth(2).unwrap_or_default().to_string())
}

fn call_of(f: &Fake, method: &str) -> (Metadata, Value) {
    f.store
        .borrow()
        .calls
        .iter()
        .rev()
        .find(|(m, _, _)| m == method)
        .map(|(_, md, b)| (md.clone(), b.clone()))
        .unwrap_or_else(|| panic!("{method} was not called"))
}

/// A fake whose ManagementService / AuthService methods answer `answers[method]` (one message,
/// or a list = a stream).
fn answering(answers: Value) -> Fake {
    fake(Rc::new(move |method, _| {
        let name = method.rsplit('/').next().unwrap_or_default();
        answers.get(name).map(|a| match a {
            Value::Array(items) => Ok(items.clone()),
            Value::String(code) if code == "NOT_FOUND" => {
                Err(Error::status(Code::NotFound, format!("{name}: not found")))
            }
            one => Ok(vec![one.clone()]),
        })
    }))
}

#[test]
fn service_accounts_are_created_renewed_replaced_listed_and_destroyed() {
    let f = answering(json!({
        "CreateServiceAccount": {"public_key_id": "k1"},
        "RenewServiceAccount": {"public_key_id": "k2"},
        "RevokePublicKey": {},
        "DestroyServiceAccount": {},
        "ListServiceAccounts": {"service_accounts": [{
            "name": "automation", "role": "Operator", "last_active": "2 hours ago",
            "pgp_public_keys": [{"id": "abc", "created": "2025-01-02T03:04:05Z", "expiration": "2026-01-02T03:04:05Z"}],
        }]},
    }));
    let m = f.omni.management();
    let issued =
        run(m.create_service_account("automation", None, true, Some(600), &opts())).unwrap();
    assert_eq!(issued.public_key_id, "k1", "the id the server gave the key");
    assert!(
        !format!("{issued:?}").contains(issued.key.as_str()),
        "Debug hides the key"
    );
    let key = issued.key;
    let sa = ServiceAccountKey::parse(&key).unwrap();
    assert_eq!(sa.name(), "automation");
    let (md, req) = call_of(&f, &format!("{M}CreateServiceAccount"));
    assert_eq!(req["name"], "automation");
    assert_eq!(req["use_user_role"], true, "no role: the caller's");
    assert!(req.get("role").is_none_or(|r| r == ""));
    assert_eq!(
        req["armored_pgp_public_key"],
        sa.signer().unwrap().armored_public_key().unwrap()
    );
    let client_key = signed_by(&md).unwrap();
    assert_ne!(client_key, sa.signer().unwrap().fingerprint());
    let signer = sa.signer().unwrap();
    let ttl = signer.expires_at().unwrap() - signer.created_at();
    assert_eq!(ttl, 600);

    run(m.create_service_account("ops", Some("Reader"), true, None, &opts())).unwrap();
    let (_, req) = call_of(&f, &format!("{M}CreateServiceAccount"));
    assert_eq!(req["role"], "Reader");
    assert!(
        req.get("use_user_role").is_none_or(|v| v == false),
        "a role given wins over the caller's"
    );

    // replacing: a new key, then the old key revokes itself (signed with the old key)
    let e = run(m.replace_service_account_key("other", &key, None, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e
        .to_string()
        .contains("belongs to service account \"automation\""));
    f.clear_calls();
    let new_key = run(m.replace_service_account_key("automation", &key, None, &opts())).unwrap();
    assert_ne!(new_key.as_str(), key.as_str());
    let old_fp = sa.signer().unwrap().fingerprint().to_string();
    let (md, req) = call_of(&f, &format!("{AUTH}RevokePublicKey"));
    assert_eq!(req["public_key_id"], old_fp);
    assert_eq!(signed_by(&md).unwrap(), old_fp);
    let (md, req) = call_of(&f, &format!("{M}RenewServiceAccount"));
    assert_eq!(req["name"], "automation");
    assert_eq!(signed_by(&md).unwrap(), client_key);
    let methods: Vec<String> = f.store.borrow().calls.iter().map(|c| c.0.clone()).collect();
    assert_eq!(
        methods,
        [
            format!("{M}RenewServiceAccount"),
            format!("{AUTH}RevokePublicKey")
        ]
    );

    let list = run(m.list_service_accounts(&opts())).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].name.as_str(),
            list[0].role.as_str(),
            list[0].last_active.as_str()
        ),
        ("automation", "Operator", "2 hours ago")
    );
    let k = &list[0].keys[0];
    assert_eq!(k.id, "abc");
    assert_eq!(k.created.as_deref(), Some("2025-01-02T03:04:05+00:00"));
    assert_eq!(k.expiration.as_deref(), Some("2026-01-02T03:04:05+00:00"));
    assert_eq!(k.last_used, None);
    assert_eq!(serde_json::to_value(k).unwrap()["lastUsed"], Value::Null);

    run(m.destroy_service_account("automation", &opts())).unwrap();
    assert_eq!(
        call_of(&f, &format!("{M}DestroyServiceAccount")).1["name"],
        "automation"
    );
}

#[test]
fn renewing_fails_before_revoking_anything() {
    let f = answering(json!({"RenewServiceAccount": "NOT_FOUND"}));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (old, _) = ServiceAccountKey::generate("gone", None, now).unwrap();
    let e = run(f.omni.management().replace_service_account_key(
        "gone",
        &old.encode().unwrap(),
        None,
        &opts(),
    ))
    .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(f.bodies(&format!("{AUTH}RevokePublicKey")).is_empty());
}

#[test]
fn key_registration_is_unsigned_and_revocation_signed() {
    let f = answering(json!({
        "RegisterPublicKey": {"login_url": "https://omni.example.org/authenticate?flow=cli&public-key-id=k9", "public_key_id": "k9"},
        "AwaitPublicKeyConfirmation": {},
        "RevokePublicKey": {},
    }));
    let login = f.omni.login();
    let e = run(login.register(&PublicKeyMaterial::Pgp("x".into()), "  ", &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    let reg = run(login.register(
        &PublicKeyMaterial::Pgp("-----BEGIN PGP PUBLIC KEY BLOCK-----".into()),
        "Jane@Example.org",
        &opts(),
    ))
    .unwrap();
    assert_eq!(reg.public_key_id, "k9");
    assert!(reg.login_url.ends_with("public-key-id=k9"));
    let (md, req) = call_of(&f, &format!("{AUTH}RegisterPublicKey"));
    assert!(
        !md.contains("x-sidero-signature"),
        "registration is unsigned"
    );
    assert_eq!(req["identity"]["email"], "jane@example.org");
    assert_eq!(
        req["public_key"]["pgp_data"],
        b64("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    );

    run(login.register(
        &PublicKeyMaterial::Plain {
            pem: "-----BEGIN PUBLIC KEY-----".into(),
            not_before: 1_700_000_000,
            not_after: 1_700_028_800,
        },
        "jane@example.org",
        &opts(),
    ))
    .unwrap();
    let (_, req) = call_of(&f, &format!("{AUTH}RegisterPublicKey"));
    let plain = &req["public_key"]["plain_key"];
    assert_eq!(plain["key_pem"], "-----BEGIN PUBLIC KEY-----");
    assert_eq!(plain["not_before"], "2023-11-14T22:13:20+00:00");
    assert_eq!(plain["not_after"], "2023-11-15T06:13:20+00:00");
    assert!(req["public_key"].get("pgp_data").is_none_or(|v| v == ""));

    run(login.await_confirmation("k9", &opts())).unwrap();
    let (md, req) = call_of(&f, &format!("{AUTH}AwaitPublicKeyConfirmation"));
    assert!(!md.contains("x-sidero-signature"));
    assert_eq!(req["public_key_id"], "k9");

    run(login.revoke("k9", &opts())).unwrap();
    let (md, req) = call_of(&f, &format!("{AUTH}RevokePublicKey"));
    assert!(md.contains("x-sidero-signature"), "revocation is signed");
    assert_eq!(req["public_key_id"], "k9");
}

#[test]
fn confirming_a_key_sends_the_identity_providers_credential_unsigned() {
    use omni_wasm::client::ConfirmWith;
    let f = answering(json!({ "ConfirmPublicKey": {} }));
    let login = f.omni.login();
    let token = ConfirmWith::IdToken("eyJ.secret-token".into());
    run(login.confirm("k9", &token, &opts())).unwrap();
    let (md, req) = call_of(&f, &format!("{AUTH}ConfirmPublicKey"));
    assert!(
        !md.contains("x-sidero-signature"),
        "confirmation is unsigned"
    );
    assert_eq!(md.first("authorization"), Some("Bearer eyJ.secret-token"));
    assert_eq!(req["public_key_id"], "k9");
    run(login.confirm("k9", &ConfirmWith::SamlSession("s-1".into()), &opts())).unwrap();
    let (md, _) = call_of(&f, &format!("{AUTH}ConfirmPublicKey"));
    assert_eq!(md.first("saml-session"), Some("s-1"));
    assert!(!md.contains("authorization"));
    // an empty id is refused before any call; the credential never shows in Debug
    let before = f.bodies(&format!("{AUTH}ConfirmPublicKey")).len();
    let e = run(login.confirm(" ", &token, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(f.bodies(&format!("{AUTH}ConfirmPublicKey")).len(), before);
    assert_eq!(format!("{token:?}"), "IdToken(<redacted>)");
}

#[test]
fn confirming_for_the_workload_proxy_sends_the_key_id_signed_with_the_key() {
    use omni_wasm::auth::{EcdsaKey, Signer as _};
    use omni_wasm::client::ConfirmWith;
    use p256::ecdsa::signature::Verifier as _;
    let f = answering(json!({ "ConfirmPublicKey": {} }));
    let login = f.omni.login();
    let now = chrono_now();
    let key = run(EcdsaKey::generate("amy@example.org", false, None, now)).unwrap();
    let id = key.key_id().to_string();
    let token = ConfirmWith::IdToken("eyJ.t".into());
    run(login.confirm_for_workload_proxy(&id, &token, &key, &opts())).unwrap();
    let (md, req) = call_of(&f, &format!("{AUTH}ConfirmPublicKey"));
    assert_eq!(req["public_key_id"], id.as_str());
    assert!(!md.contains("x-sidero-signature"), "still unsigned");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(md.first("publicKeyIdSignatureBase64").unwrap())
        .unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    assert!(key.verifying_key().verify(id.as_bytes(), &sig).is_ok());
    // another key than the one being confirmed: refused before anything is sent
    let before = f.bodies(&format!("{AUTH}ConfirmPublicKey")).len();
    let e = run(login.confirm_for_workload_proxy("other-id", &token, &key, &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(f.bodies(&format!("{AUTH}ConfirmPublicKey")).len(), before);
    // a plain confirmation sends no signature
    run(login.confirm(&id, &token, &opts())).unwrap();
    let (md, _) = call_of(&f, &format!("{AUTH}ConfirmPublicKey"));
    assert!(!md.contains("publicKeyIdSignatureBase64"));
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[test]
fn users_are_checked_created_listed_and_changed() {
    let f = answering(json!({
        "CreateUser": {"user_id": "u-1"},
        "UpdateUser": {},
        "DestroyUser": {},
        "ListUsers": {"users": [
            {"id": "2", "email": "zed@example.org", "role": "Reader"},
            {"id": "1", "email": "amy@example.org", "role": "Admin", "saml_labels": {"team": "a"}, "last_active": "now"},
        ]},
    }));
    let m = f.omni.management();
    let bad = |r: omni_wasm::Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        e.to_string()
    };
    assert!(bad(run(m.create_user("", "Admin", &opts())).map(|_| ())).contains("e-mail"));
    assert!(bad(run(m.create_user("a@b", "", &opts())).map(|_| ())).contains("role"));
    assert!(bad(run(m.set_user_role("a@b", "", &opts()))).contains("role"));
    assert!(bad(run(m.delete_user("", &opts()))).contains("e-mail"));
    assert!(f.store.borrow().calls.is_empty(), "nothing sent");

    assert_eq!(
        run(m.create_user("amy@example.org", "Admin", &opts())).unwrap(),
        "u-1"
    );
    assert_eq!(
        call_of(&f, &format!("{M}CreateUser")).1,
        json!({"email": "amy@example.org", "role": "Admin"})
    );
    let users = run(m.list_users(&opts())).unwrap();
    let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["amy@example.org", "zed@example.org"]);
    assert_eq!(
        users[0].saml_labels.get("team").map(String::as_str),
        Some("a")
    );
    assert_eq!(users[0].last_active, "now");
    run(m.set_user_role("zed@example.org", "Operator", &opts())).unwrap();
    assert_eq!(call_of(&f, &format!("{M}UpdateUser")).1["role"], "Operator");
    run(m.delete_user("zed@example.org", &opts())).unwrap();
    assert_eq!(
        call_of(&f, &format!("{M}DestroyUser")).1["email"],
        "zed@example.org"
    );
}

#[test]
fn configuration_downloads_carry_the_cluster_and_refuse_writes_when_read_only() {
    let answers = json!({
        "Kubeconfig": {"kubeconfig": b64("apiVersion: v1\nkind: Config\n")},
        "Talosconfig": {"talosconfig": b64("context: c\n")},
        "Omniconfig": {"omniconfig": b64("contexts: {}\n")},
    });
    let f = answering(answers.clone());
    let m = f.omni.management();
    let e = run(m.kubeconfig(&KubeconfigParams::default(), &opts())).unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let kc = run(m.kubeconfig(&KubeconfigParams::for_cluster("prod"), &opts())).unwrap();
    assert_eq!(kc, "apiVersion: v1\nkind: Config\n");
    let (md, _) = call_of(&f, &format!("{M}Kubeconfig"));
    assert_eq!(md.first("cluster"), Some("prod"));
    let sa = KubeconfigParams {
        service_account: true,
        service_account_ttl_secs: Some(3600),
        service_account_user: "ci".into(),
        service_account_groups: vec!["system:masters".into()],
        ..KubeconfigParams::for_cluster("prod")
    };
    run(m.kubeconfig(&sa, &opts())).unwrap();
    let (_, req) = call_of(&f, &format!("{M}Kubeconfig"));
    assert_eq!(req["service_account"], true);
    assert_eq!(req["service_account_ttl"], "3600s");
    assert_eq!(req["service_account_user"], "ci");
    assert_eq!(req["service_account_groups"], json!(["system:masters"]));

    assert_eq!(
        run(m.talosconfig("prod", false, &opts())).unwrap(),
        "context: c\n"
    );
    assert_eq!(
        call_of(&f, &format!("{M}Talosconfig")).0.first("cluster"),
        Some("prod")
    );
    run(m.talosconfig("", true, &opts())).unwrap();
    let (md, req) = call_of(&f, &format!("{M}Talosconfig"));
    assert_eq!(md.first("cluster"), None, "instance-wide");
    assert_eq!(req["break_glass"], true);
    assert_eq!(run(m.omniconfig(&opts())).unwrap(), "contexts: {}\n");

    // a read-only client downloads a user kubeconfig, but creates no service account and
    // takes no break-glass access
    let ro = fake_built(
        Rc::new(move |method, _| {
            let name = method.rsplit('/').next().unwrap_or_default();
            answers.get(name).map(|a| Ok(vec![a.clone()]))
        }),
        |b| b.read_only(true),
    );
    let m = ro.omni.management();
    run(m.kubeconfig(&KubeconfigParams::for_cluster("prod"), &opts())).unwrap();
    for p in [
        sa.clone(),
        KubeconfigParams {
            break_glass: true,
            ..KubeconfigParams::for_cluster("prod")
        },
    ] {
        let e = run(m.kubeconfig(&p, &opts())).unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
    }
    assert_eq!(ro.bodies(&format!("{M}Kubeconfig")).len(), 1);

    // answers that are not UTF-8 are decode errors, not garbage
    let g = answering(json!({"Omniconfig": {"omniconfig": "//79"}}));
    let e = run(g.omni.management().omniconfig(&opts())).unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
}

#[test]
fn typed_unary_rpcs_send_their_requests_and_read_their_answers() {
    let f = answering(json!({
        "ValidateConfig": {},
        "ValidateJSONSchema": {"errors": [{"schema_path": "/type", "data_path": "/a", "cause": "want string"}]},
        "CreateSchematicFromRaw": {"schematic_id": "raw1", "pxe_url": "https://pxe/x"},
        "GetBootAssetURL": {"url": "https://factory/asset"},
        "GetMachineJoinConfig": {"kernel_args": ["siderolink.api=x"], "config": "apiVersion: v1alpha1"},
        "CreateJoinToken": {"id": "tok-1"},
        "ResetNodeUniqueToken": {},
        "MaintenanceUpgrade": {},
        "MachinePowerOff": {},
        "MachinePowerOn": {},
    }));
    let m = f.omni.management();
    let last = |name: &str| call_of(&f, &format!("{M}{name}")).1;

    run(m.validate_config("machine: {}", &opts())).unwrap();
    assert_eq!(last("ValidateConfig")["config"], "machine: {}");
    let errs = run(m.validate_json_schema("{\"a\":1}", "{}", &opts())).unwrap();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].cause, "want string");
    assert_eq!(errs[0].data_path, "/a");
    assert_eq!(last("ValidateJSONSchema")["data"], "{\"a\":1}");

    let s = run(m.create_schematic_from_raw(b"customization: {}\n", "1.9.0", &opts())).unwrap();
    assert_eq!(
        (s.schematic_id.as_str(), s.pxe_url.as_str()),
        ("raw1", "https://pxe/x")
    );
    assert_eq!(
        last("CreateSchematicFromRaw")["raw_schematic"],
        b64("customization: {}\n")
    );
    assert_eq!(last("CreateSchematicFromRaw")["talos_version"], "1.9.0");

    let u = run(m.boot_asset_url(
        &pb::BootAssetUrlRequest {
            talos_version: "1.9.0".into(),
            ..Default::default()
        },
        &opts(),
    ))
    .unwrap();
    assert_eq!(u.url, "https://factory/asset");

    let jc = run(m.machine_join_config("tok", true, &opts())).unwrap();
    assert_eq!(jc.kernel_args, ["siderolink.api=x"]);
    assert_eq!(
        last("GetMachineJoinConfig"),
        json!({"join_token": "tok", "use_grpc_tunnel": true})
    );

    for name in ["", "seventeen-chars-x"] {
        let e = run(m.create_join_token(name, None, &opts())).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
    }
    assert_eq!(
        run(m.create_join_token("ci", Some(1_700_000_000), &opts())).unwrap(),
        "tok-1"
    );
    assert_eq!(
        last("CreateJoinToken"),
        json!({"name": "ci", "expiration_time": "2023-11-14T22:13:20+00:00"})
    );
    run(m.create_join_token("forever", None, &opts())).unwrap();
    assert_eq!(last("CreateJoinToken"), json!({"name": "forever"}));

    run(m.reset_node_unique_token("m1", &opts())).unwrap();
    assert_eq!(last("ResetNodeUniqueToken"), json!({"id": "m1"}));
    run(m.maintenance_upgrade("m1", "1.9.1", &opts())).unwrap();
    assert_eq!(
        last("MaintenanceUpgrade"),
        json!({"machine_id": "m1", "version": "1.9.1"})
    );
    run(m.machine_power_off("m2", &opts())).unwrap();
    assert_eq!(last("MachinePowerOff"), json!({"machine_id": "m2"}));
    run(m.machine_power_on("m3", &opts())).unwrap();
    assert_eq!(last("MachinePowerOn"), json!({"machine_id": "m3"}));

    // no such method on the server: its error comes through
    let bare = answering(json!({}));
    let e = run(bare.omni.management().validate_config("x", &opts())).unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
}

#[test]
fn server_streams_are_read_as_library_events() {
    let f = answering(json!({
        "MachineLogs": [{"bytes": b64("line 1")}, {"bytes": b64("line 2")}],
        "MaintenanceLifecycle": [{"message": "installing"}, {"message": "rebooting"}],
        "KubernetesSyncManifests": [
            {"response_type": 1, "path": "kube-system/cm ConfigMap", "object": b64("kind: ConfigMap\n"), "diff": "+a", "skipped": false},
            {"response_type": 2, "path": "kube-system/ds DaemonSet"},
        ],
        "GetSupportBundle": [
            {"encryption_recipients": ["age1xyz"]},
            {"progress": {"source": "omni", "state": "collecting", "total": 2, "value": 1}},
            {"bundle_data": b64("PK")},
        ],
    }));
    let m = f.omni.management();
    let logs: Vec<Vec<u8>> = run(m.machine_logs("m1", true, -1, &opts()).collect::<Vec<_>>())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(logs, [b"line 1".to_vec(), b"line 2".to_vec()]);
    assert_eq!(
        call_of(&f, &format!("{M}MachineLogs")).1,
        json!({"machine_id": "m1", "follow": true, "tail_lines": -1})
    );

    let msgs: Vec<String> = run(m
        .maintenance_lifecycle(pb::MaintenanceLifecycleRequest::default(), &opts())
        .collect::<Vec<_>>())
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(msgs, ["installing", "rebooting"]);

    let none: Vec<_> = run(m
        .sync_manifests("", pb::KubernetesSyncManifestRequest::default(), &opts())
        .collect::<Vec<_>>());
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].as_ref().unwrap_err().code(), Code::InvalidArgument);
    let req = pb::KubernetesSyncManifestRequest {
        dry_run: true,
        ..Default::default()
    };
    let evs: Vec<_> = run(m.sync_manifests("prod", req, &opts()).collect::<Vec<_>>())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(!evs[0].rollout && evs[1].rollout);
    assert_eq!(evs[0].object, "kind: ConfigMap\n");
    assert_eq!(evs[0].diff, "+a");
    assert_eq!(evs[1].path, "kube-system/ds DaemonSet");
    let (md, req) = call_of(&f, &format!("{M}KubernetesSyncManifests"));
    assert_eq!(md.first("cluster"), Some("prod"));
    assert_eq!(req["dry_run"], true);

    let bundle: Vec<SupportBundleEvent> = run(m
        .support_bundle(pb::GetSupportBundleRequest::default(), &opts())
        .collect::<Vec<_>>())
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(
        bundle,
        [
            SupportBundleEvent::Recipients(vec!["age1xyz".into()]),
            SupportBundleEvent::Progress {
                source: "omni".into(),
                error: String::new(),
                state: "collecting".into(),
                total: 2,
                value: 1
            },
            SupportBundleEvent::Bundle(b"PK".to_vec()),
        ]
    );

    // a plain (not followed) audit-log read is the server's stream as it is
    let g = answering(json!({"ReadAuditLog": [{"audit_log": b64("{}\n"), "id": "0"}]}));
    let chunks: Vec<_> = run(g
        .omni
        .management()
        .audit_log(Default::default(), &opts())
        .collect::<Vec<_>>());
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].as_ref().unwrap().data, b"{}\n");
}
