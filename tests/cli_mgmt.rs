//! The management commands of the command line (`user`, `jointoken`, `machine-logs`,
//! `audit-log`, `support`, `infraprovider`) on the in-memory host and transport: stdout,
//! stderr, exit code and the exact requests, each test following the upstream file it names
//! (under `client/pkg/omnictl/`).
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_host;

use base64::Engine as _;
use cli_host::TestHost;
use omni_wasm::resource::{Registry, Resource, ResourceMetadata};
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

type Answer = std::result::Result<Vec<Value>, Error>;

/// The test host's clock, 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A COSI resource as the wire carries it (`proto_spec` encoded from `spec`).
fn wire(ns: &str, ty: &str, id: &str, spec: Value) -> Value {
    let mut md = ResourceMetadata::new(ns, ty, id);
    md.version = "1".into();
    let r = Resource::new(md, spec)
        .to_proto(&Registry::builtin())
        .unwrap();
    serde_json::to_value(r).unwrap()
}

fn not_found(ty: &str, id: &str) -> Error {
    Error::status(Code::NotFound, format!("resource {ty}({id}) doesn't exist"))
}

/// A server holding `resources` for `cosi.resource.State` (reads answered from them; Create,
/// Update answered with what was sent; TeardownAndDestroy of a missing one is NOT_FOUND),
/// every other method answered by `rpc` (`None`: UNIMPLEMENTED).
fn omni(resources: Vec<Value>, rpc: impl Fn(&str, &Value) -> Option<Answer> + 'static) -> TestHost {
    TestHost::with_server(move |method, body| {
        let find = || {
            resources
                .iter()
                .find(|r| {
                    r["metadata"]["type"] == body["type"] && r["metadata"]["id"] == body["id"]
                })
                .cloned()
                .ok_or_else(|| {
                    not_found(
                        body["type"].as_str().unwrap_or_default(),
                        body["id"].as_str().unwrap_or_default(),
                    )
                })
        };
        match method.strip_prefix("/cosi.resource.State/") {
            Some("Get") => find().map(|r| vec![json!({ "resource": r })]),
            Some("List") => Ok(resources
                .iter()
                .filter(|r| r["metadata"]["type"] == body["type"])
                .map(|r| json!({ "resource": r }))
                .collect()),
            Some("Create") => Ok(vec![json!({ "resource": body["resource"] })]),
            Some("Update") => Ok(vec![json!({ "resource": body["new_resource"] })]),
            Some("TeardownAndDestroy") => find().map(|_| vec![json!({})]),
            _ => rpc(method, body)
                .unwrap_or_else(|| Err(Error::status(Code::Unimplemented, method.to_string()))),
        }
    })
}

/// The bodies of the calls to methods ending in `suffix`.
fn bodies(h: &TestHost, suffix: &str) -> Vec<Value> {
    h.calls
        .borrow()
        .iter()
        .filter(|(m, _)| m.ends_with(suffix))
        .map(|(_, b)| b.clone())
        .collect()
}

/// A spec as the server stores it: the resource the client sent, decoded again.
fn spec_of(resource: &Value) -> Value {
    let pb: omni_wasm::proto::cosi::resource::Resource =
        serde_json::from_value(resource.clone()).unwrap();
    Resource::from_proto(pb, &Registry::builtin()).unwrap().spec
}

// ---- user/create.go, user/delete.go, user/list.go, user/set_role.go -------------------------

fn users_rpc(method: &str, body: &Value) -> Option<Answer> {
    Some(match method {
        "/management.ManagementService/CreateUser" => Ok(vec![json!({"user_id": "u-new"})]),
        "/management.ManagementService/UpdateUser" => Ok(vec![json!({})]),
        "/management.ManagementService/DestroyUser" if body["email"] == "gone@x" => Err(
            Error::status(Code::NotFound, "identity \"gone@x\" not found"),
        ),
        "/management.ManagementService/DestroyUser" => Ok(vec![json!({})]),
        "/management.ManagementService/ListUsers" => Ok(vec![json!({"users": [
            {"id": "u1", "email": "a@x", "role": "Admin", "last_active": "2026-01-01",
             "saml_labels": {"team": "infra", "a.b": "1"}},
            {"id": "u2", "email": "b@x", "role": "Reader"},
        ]})]),
        _ => return None,
    })
}

#[test]
fn user_create_and_set_role_send_the_email_and_role_and_print_nothing() {
    // user/create.go, user/set_role.go: the RPCs, nothing printed
    let h = omni(vec![], users_rpc);
    assert_eq!(
        h.run(&["user", "create", "a@x", "-r", "Reader"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.run(&["u", "set-role", "a@x", "--role=Operator"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.stdout(), "");
    assert_eq!(h.stderr(), "");
    assert_eq!(
        bodies(&h, "/CreateUser"),
        vec![json!({"email": "a@x", "role": "Reader"})]
    );
    assert_eq!(
        bodies(&h, "/UpdateUser"),
        vec![json!({"email": "a@x", "role": "Operator"})]
    );
    // --role is required (MarkPersistentFlagRequired): refused before any call
    let h = omni(vec![], users_rpc);
    assert_eq!(h.run(&["user", "create", "a@x"]), 1);
    assert!(h.stderr().starts_with("Error: "), "{}", h.stderr());
    assert!(h.stderr().contains("--role"), "{}", h.stderr());
    assert!(h.calls.borrow().is_empty());
}

#[test]
fn user_delete_goes_one_by_one_and_stops_at_the_first_failure() {
    // user/delete.go: DestroyUser per email, "destroyed user <email>" on stdout after each
    let h = omni(vec![], users_rpc);
    assert_eq!(h.run(&["user", "delete", "a@x", "gone@x", "c@x"]), 1);
    assert_eq!(h.stdout(), "destroyed user a@x\n");
    assert_eq!(
        h.stderr(),
        "Error: NOT_FOUND: identity \"gone@x\" not found\n"
    );
    assert_eq!(
        bodies(&h, "/DestroyUser"),
        vec![json!({"email": "a@x"}), json!({"email": "gone@x"})]
    );
    // cobra.MinimumNArgs(1)
    let h = omni(vec![], users_rpc);
    assert_eq!(h.run(&["user", "delete"]), 1);
    assert!(h.calls.borrow().is_empty());
}

#[test]
fn user_list_is_a_tabwriter_table_with_never_and_sorted_labels() {
    // user/list.go: tabwriter padding 3, "Never" for no activity, formatSAMLLabels
    let h = omni(vec![], users_rpc);
    assert_eq!(h.run(&["users", "list"]), 0, "{}", h.stderr());
    assert_eq!(
        h.stdout(),
        "ID   EMAIL   ROLE     LAST ACTIVE   LABELS\n\
         u1   a@x     Admin    2026-01-01    a.b=1, team=infra\n\
         u2   b@x     Reader   Never         \n"
    );
    assert_eq!(h.stderr(), "");
}

// ---- jointoken.go ---------------------------------------------------------------------------

const TOKEN: &str = "JoinTokens.omni.sidero.dev";
const TOKEN_STATUS: &str = "JoinTokenStatuses.omni.sidero.dev";

fn tokens() -> Vec<Value> {
    vec![
        wire("default", TOKEN, "tok-a", json!({})),
        wire("default", TOKEN, "tok-b", json!({"name": "ci"})),
        wire(
            "default",
            "DefaultJoinTokens.omni.sidero.dev",
            "default",
            json!({"token_id": "tok-a"}),
        ),
        wire(
            "default",
            TOKEN_STATUS,
            "tok-a",
            json!({"state": 1, "is_default": true, "use_count": 1}),
        ),
        wire(
            "default",
            TOKEN_STATUS,
            "tok-b",
            json!({
                "state": 2, "name": "ci", "use_count": 3,
                "expiration_time": "2030-01-02T03:04:05.250Z",
                "warnings": [
                    {"machine": "m1", "message": "would lose its connection"},
                    {"machine": "machine-2", "message": "too"},
                ],
            }),
        ),
        wire(
            "default",
            "SiderolinkAPIConfigs.omni.sidero.dev",
            "siderolink-config",
            json!({"machine_api_advertised_url": "https://omni.example.org:8090/?grpc_tunnel=false"}),
        ),
    ]
}

fn tokens_rpc(method: &str, body: &Value) -> Option<Answer> {
    Some(match method {
        "/management.ManagementService/CreateJoinToken" => Ok(vec![json!({"id": "tok-new"})]),
        "/management.ManagementService/GetMachineJoinConfig" => Ok(vec![json!({
            "config": "apiVersion: v1alpha1\nkind: SideroLinkConfig",
            "kernel_args": ["siderolink.api=x?jointoken=".to_string() + body["join_token"].as_str().unwrap_or_default(), "talos.events.sink=[fdae::1]:8090"],
        })]),
        _ => return None,
    })
}

#[test]
fn jointoken_create_prints_the_id_with_an_expiry_only_for_a_positive_ttl() {
    // jointoken.go create, management.CreateJoinToken: expiration = now + ttl when ttl > 0
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&["jointoken", "create", "ci", "-t", "1h30m"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.stdout(), "tok-new\n");
    assert_eq!(
        bodies(&h, "/CreateJoinToken"),
        vec![json!({"name": "ci", "expiration_time": "2026-01-01T01:30:00+00:00"})]
    );
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "c", "ci"]), 0, "{}", h.stderr());
    assert_eq!(bodies(&h, "/CreateJoinToken"), vec![json!({"name": "ci"})]);
    // a Go duration, with pflag's wording of a bad one, before any call
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "create", "ci", "--ttl", "1d"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: invalid argument \"1d\" for \"-t, --ttl\" flag: time: unknown unit \"d\" in duration \"1d\"\n"
    );
    assert!(h.calls.borrow().is_empty());
}

#[test]
fn jointoken_list_prints_go_times_never_and_the_default_mark() {
    // jointoken.go list: ExpirationTime.AsTime().String(), "never", "*" for the default
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "l"]), 0, "{}", h.stderr());
    assert_eq!(
        h.stdout(),
        "ID      NAME   STATE     EXPIRATION                         USE COUNT   DEFAULT\n\
         tok-a          ACTIVE    never                              1           *\n\
         tok-b   ci     REVOKED   2030-01-02 03:04:05.25 +0000 UTC   3           \n"
    );
}

#[test]
fn jointoken_revoke_warns_about_dependent_machines_and_asks() {
    // jointoken.go checkTokenWarnings/askConfirmation: the warning on stderr, the table and
    // the question on stdout, "y" goes on, anything else aborts
    let h = omni(tokens(), tokens_rpc);
    h.answers.borrow_mut().push_back("n".into());
    assert_eq!(h.run(&["jt", "revoke", "tok-b"]), 1);
    // stdout is a terminal here (the host has answers): the warning is yellow
    assert_eq!(
        h.stderr(),
        "\x1b[33mWARNING: 2 of 3 machines won't be able to connect if the token is revoked/deleted\n\x1b[0mError: operation was aborted\n"
    );
    assert_eq!(
        h.stdout(),
        "MACHINE     DETAILS\n\
         m1          would lose its connection\n\
         machine-2   too\n\
         Do you still want to revoke the token? [y/N]: "
    );
    assert!(bodies(&h, "/Update").is_empty());

    let h = omni(tokens(), tokens_rpc);
    h.answers.borrow_mut().push_back(" Y ".into());
    assert_eq!(h.run(&["jt", "r", "tok-b"]), 0, "{}", h.stderr());
    assert!(h.stdout().ends_with("[y/N]: token \"tok-b\" was revoked\n"));
    let updates = bodies(&h, "/Update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["new_resource"]["metadata"]["id"], "tok-b");
    assert_eq!(spec_of(&updates[0]["new_resource"])["revoked"], json!(true));

    // --force: no question; not a terminal: no colors; end of input is an error otherwise
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&["jt", "revoke", "tok-b", "--force"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stderr(),
        "WARNING: 2 of 3 machines won't be able to connect if the token is revoked/deleted\n"
    );
    assert!(!h.stdout().contains("[y/N]"), "{}", h.stdout());
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "revoke", "tok-b"]), 1);
    assert!(h.stderr().ends_with("Error: EOF\n"), "{}", h.stderr());

    // no warnings: no question at all
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "revoke", "tok-a"]), 0);
    assert_eq!(h.stdout(), "token \"tok-a\" was revoked\n");
    assert_eq!(h.stderr(), "");
}

#[test]
fn jointoken_unrevoke_make_default_and_delete() {
    // jointoken.go unrevoke, make-default, delete (TeardownAndDestroy)
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "ur", "tok-b"]), 0);
    assert_eq!(h.run(&["jt", "md", "tok-b"]), 0);
    assert_eq!(h.run(&["jt", "d", "tok-b", "-f"]), 0, "{}", h.stderr());
    // with --force the dependent machines are still listed, only the question is skipped
    assert_eq!(
        h.stdout(),
        "token \"tok-b\" was unrevoked\ntoken \"tok-b\" is now default\n\
         MACHINE     DETAILS\n\
         m1          would lose its connection\n\
         machine-2   too\n\
         deleted join token: tok-b\n"
    );
    let updates = bodies(&h, "/Update");
    assert_eq!(spec_of(&updates[0]["new_resource"])["revoked"], json!(null));
    assert_eq!(
        updates[1]["new_resource"]["metadata"]["type"],
        "DefaultJoinTokens.omni.sidero.dev"
    );
    assert_eq!(
        spec_of(&updates[1]["new_resource"])["token_id"],
        json!("tok-b")
    );
    assert_eq!(
        bodies(&h, "/TeardownAndDestroy"),
        vec![json!({"namespace": "default", "type": TOKEN, "id": "tok-b", "options": {}})]
    );
}

#[test]
fn jointoken_renew_needs_a_nonzero_ttl_and_prints_it_as_go_does() {
    // jointoken.go renew: MarkFlagRequired("ttl"), "ttl should be greater than 0"
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "renew", "tok-a"]), 1);
    assert!(h.stderr().contains("--ttl"), "{}", h.stderr());
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "renew", "tok-a", "-t", "0"]), 1);
    assert_eq!(h.stderr(), "Error: ttl should be greater than 0\n");
    assert!(h.calls.borrow().is_empty());
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&["jt", "renew", "tok-a", "--ttl", "90m"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "token \"tok-a\" was renewed, new ttl is 1h30m0s\n"
    );
    let updates = bodies(&h, "/Update");
    assert!(spec_of(&updates[0]["new_resource"])["expiration_time"].is_string());
}

#[test]
fn jointoken_machine_config_kernel_args_and_omni_endpoint_select_the_token() {
    // jointoken.go getJoinToken: --token-id (must exist), --token-name ("initial" = unnamed),
    // else the default token; the two flags are mutually exclusive
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&[
            "jt",
            "kernel-args",
            "--token-name",
            "ci",
            "--use-grpc-tunnel"
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "siderolink.api=x?jointoken=tok-b talos.events.sink=[fdae::1]:8090\n"
    );
    assert_eq!(
        bodies(&h, "/GetMachineJoinConfig"),
        vec![json!({"use_grpc_tunnel": true, "join_token": "tok-b"})]
    );
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "mc"]), 0, "{}", h.stderr());
    assert_eq!(h.stdout(), "apiVersion: v1alpha1\nkind: SideroLinkConfig\n");
    assert_eq!(
        bodies(&h, "/GetMachineJoinConfig"),
        vec![json!({"join_token": "tok-a"})]
    );
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&["jt", "oe", "--token-name", "initial"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "https://omni.example.org:8090/?grpc_tunnel=false&jointoken=tok-a\n"
    );
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "machine-config", "--token-id", "nope"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: join token with ID \"nope\" was not found\n"
    );
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(
        h.run(&["jt", "ka", "--token-id", "a", "--token-name", "b"]),
        1
    );
    assert!(h.calls.borrow().is_empty());
    // cobra.NoArgs
    let h = omni(tokens(), tokens_rpc);
    assert_eq!(h.run(&["jt", "machine-config", "tok-a"]), 1);
    assert!(h.calls.borrow().is_empty());
}

// ---- machine-logs.go, logformat/ ------------------------------------------------------------

fn logs_rpc(method: &str, body: &Value) -> Option<Answer> {
    if method != "/management.ManagementService/MachineLogs" {
        return None;
    }
    if body["machine_id"] == "missing" {
        return Some(Err(Error::status(Code::NotFound, "machine not found")));
    }
    let line = |clock: i64, msg: &str| {
        json!({"bytes": b64(format!(
            r#"{{"clock":{clock},"facility":"kern","msg":"{msg}","priority":"info","seq":1,"talos-level":"info","talos-time":"2024-05-06T07:08:09.123Z"}}"#
        ).as_bytes())})
    };
    Some(Ok(vec![
        line(47_000_001, "one"),
        json!({"bytes": b64(b" ")}),
        line(48_000_002, "two\\nmore"),
    ]))
}

#[test]
fn machine_logs_copies_the_raw_lines_to_stdout() {
    // machine-logs.go / logformat/raw.go: every message and a newline; --tail -1 = everything
    let h = omni(vec![], logs_rpc);
    assert_eq!(h.run(&["machine-logs", "m1"]), 0, "{}", h.stderr());
    let out = h.stdout();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.starts_with("{\"clock\":47000001,"), "{out}");
    assert!(out.contains("\n \n"), "{out}");
    assert_eq!(
        bodies(&h, "/MachineLogs"),
        vec![json!({"machine_id": "m1", "tail_lines": -1})]
    );
}

#[test]
fn machine_logs_dmesg_and_omni_formats_follow_and_tail() {
    // logformat/dmesg.go: "[%5d.%06d] facility: msg", further lines without the facility;
    // blank messages are skipped by the JSON decoder
    let h = omni(vec![], logs_rpc);
    assert_eq!(
        h.run(&["logs", "m1", "-f", "--tail", "3", "--log-format", "dmesg"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "[   47.000001] kern: one\n[   48.000002] kern: two\n[   48.000002] more\n"
    );
    assert_eq!(
        bodies(&h, "/MachineLogs"),
        vec![json!({"machine_id": "m1", "follow": true, "tail_lines": 3})]
    );
    // logformat/omni.go (zap console style)
    let h = omni(vec![], logs_rpc);
    assert_eq!(
        h.run(&["l", "m1", "--log-format=omni"]),
        0,
        "{}",
        h.stderr()
    );
    assert!(
        h.stdout()
            .starts_with("2024-05-06T07:08:09.123Z\tINFO\tone\t{\"clock\": 47000001, "),
        "{}",
        h.stdout()
    );
    // any other format is raw, as upstream's switch default
    let h = omni(vec![], logs_rpc);
    assert_eq!(h.run(&["l", "m1", "--log-format", "json"]), 0);
    assert!(h.stdout().starts_with("{\"clock\""), "{}", h.stdout());
}

#[test]
fn machine_logs_errors_name_the_machine() {
    // machine-logs.go: "failed to print logs for '<id>': <error>"
    let h = omni(vec![], logs_rpc);
    assert_eq!(h.run(&["machine-logs", "missing"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: failed to print logs for 'missing': NOT_FOUND: machine not found\n"
    );
    // cobra.ExactArgs(1)
    let h = omni(vec![], logs_rpc);
    assert_eq!(h.run(&["machine-logs"]), 1);
    assert!(h.calls.borrow().is_empty());
}

// ---- audit-log.go ---------------------------------------------------------------------------

fn audit_rpc(method: &str, _body: &Value) -> Option<Answer> {
    (method == "/management.ManagementService/ReadAuditLog").then(|| {
        Ok(vec![
            json!({"audit_log": b64(b"{\"event_type\":\"create\"}\n")}),
            json!({"audit_log": b64(b"{\"event_type\":\"update\"}\n")}),
        ])
    })
}

#[test]
fn audit_log_sends_the_range_and_filters_and_copies_the_records() {
    // audit-log.go: start/end arguments, the filter flags, the enum flags' values
    let h = omni(vec![], audit_rpc);
    assert_eq!(
        h.run(&[
            "audit-log",
            "2026-01-01",
            "2026-01-02",
            "--search",
            "prod",
            "--event-type",
            "k8s_access",
            "--order-by-field=event_ts_ms",
            "--order-by-dir",
            "desc",
            "--resource-type",
            "Clusters.omni.sidero.dev",
            "--resource-id",
            "c1",
            "--cluster-id",
            "c1",
            "--actor",
            "a@x",
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "{\"event_type\":\"create\"}\n{\"event_type\":\"update\"}\n"
    );
    assert_eq!(
        bodies(&h, "/ReadAuditLog"),
        vec![json!({
            "start_time": "2026-01-01", "end_time": "2026-01-02", "search": "prod",
            // K8S_ACCESS, DATE, DESC
            "event_type": 7, "order_by_field": 1, "order_by_dir": 2,
            "resource_type": "Clusters.omni.sidero.dev", "resource_id": "c1",
            "cluster_id": "c1", "actor": "a@x",
        })]
    );
}

#[test]
fn audit_log_since_is_a_go_duration_before_now() {
    // audit-log.go: --since → start_ts_ms = now - since; not with a start argument; not < 0
    let h = omni(vec![], audit_rpc);
    assert_eq!(
        h.run(&["audit-log", "--since", "1h30m"]),
        0,
        "{}",
        h.stderr()
    );
    let want = (NOW * 1000 - 5_400_000).to_string();
    assert_eq!(
        bodies(&h, "/ReadAuditLog"),
        vec![json!({"start_ts_ms": want})]
    );
    for (args, msg) in [
        (
            vec!["audit-log", "2026-01-01", "--since", "2h"],
            "Error: --since cannot be combined with the start argument\n",
        ),
        (
            vec!["audit-log", "--since=-2h"],
            "Error: --since must be positive\n",
        ),
        (
            vec!["audit-log", "--event-type", "read"],
            "Error: invalid argument \"read\" for \"--event-type\" flag: must be one of: audit_log_access, create, destroy, k8s_access, talos_access, teardown, update, update_with_conflicts\n",
        ),
        (
            vec!["audit-log", "--order-by-dir", "up"],
            "Error: invalid argument \"up\" for \"--order-by-dir\" flag: must be one of: asc, desc\n",
        ),
    ] {
        let h = omni(vec![], audit_rpc);
        assert_eq!(h.run(&args), 1, "{args:?}");
        assert_eq!(h.stderr(), msg);
        assert!(h.calls.borrow().is_empty());
    }
    // cobra.MaximumNArgs(2)
    let h = omni(vec![], audit_rpc);
    assert_eq!(h.run(&["audit-log", "a", "b", "c"]), 1);
    assert!(h.calls.borrow().is_empty());
}

#[test]
fn audit_log_follow_sets_follow_and_skips_the_acknowledgement() {
    // audit-log.go -f → FollowAuditLog: the event-less acknowledgement prints nothing
    let h = omni(vec![], |method, body| {
        (method == "/management.ManagementService/ReadAuditLog").then(|| {
            if body.get("from_id").is_some() {
                // the reconnect: end the command
                return Err(Error::status(Code::PermissionDenied, "stop"));
            }
            Ok(vec![
                json!({"id": "7"}),
                json!({"audit_log": b64(b"{\"n\":7}\n"), "id": "7"}),
            ])
        })
    });
    assert_eq!(h.run(&["audit-log", "-f"]), 1);
    assert_eq!(h.stdout(), "{\"n\":7}\n");
    let calls = bodies(&h, "/ReadAuditLog");
    assert_eq!(calls[0], json!({"follow": true}));
    assert_eq!(calls[1], json!({"follow": true, "from_id": "8"}));
}

// ---- support.go -----------------------------------------------------------------------------

const ZIP: &[u8] = b"PK\x03\x04 bundle \xff\x00";

fn support_rpc(method: &str, body: &Value) -> Option<Answer> {
    (method == "/management.ManagementService/GetSupportBundle").then(|| {
        let mut out = vec![];
        if body["encrypt"] == json!(true) {
            let mut r = vec!["age1sidero".to_string()];
            r.extend(
                body["encryption_recipients"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().unwrap().to_string()),
            );
            out.push(json!({"encryption_recipients": r}));
        }
        out.push(
            json!({"progress": {"source": "omni", "state": "collecting", "total": 2, "value": 1}}),
        );
        out.push(
            json!({"progress": {"source": "m1", "state": "dmesg", "total": 2, "value": 1,
            "error": "timeout\n  while reading dmesg "}}),
        );
        out.push(json!({"progress": {"source": "omni", "state": "done", "total": 2, "value": 2}}));
        out.push(json!({"bundle_data": b64(ZIP)}));
        Ok(out)
    })
}

#[test]
fn support_writes_the_bundle_and_reports_errors_and_recipients_on_stderr() {
    // support.go: default output support.zip.age; errors table (padding 3, an empty first
    // column, further lines of an error under its first); the recipients; nothing on stdout
    let h = omni(vec![], support_rpc);
    assert_eq!(
        h.run(&[
            "support",
            "-c",
            "prod",
            "--encryption-recipients",
            "age1me",
            "--encryption-recipients",
            "ssh-ed25519 AAAA",
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.binary.borrow()["support.zip.age"], ZIP);
    assert_eq!(h.stdout(), "");
    assert_eq!(
        h.stderr(),
        "Processed with errors:\n\
         \x20  SOURCE   ERROR\n\
         \x20  m1       timeout\n\
         \x20           while reading dmesg\n\
         Support bundle encrypted to the following recipients:\n\
         \x20 - age1sidero\n\
         \x20 - age1me\n\
         \x20 - ssh-ed25519 AAAA\n"
    );
    assert_eq!(
        bodies(&h, "/GetSupportBundle"),
        vec![json!({"cluster": "prod", "encrypt": true,
                    "encryption_recipients": ["age1me", "ssh-ed25519 AAAA"]})]
    );
}

#[test]
fn support_without_encryption_writes_the_zip_as_it_came() {
    // support.go --no-encryption: support.zip, or -O
    let h = omni(vec![], support_rpc);
    assert_eq!(
        h.run(&["support", "--cluster", "prod", "--no-encryption"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.binary.borrow()["support.zip"], ZIP);
    assert!(!h.stderr().contains("recipients"), "{}", h.stderr());
    assert_eq!(
        bodies(&h, "/GetSupportBundle"),
        vec![json!({"cluster": "prod"})]
    );
    let h = omni(vec![], support_rpc);
    assert_eq!(
        h.run(&[
            "support",
            "-c",
            "prod",
            "--no-encryption",
            "-O",
            "/tmp/b.zip"
        ]),
        0
    );
    assert_eq!(h.binary.borrow()["/tmp/b.zip"], ZIP);
}

#[test]
fn support_refuses_flag_combinations_before_connecting() {
    // support.go: the encryption flags with --no-encryption; EncryptionOptions.Validate;
    // --cluster is required; cobra.NoArgs
    for (args, msg) in [
        (
            vec!["support", "-c", "p", "--no-encryption", "--encryption-recipients", "age1x"],
            Some("Error: --encryption-recipients and --encryption-no-default-recipients cannot be used with --no-encryption\n"),
        ),
        (
            vec!["support", "-c", "p", "--no-encryption", "--encryption-no-default-recipients"],
            Some("Error: --encryption-recipients and --encryption-no-default-recipients cannot be used with --no-encryption\n"),
        ),
        (
            vec!["support", "-c", "p", "--encryption-no-default-recipients"],
            Some("Error: no recipients to encrypt to: default recipients are disabled but no recipients were provided\n"),
        ),
        (vec!["support"], None),
        (vec!["support", "-c", "p", "out.zip"], None),
    ] {
        let h = omni(vec![], support_rpc);
        assert_eq!(h.run(&args), 1, "{args:?}");
        if let Some(msg) = msg {
            assert_eq!(h.stderr(), msg);
        }
        assert!(h.calls.borrow().is_empty(), "{args:?}");
    }
}

#[test]
fn support_asks_before_overwriting_and_refuses_an_unencrypted_answer() {
    // support.go openArchive: "<file> already exists, overwrite? [y/N]: " on stdout
    let h = omni(vec![], support_rpc);
    h.file("support.zip.age", "old");
    h.answers.borrow_mut().push_back("no".into());
    assert_eq!(h.run(&["support", "-c", "prod"]), 1);
    assert_eq!(
        h.stdout(),
        "support.zip.age already exists, overwrite? [y/N]: "
    );
    assert!(h.stderr().ends_with("Error: operation was aborted\n"));
    assert!(!h.binary.borrow().contains_key("support.zip.age"));
    let h = omni(vec![], support_rpc);
    h.file("support.zip.age", "old");
    h.answers.borrow_mut().push_back("y".into());
    assert_eq!(h.run(&["support", "-c", "prod"]), 0);
    assert_eq!(h.binary.borrow()["support.zip.age"], ZIP);
    // a server that does not encrypt: nothing written as if it were encrypted
    let h = omni(vec![], |method, _| {
        (method == "/management.ManagementService/GetSupportBundle")
            .then(|| Ok(vec![json!({"bundle_data": b64(ZIP)})]))
    });
    assert_eq!(h.run(&["support", "-c", "prod"]), 1);
    assert!(h.stderr().contains("--no-encryption"), "{}", h.stderr());
    assert!(h.binary.borrow().is_empty());
}

#[test]
fn support_verbose_draws_progress_bars_on_stdout() {
    // support.go showProgress (uiprogress: elapsed, a 20-wide bar, percent, "source: state"),
    // redrawn in place
    let h = omni(vec![], support_rpc);
    assert_eq!(
        h.run(&["support", "-c", "prod", "--no-encryption", "-v"]),
        0,
        "{}",
        h.stderr()
    );
    let up = "\x1b[1A\x1b[2K";
    assert_eq!(
        h.stdout(),
        format!(
            "   0s [========>---------]  50% omni: collecting\n\
             {up}   0s [========>---------]  50% omni: collecting\n   0s [========>---------]  50% m1: dmesg\n\
             {up}{up}   0s [==================] 100% omni: done\n   0s [========>---------]  50% m1: dmesg\n"
        )
    );
}

// ---- infraprovider.go -----------------------------------------------------------------------

fn infra_rpc(method: &str, _body: &Value) -> Option<Answer> {
    Some(match method {
        "/management.ManagementService/CreateServiceAccount" => {
            Ok(vec![json!({"public_key_id": "k1"})])
        }
        "/management.ManagementService/RenewServiceAccount" => {
            Ok(vec![json!({"public_key_id": "k2"})])
        }
        _ => return None,
    })
}

#[test]
fn infraprovider_create_makes_the_provider_and_its_account_and_prints_it_all_on_stdout() {
    // infraprovider.go create: the InfraProvider resource, then the service account
    // "infra-provider:<name>" with role InfraProvider; every line on stdout
    let h = omni(vec![], infra_rpc);
    assert_eq!(
        h.run(&["infraprovider", "create", "aws"]),
        0,
        "{}",
        h.stderr()
    );
    let out = h.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Your infra provider \"aws\" is ready to use");
    assert_eq!(
        lines[1],
        "Created infra provider service account \"infra-provider:aws\" with public key ID \"k1\""
    );
    assert_eq!(lines[2], "");
    assert_eq!(
        lines[3],
        "Set the following environment variables to use the service account:"
    );
    assert_eq!(lines[4], "OMNI_ENDPOINT=https://omni.example.org");
    assert!(lines[5].starts_with("OMNI_SERVICE_ACCOUNT_KEY="));
    assert_eq!(
        &lines[6..],
        [
            "",
            "Note: Store the service account key securely, it will not be displayed again",
            "Please use the endpoint and the service account key to set up the infra provider"
        ]
    );
    assert_eq!(h.stderr(), "");
    let created = bodies(&h, "/Create");
    assert_eq!(
        created[0]["resource"]["metadata"]["namespace"],
        "infra-provider"
    );
    assert_eq!(
        created[0]["resource"]["metadata"]["type"],
        "InfraProviders.omni.sidero.dev"
    );
    assert_eq!(created[0]["resource"]["metadata"]["id"], "aws");
    let sa = bodies(&h, "/CreateServiceAccount");
    assert_eq!(sa[0]["name"], "infra-provider:aws");
    assert_eq!(sa[0]["role"], "InfraProvider");
    assert!(sa[0].get("use_user_role").is_none());
}

#[test]
fn infraprovider_renewkey_list_and_delete() {
    // infraprovider.go renewkey, list (tabwriter padding 4, %t), delete (NotFound is fine)
    let h = omni(
        vec![
            wire(
                "ephemeral",
                "InfraProviderCombinedStatuses.omni.sidero.dev",
                "aws",
                json!({"name": "AWS", "version": "v1.2", "description": "EC2",
                       "health": {"connected": true}}),
            ),
            wire(
                "ephemeral",
                "InfraProviderCombinedStatuses.omni.sidero.dev",
                "bm",
                json!({"name": "Bare metal", "health": {"error": "no heartbeat"}}),
            ),
        ],
        infra_rpc,
    );
    assert_eq!(h.run(&["ip", "r", "aws", "-t", "24h"]), 0);
    assert!(h.stdout().starts_with(
        "Renewed service account \"infra-provider:aws\" by adding a public key with ID \"k2\"\n\nSet the following"
    ));
    assert_eq!(
        bodies(&h, "/RenewServiceAccount")[0]["name"],
        "infra-provider:aws"
    );
    let h2 = omni(
        vec![
            wire(
                "ephemeral",
                "InfraProviderCombinedStatuses.omni.sidero.dev",
                "aws",
                json!({"name": "AWS", "version": "v1.2", "description": "EC2",
                       "health": {"connected": true}}),
            ),
            wire(
                "ephemeral",
                "InfraProviderCombinedStatuses.omni.sidero.dev",
                "bm",
                json!({"name": "Bare metal", "health": {"error": "no heartbeat"}}),
            ),
        ],
        infra_rpc,
    );
    assert_eq!(h2.run(&["ip", "list"]), 0, "{}", h2.stderr());
    assert_eq!(
        h2.stdout(),
        "ID     NAME          VERSION    DESCRIPTION    CONNECTED    ERROR\n\
         aws    AWS           v1.2       EC2            true         \n\
         bm     Bare metal                              false        no heartbeat\n"
    );
    let h = omni(vec![], infra_rpc);
    assert_eq!(h.run(&["ip", "d", "gone"]), 0, "{}", h.stderr());
    assert_eq!(h.stdout(), "deleted infra provider: gone\n");
    assert_eq!(
        bodies(&h, "/TeardownAndDestroy"),
        vec![
            json!({"namespace": "infra-provider", "type": "InfraProviders.omni.sidero.dev",
                    "id": "gone", "options": {}})
        ]
    );
}

// ---- root.go: which commands the Rust CLI runs ----------------------------------------------

#[test]
fn the_ported_commands_are_no_longer_legacy() {
    for cmd in [
        "user",
        "u",
        "users",
        "jointoken",
        "jt",
        "machine-logs",
        "l",
        "logs",
        "audit-log",
        "support",
        "infraprovider",
        "ip",
        "media",
        "im",
        "installation-media",
        "download",
    ] {
        let h = TestHost::new();
        assert_eq!(h.run(&[cmd, "--help"]), 0, "{cmd}");
        assert!(!h.stdout().is_empty(), "{cmd}");
    }
}

// ---- installationmedia/*.go, internal/download/download.go, download.go ---------------------

const PRESET: &str = "InstallationMediaConfigs.omni.sidero.dev";

fn media_state() -> Vec<Value> {
    vec![
        wire(
            "default",
            "FeaturesConfigs.omni.sidero.dev",
            "features-config",
            json!({"image_factory_base_url": "https://factory.example/",
                   "image_factory_pxe_base_url": "https://pxe.example"}),
        ),
        wire(
            "default",
            "ImageFactoryAuths.omni.sidero.dev",
            "https://factory.example",
            json!({"username": "u", "password": "p"}),
        ),
        wire(
            "default",
            "TalosExtensions.omni.sidero.dev",
            "1.9.0",
            json!({"items": [{"name": "siderolabs/qemu-guest-agent"}, {"name": "siderolabs/intel-ucode"}]}),
        ),
        wire(
            "default",
            "TalosExtensions.omni.sidero.dev",
            "1.13.8",
            json!({"items": [{"name": "siderolabs/intel-ucode"}]}),
        ),
        wire(
            "default",
            "TalosVersions.omni.sidero.dev",
            "1.9.0",
            json!({"version": "1.9.0", "image_factory_url": "https://factory.example"}),
        ),
        wire(
            "default",
            "TalosVersions.omni.sidero.dev",
            "1.13.8",
            json!({"version": "1.13.8", "image_factory_url": "https://factory.example"}),
        ),
        wire(
            "virtual",
            "Quirks.omni.sidero.dev",
            "1.13.8",
            json!({"supports_embedded_config": true}),
        ),
        wire(
            "virtual",
            "CloudPlatformConfigs.omni.sidero.dev",
            "aws",
            json!({"architectures": [1], "min_version": "1.8.0", "disk_image_suffix": "raw.xz"}),
        ),
        wire(
            "virtual",
            "SBCConfigs.omni.sidero.dev",
            "rpi_generic",
            json!({"overlay_name": "rpi_generic", "overlay_image": "siderolabs/sbc-raspberrypi",
                   "min_version": "1.7.0"}),
        ),
        wire(
            "default",
            "DefaultJoinTokens.omni.sidero.dev",
            "default",
            json!({"token_id": "tok-a"}),
        ),
        wire("default", TOKEN_STATUS, "tok-a", json!({"state": 1})),
        wire("default", TOKEN_STATUS, "tok-r", json!({"state": 2})),
        wire(
            "default",
            PRESET,
            "metal",
            json!({"architecture": 1, "talos_version": "1.9.0",
                   "install_extensions": ["siderolabs/intel-ucode"], "kernel_args": "a=1 b",
                   "machine_labels": {"env": "prod", "gpu": ""}, "grpc_tunnel": 1,
                   "bootloader": 3, "image_factory_url": "https://factory.example"}),
        ),
        wire(
            "default",
            PRESET,
            "rpi",
            json!({"architecture": 2, "sbc": {"overlay": "rpi_generic", "overlay_options": "x: 1"},
                   "secure_boot": true, "embedded_machine_config": "kind: X"}),
        ),
        wire(
            "default",
            PRESET,
            "aws",
            json!({"architecture": 1, "cloud": {"platform": "aws"}}),
        ),
        wire(
            "ephemeral",
            "InstallationMedias.omni.sidero.dev",
            "iso-amd64",
            json!({"name": "ISO (amd64)", "architecture": "amd64", "profile": "metal",
                   "dest_file_prefix": "talos", "extension": "iso"}),
        ),
        wire(
            "ephemeral",
            "InstallationMedias.omni.sidero.dev",
            "iso-amd64-sb",
            json!({"name": "ISO SecureBoot (amd64)", "architecture": "amd64", "profile": "metal",
                   "dest_file_prefix": "talos", "extension": "iso"}),
        ),
        wire(
            "ephemeral",
            "InstallationMedias.omni.sidero.dev",
            "iso-arm64",
            json!({"name": "ISO (arm64)", "architecture": "arm64", "profile": "metal",
                   "dest_file_prefix": "talos", "extension": "iso"}),
        ),
        wire(
            "ephemeral",
            "InstallationMedias.omni.sidero.dev",
            "rpi",
            json!({"name": "Raspberry Pi", "architecture": "arm64", "profile": "rpi_generic",
                   "overlay": "rpi_generic", "dest_file_prefix": "rpi", "extension": "raw.xz",
                   "no_secure_boot": true, "min_talos_version": "1.7.0"}),
        ),
    ]
}

fn media_rpc(method: &str, _body: &Value) -> Option<Answer> {
    (method == "/management.ManagementService/CreateSchematic").then(|| {
        Ok(vec![
            json!({"schematic_id": "abcdef1234", "grpc_tunnel_enabled": true}),
        ])
    })
}

fn media() -> TestHost {
    omni(media_state(), media_rpc)
}

#[test]
fn media_preset_create_resolves_and_checks_everything_then_creates_the_preset() {
    // installationmedia/create.go: arch, join token (active), extensions by substring,
    // bootloader, labels, the factory of the Talos version, the gRPC tunnel tri-state
    let h = media();
    assert_eq!(
        h.run(&[
            "media",
            "preset",
            "create",
            "p1",
            "--talos-version",
            "v1.9.0",
            "--extensions",
            "qemu,ucode",
            "--extra-kernel-args",
            "x=1",
            "--extra-kernel-args",
            "y",
            "--initial-labels",
            "env=prod,gpu",
            "--join-token",
            "tok-a",
            "--bootloader",
            "UEFI",
            "--use-siderolink-grpc-tunnel=false",
            "--arch",
            "ARM64",
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.stdout(), "Created installation media preset \"p1\"\n");
    let created = bodies(&h, "/Create");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["resource"]["metadata"]["type"], PRESET);
    assert_eq!(created[0]["resource"]["metadata"]["id"], "p1");
    let spec = spec_of(&created[0]["resource"]);
    assert_eq!(spec["talos_version"], "1.9.0");
    assert_eq!(spec["architecture"], 2);
    assert_eq!(
        spec["install_extensions"],
        json!(["siderolabs/qemu-guest-agent", "siderolabs/intel-ucode"])
    );
    assert_eq!(spec["kernel_args"], "x=1 y");
    assert_eq!(spec["join_token"], "tok-a");
    assert_eq!(spec["bootloader"], 2, "uefi is BOOT_SD");
    assert_eq!(spec["grpc_tunnel"], 2, "given as false: DISABLED");
    assert_eq!(spec["image_factory_url"], "https://factory.example");
    assert_eq!(spec["machine_labels"], json!({"env": "prod", "gpu": ""}));
    assert!(spec.get("cloud").is_none() && spec.get("sbc").is_none());

    // no --join-token: the preset follows the default token; no --talos-version: checks use
    // omnictl's default version; the embedded config comes from stdin with "-"
    let mut h = media();
    h.stdin = "kind: Embedded\n".into();
    assert_eq!(
        h.run(&[
            "im",
            "preset",
            "create",
            "p2",
            "--embedded-machine-config-file",
            "-",
            "--overlay",
            "rpi_generic",
            "--overlay-options",
            "a: b"
        ]),
        0,
        "{}",
        h.stderr()
    );
    let spec = spec_of(&bodies(&h, "/Create")[0]["resource"]);
    assert!(spec.get("join_token").is_none_or(|t| t == ""), "{spec}");
    assert!(spec.get("talos_version").is_none_or(|t| t == ""), "{spec}");
    assert_eq!(spec["embedded_machine_config"], "kind: Embedded\n");
    assert_eq!(
        spec["sbc"],
        json!({"overlay": "rpi_generic", "overlay_options": "a: b"})
    );
    assert!(spec.get("grpc_tunnel").is_none_or(|t| t == 0), "{spec}");
    assert_eq!(spec["bootloader"].as_i64().unwrap_or(0), 0, "auto");
}

#[test]
fn media_preset_create_refuses_what_omnictl_refuses() {
    for (args, msg) in [
        (
            vec!["--platform", "aws", "--overlay", "rpi_generic"],
            "Error: --platform and --overlay cannot be used together; a preset can be for a cloud platform, an SBC overlay or Bare-metal\n",
        ),
        (
            vec!["--overlay-options", "a: b"],
            "Error: --overlay-options requires --overlay to be set\n",
        ),
        (
            vec!["--arch", "x86"],
            "Error: unsupported architecture \"x86\", must be amd64 or arm64\n",
        ),
        (
            vec!["--bootloader", "uefii"],
            "Error: unknown bootloader \"uefii\", must be one of: auto, uefi, bios, dual\n",
        ),
        (
            vec!["--join-token", "tok-r"],
            "Error: join token \"tok-r\" has been revoked\n",
        ),
        (
            vec!["--talos-version", "1.9.0", "--extensions", "nope"],
            "Error: failed to find extension with name \"nope\" for talos version \"1.9.0\"\n",
        ),
        (
            vec!["--platform", "aws", "--secureboot"],
            "Error: cloud platform \"aws\" does not support secure boot\n",
        ),
        (
            vec!["--platform", "aws", "--arch", "arm64"],
            "Error: cloud platform \"aws\" does not support architecture \"arm64\"\n",
        ),
        (
            vec!["--platform", "aws", "--talos-version", "1.7.4"],
            "Error: cloud platform \"aws\" requires Talos version >= 1.8.0 (got 1.7.4)\n",
        ),
        (
            vec!["--initial-labels", "a=b=c"],
            "Error: invalid label format \"a=b=c\", expected key=value\n",
        ),
        (
            vec!["--talos-version", "1.9.0", "--embedded-machine-config-file", "/nope"],
            "Error: failed to look up quirks for Talos version \"1.9.0\": NOT_FOUND: resource Quirks.omni.sidero.dev(1.9.0) doesn't exist\n",
        ),
    ] {
        let h = media();
        let mut all = vec!["media", "preset", "create", "p"];
        all.extend(args.iter().copied());
        assert_eq!(h.run(&all), 1, "{args:?}");
        assert_eq!(h.stderr(), msg, "{args:?}");
        assert!(bodies(&h, "/Create").is_empty());
    }
}

#[test]
fn media_preset_list_and_wide_and_delete() {
    // installationmedia/list.go: the default Talos version for an empty one, the type and
    // platform/overlay; -o wide adds the rest, "-" for empty values
    let h = media();
    assert_eq!(h.run(&["media", "preset", "ls"]), 0, "{}", h.stderr());
    assert_eq!(
        h.stdout(),
        "NAME    ARCH    TALOS VERSION   TYPE    PLATFORM/OVERLAY\n\
         metal   amd64   1.9.0           metal   -\n\
         rpi     arm64   1.13.8          sbc     rpi_generic\n\
         aws     amd64   1.13.8          cloud   aws\n"
    );
    let h = media();
    assert_eq!(h.run(&["media", "preset", "list", "-o", "wide"]), 0);
    assert_eq!(
        h.stdout(),
        "NAME    ARCH    TALOS VERSION   TYPE    PLATFORM/OVERLAY   SECURE BOOT   EXTENSIONS               LABELS         BOOTLOADER   GRPC TUNNEL   KERNEL ARGS   EMBEDDED CONFIG\n\
         metal   amd64   1.9.0           metal   -                  false         siderolabs/intel-ucode   env=prod gpu   bios         enabled       a=1 b         -\n\
         rpi     arm64   1.13.8          sbc     rpi_generic        true          -                        -              auto         auto          -             yes\n\
         aws     amd64   1.13.8          cloud   aws                false         -                        -              auto         auto          -             -\n"
    );
    let h = media();
    assert_eq!(h.run(&["media", "preset", "list", "-o", "json"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: invalid --output value \"json\", only \"wide\" is supported\n"
    );
    // installationmedia/delete.go: NotFound is success too
    let h = media();
    assert_eq!(h.run(&["media", "preset", "delete", "gone"]), 0);
    assert_eq!(h.stdout(), "Deleted installation media preset \"gone\"\n");
    assert_eq!(
        bodies(&h, "/TeardownAndDestroy"),
        vec![json!({"namespace": "default", "type": PRESET, "id": "gone", "options": {}})]
    );
}

#[test]
fn media_download_builds_the_schematic_from_the_preset_and_fetches_the_image() {
    // installationmedia/download.go runDownload + download.DownloadImageTo: the schematic,
    // the notices on stderr, the factory's credentials and the request signature, the file
    // named <preset>-<version>-<schematic[:6]><ext> in the output directory
    let h = media();
    assert_eq!(h.run(&["media", "download", "metal"]), 0, "{}", h.stderr());
    assert_eq!(
        bodies(&h, "/CreateSchematic"),
        vec![json!({
            "extensions": ["siderolabs/intel-ucode"],
            "extra_kernel_args": ["a=1", "b"],
            "meta_values": {"12": "machineLabels:\n    env: prod\n    gpu: \"\"\n"},
            "talos_version": "1.9.0",
            "siderolink_grpc_tunnel_mode": 2, // ENABLED, from the preset
            "join_token": "tok-a",
            "bootloader": 3,
            "image_factory_url": "https://factory.example",
        })]
    );
    assert_eq!(
        h.stderr(),
        "Using image factory at \"https://factory.example\"\n"
    );
    assert_eq!(
        h.stdout(),
        "Install Extension: siderolabs/intel-ucode\n\
         Generating the image...\n\
         Downloading to /work/metal-1.9.0-abcdef.iso\n\
         Downloaded to /work/metal-1.9.0-abcdef.iso\n"
    );
    let fetched = h.fetched.borrow();
    let (url, headers, path) = &fetched[0];
    assert_eq!(
        url,
        "https://factory.example/image/abcdef1234/1.9.0/metal-amd64.iso"
    );
    assert_eq!(path, "/work/metal-1.9.0-abcdef.iso");
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["authorization", "x-sidero-timestamp", "x-sidero-signature"]
    );
    assert_eq!(headers[0].1, "Basic dTpw");
    assert_eq!(headers[1].1, NOW.to_string());
    assert_eq!(h.binary.borrow()["/work/metal-1.9.0-abcdef.iso"], b"IMAGE");
}

#[test]
fn media_download_overrides_pxe_sbc_and_cloud_presets() {
    // flags override the preset; --format pxe prints the PXE URL (with the credentials)
    let h = media();
    assert_eq!(
        h.run(&[
            "media",
            "download",
            "metal",
            "--format",
            "pxe",
            "--talos-version",
            "1.13.8",
            "--extensions",
            "ucode",
            "--initial-labels",
            "a=1",
            "--extra-kernel-args",
            "k",
            "--join-token",
            "tok-a",
            "--use-siderolink-grpc-tunnel=false",
            "--secureboot",
        ]),
        0,
        "{}",
        h.stderr()
    );
    let req = &bodies(&h, "/CreateSchematic")[0];
    assert_eq!(req["talos_version"], "1.13.8");
    assert_eq!(req["extra_kernel_args"], json!(["k"]));
    assert_eq!(req["meta_values"]["12"], "machineLabels:\n    a: \"1\"\n");
    assert_eq!(req["siderolink_grpc_tunnel_mode"], 1, "DISABLED");
    assert_eq!(
        h.stdout(),
        "Install Extension: siderolabs/intel-ucode\n\
         https://u:p@pxe.example/pxe/abcdef1234/1.13.8/metal-amd64-secureboot\n"
    );
    assert_eq!(
        h.stderr(),
        "WARNING: requested setting \"--use-siderolink-grpc-tunnel\" is ignored because the server's SideroLink gRPC tunnel setting is enabled.\n\
         Using image factory at \"https://factory.example\"\n"
    );
    assert!(h.fetched.borrow().is_empty());

    // an SBC preset: the overlay from SBCConfig; secure boot is refused for overlays
    let h = media();
    assert_eq!(h.run(&["media", "download", "rpi"]), 1);
    assert!(
        h.stderr()
            .ends_with("Error: \"rpi\" doesn't support secure boot\n"),
        "{}",
        h.stderr()
    );
    let h = media();
    assert_eq!(
        h.run(&[
            "media",
            "download",
            "rpi",
            "--secureboot=false",
            "--output",
            "/out/img.raw.xz"
        ]),
        0,
        "{}",
        h.stderr()
    );
    let req = &bodies(&h, "/CreateSchematic")[0];
    assert_eq!(
        req["overlay"],
        json!({"image": "siderolabs/sbc-raspberrypi", "name": "rpi_generic", "options": "x: 1"})
    );
    assert_eq!(req["embedded_machine_config"], "kind: X");
    assert!(req.get("media_id").is_none());
    assert_eq!(
        h.stderr(),
        // the features' factory URL as it is written (only the credentials' lookup trims it)
        "Using server's SideroLink gRPC tunnel setting: true\nUsing image factory at \"https://factory.example/\"\n"
    );
    assert_eq!(
        h.fetched.borrow()[0].0,
        "https://factory.example/image/abcdef1234/1.13.8/metal-arm64.raw.xz"
    );
    assert_eq!(h.fetched.borrow()[0].2, "/out/img.raw.xz");

    // --format is for metal presets only
    let h = media();
    assert_eq!(h.run(&["media", "download", "aws", "--format", "raw"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: --format is only valid for metal presets; cloud presets follow their platform's image suffix and SBC presets always produce a raw disk image\n"
    );
    let h = media();
    assert_eq!(h.run(&["media", "download", "metal", "--format", "vhd"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: unsupported format \"vhd\", must be one of: iso, raw, qcow2, pxe\n"
    );
}

#[test]
fn media_download_reports_factory_errors_and_refuses_an_existing_file() {
    let h = media();
    h.http
        .borrow_mut()
        .push_back((401, b"no credentials".to_vec()));
    assert_eq!(h.run(&["media", "download", "metal"]), 1);
    assert!(
        h.stderr().ends_with(
            "Error: failed to download the installation media, error code: 401, message: no credentials\n"
        ),
        "{}",
        h.stderr()
    );
    assert!(!h.stdout().contains("Downloading to"), "{}", h.stdout());
    // download.MakePath: an output with an extension must not exist yet
    let h = media();
    h.file("/work/x.iso", "old");
    assert_eq!(
        h.run(&["media", "download", "metal", "--output", "x.iso"]),
        1
    );
    assert_eq!(
        h.stderr(),
        "Error: destination /work/x.iso already exists\n"
    );
    assert!(bodies(&h, "/CreateSchematic").is_empty());
    let h = media();
    assert_eq!(h.run(&["media", "download", "nope"]), 1);
    assert!(
        h.stderr()
            .starts_with("Error: failed to get installation media preset \"nope\": "),
        "{}",
        h.stderr()
    );
}

#[test]
fn deprecated_download_finds_the_media_and_uses_the_versions_factory() {
    // download.go: the deprecation notice (stderr), download.FindImage, the TalosVersion's
    // factory, the media id in the schematic request
    let h = media();
    assert_eq!(
        h.run(&[
            "download",
            "iso",
            "--arch",
            "arm64",
            "--talos-version",
            "1.9.0"
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stderr(),
        "Command \"download\" is deprecated, use 'omnictl media download <preset-name>' instead\n\
         Using server's SideroLink gRPC tunnel setting: true\n\
         Using image factory at \"https://factory.example\"\n"
    );
    assert_eq!(
        bodies(&h, "/CreateSchematic"),
        vec![json!({"talos_version": "1.9.0", "media_id": "iso-arm64",
                    "image_factory_url": "https://factory.example"})]
    );
    assert_eq!(h.fetched.borrow()[0].2, "/work/talos-1.9.0-abcdef.iso");
    // hidden from the help, as cobra hides deprecated commands
    let h = TestHost::new();
    assert_eq!(h.run(&["--help"]), 0);
    assert!(
        !h.stdout().contains("Download installer media"),
        "{}",
        h.stdout()
    );

    for (args, msg) in [
        (
            vec!["download", "nothing"],
            "Error: no image found for \"nothing\"\n",
        ),
        (
            vec!["download", "metal", "--arch", "riscv64"],
            "Error: no image found for \"metal\"\n",
        ),
        (
            vec!["download", "metal"],
            "Error: multiple images found:\n  iso-amd64\n  iso-amd64-sb\n",
        ),
        (
            vec!["download", "rpi_generic", "--talos-version", "1.6.0"],
            "Error: Raspberry Pi supports only Talos version >= 1.7.0\n",
        ),
        (
            vec![
                "download",
                "rpi_generic",
                "--talos-version",
                "1.9.0",
                "--secureboot",
            ],
            "Error: \"Raspberry Pi\" doesn't support secure boot\n",
        ),
        (
            vec![
                "download",
                "iso",
                "--arch",
                "arm64",
                "--talos-version",
                "1.10.0",
            ],
            "Error: version \"1.10.0\" is not known by this Omni instance\n",
        ),
    ] {
        let h = media();
        assert_eq!(h.run(&args), 1, "{args:?}");
        assert!(h.stderr().ends_with(msg), "{args:?}: {}", h.stderr());
    }
}
