//! The command line (`omni_wasm::cli`) on a host with files in memory and the in-memory
//! transport: stdout, stderr, exit codes and written files of omnictl's commands, each checked
//! against upstream's behaviour (files named per test, under `client/pkg/omnictl/`).
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_host;

use cli_host::TestHost;
use omni_wasm::{Code, Error};
use serde_json::{json, Value};

const CONFIG: &str = "/home/u/.talos/omni/config";

const TWO_CONTEXTS: &str = "contexts:
    default:
        url: https://a.example.org
        auth:
            siderov1:
                identity: a@example.org
    prod:
        url: https://b.example.org
context: default
";

// ---- config.go ------------------------------------------------------------------------------

#[test]
fn config_new_keeps_the_other_contexts_and_changes_only_the_selected_one() {
    // config.go `new`: config.Init(path, true) loads the existing file; only the selected
    // context's url and identity are set
    let h = TestHost::new();
    h.file(CONFIG, TWO_CONTEXTS);
    assert_eq!(
        h.run(&["config", "new", "--url", "https://c.example.org"]),
        0
    );
    let text = h.files.borrow()[CONFIG].clone();
    assert!(text.contains("prod:"), "{text}");
    assert!(text.contains("url: https://c.example.org"), "{text}");
    assert!(
        !text.contains("a@example.org"),
        "identity reset to the flag's empty default: {text}"
    );
}

#[test]
fn config_new_writes_to_its_path_argument() {
    let h = TestHost::new();
    h.file(CONFIG, TWO_CONTEXTS);
    assert_eq!(
        h.run(&[
            "config",
            "new",
            "/tmp/other",
            "--identity",
            "me@example.org"
        ]),
        0
    );
    assert_eq!(
        h.files.borrow()[CONFIG],
        TWO_CONTEXTS,
        "default file untouched"
    );
    let other = h.files.borrow()["/tmp/other"].clone();
    assert!(
        other.contains("grpc://127.0.0.1:8080") && other.contains("me@example.org"),
        "{other}"
    );
}

#[test]
fn config_url_identity_context_edit_in_place_and_need_the_file() {
    let h = TestHost::new();
    assert_eq!(h.run(&["config", "url", "https://x"]), 1);
    assert_eq!(
        h.stderr(),
        format!("Error: open {CONFIG}: no such file or directory\n")
    );
    h.file(CONFIG, TWO_CONTEXTS);
    assert_eq!(
        h.run(&["--context", "prod", "config", "url", "https://x"]),
        0
    );
    assert_eq!(
        h.run(&["config", "identity", "z@example.org", "--context=prod"]),
        0
    );
    assert_eq!(h.run(&["config", "use-context", "prod"]), 0);
    assert_eq!(h.run(&["config", "info"]), 0);
    assert_eq!(
        h.stdout(),
        "Current context: prod\nURL:             https://x\nIdentity:        z@example.org\n"
    );
    assert_eq!(h.run(&["config", "info", "--context", "nope"]), 1);
    assert!(
        h.stderr().ends_with("Error: context not found: nope\n"),
        "{}",
        h.stderr()
    );
}

#[test]
fn config_add_refuses_an_existing_name_and_contexts_prints_a_table() {
    let h = TestHost::new();
    h.file(CONFIG, TWO_CONTEXTS);
    assert_eq!(h.run(&["config", "add", "prod"]), 1);
    assert_eq!(h.stderr(), "Error: context prod already exists\n");
    assert_eq!(h.run(&["config", "add", "dev", "--url", "https://d"]), 0);
    assert_eq!(h.run(&["config", "get-contexts"]), 0);
    assert_eq!(
        h.stdout(),
        "CURRENT   NAME      URL\n\
         *         default   https://a.example.org\n\
         \x20         dev       https://d\n\
         \x20         prod      https://b.example.org\n"
    );
}

#[test]
fn config_merge_prints_renames_on_stdout() {
    let h = TestHost::new();
    h.file(CONFIG, TWO_CONTEXTS);
    h.file(
        "/tmp/in",
        "contexts:\n    prod:\n        url: https://p2\ncontext: prod\n",
    );
    assert_eq!(h.run(&["config", "merge", "/tmp/in"]), 0);
    assert_eq!(h.stdout(), "renamed omniconfig context prod -> prod-1\n");
    let text = h.files.borrow()[CONFIG].clone();
    assert!(
        text.contains("prod-1:") && text.contains("context: prod-1"),
        "{text}"
    );
}

#[test]
fn deprecated_omniconfig_location_is_copied_with_omnictls_info_line() {
    let h = TestHost::new();
    h.file("/home/u/.config/omni/config", TWO_CONTEXTS);
    assert_eq!(h.run(&["config", "info"]), 0);
    assert_eq!(h.files.borrow()[CONFIG], TWO_CONTEXTS);
    assert!(
        h.stderr().starts_with("INFO: Omni config was copied"),
        "{}",
        h.stderr()
    );
}

// ---- parsing (root.go, cobra/pflag) ---------------------------------------------------------

#[test]
fn help_lists_omnictls_commands_and_persistent_flags() {
    let h = TestHost::new();
    assert_eq!(h.run(&["--help"]), 0);
    let out = h.stdout();
    for word in [
        "get",
        "delete",
        "config",
        "apply",
        "kubeconfig",
        "talosconfig",
        "cluster",
        "serviceaccount",
        "--omniconfig",
        "--context",
        "--insecure-skip-tls-verify",
        "--siderov1-keys-dir",
    ] {
        assert!(out.contains(word), "{word} missing from:\n{out}");
    }
    let h = TestHost::new();
    assert_eq!(h.run(&["get", "--help"]), 0);
    assert!(h.stdout().contains("--id-match-regexp"), "{}", h.stdout());
}

#[test]
fn usage_errors_exit_1_with_an_error_line_and_touch_nothing() {
    let h = TestHost::new();
    assert_eq!(h.run(&["get"]), 1);
    assert!(h.stderr().starts_with("Error: "), "{}", h.stderr());
    let h = TestHost::new();
    assert_eq!(h.run(&["get", "clusters", "--nope"]), 1);
    assert!(h.stderr().contains("--nope"), "{}", h.stderr());
    // delete.go: MarkFlagsMutuallyExclusive("all", "selector")
    let h = TestHost::new();
    assert_eq!(h.run(&["delete", "clusters", "--all", "-l", "a=b"]), 1);
    assert!(h.calls.borrow().is_empty());
}

// ---- get.go, delete.go, resources/destroy.go ------------------------------------------------

fn cluster(id: &str) -> Value {
    json!({"resource": {
        "metadata": {"namespace": "default", "type": "Clusters.omni.sidero.dev", "id": id, "version": "3", "phase": "running"},
        "spec": {"proto_spec": "EgYxLjMyLjA=", "yaml_spec": "kubernetesversion: 1.32.0\n"}
    }})
}

fn server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    match method {
        "/cosi.resource.State/List" if body["type"] == "ResourceDefinitions.meta.cosi.dev" => {
            Ok(vec![])
        }
        "/cosi.resource.State/List" => Ok(vec![cluster("a"), cluster("b")]),
        "/cosi.resource.State/Get" => Ok(vec![cluster(body["id"].as_str().unwrap_or_default())]),
        "/cosi.resource.State/TeardownAndDestroy" if body["id"] == "gone" => {
            Err(Error::status(Code::NotFound, "gone"))
        }
        "/cosi.resource.State/TeardownAndDestroy" => Ok(vec![json!({})]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    }
}

#[test]
fn get_lists_as_a_table_on_stdout() {
    let h = TestHost::with_server(server);
    assert_eq!(h.run(&["get", "clusters"]), 0, "{}", h.stderr());
    let out = h.stdout();
    assert!(
        out.starts_with("NAMESPACE   TYPE      ID   VERSION"),
        "{out}"
    );
    assert!(out.contains("default     Cluster   a    3"), "{out}");
    assert!(out.contains("default     Cluster   b    3"), "{out}");
    assert_eq!(h.stderr(), "");
}

#[test]
fn get_one_as_yaml_and_json() {
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["g", "clusters", "a", "-o", "yaml"]),
        0,
        "{}",
        h.stderr()
    );
    assert!(
        h.stdout().contains("id: a") && h.stdout().contains("kubernetesversion: 1.32.0"),
        "{}",
        h.stdout()
    );
    let h = TestHost::with_server(server);
    assert_eq!(h.run(&["get", "clusters", "a", "--output=json"]), 0);
    assert!(h.stdout().contains("\"id\": \"a\""), "{}", h.stdout());
}

#[test]
fn get_refuses_bad_combinations_and_formats_before_any_call() {
    for (args, msg) in [
        (
            vec!["get", "clusters", "a", "-l", "x=y"],
            "Error: cannot specify both resource ID and selector\n",
        ),
        (
            vec!["get", "clusters", "a", "--id-match-regexp", "^a"],
            "Error: cannot specify both resource ID and ID regexp\n",
        ),
        (
            vec!["get", "clusters", "-o", "wide"],
            "Error: output format \"wide\" is not supported\n",
        ),
    ] {
        let h = TestHost::with_server(server);
        assert_eq!(h.run(&args), 1);
        assert_eq!(h.stderr(), msg);
        assert!(h.methods().is_empty(), "{:?}", h.methods());
    }
    // a template that does not parse is refused before any call, with upstream's prefix
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["get", "clusters", "-o", "jsonpath={.metadata.id"]),
        1
    );
    assert!(
        h.stderr().starts_with("Error: error parsing jsonpath: "),
        "{}",
        h.stderr()
    );
    assert!(h.methods().is_empty());
}

/// `-o jsonpath=…`: kubectl's templates over each resource as `-o json` shows it, every result
/// on its own line (upstream `client/pkg/omnictl/output/jsonpath.go`, `printResult`); a key the
/// template names that a resource lacks fails the command, as upstream (no missing keys allowed).
#[test]
fn get_jsonpath_prints_each_result_on_its_own_line() {
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["get", "clusters", "-o", "jsonpath={.metadata.id}"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.stdout(), "a\nb\n");
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&[
            "get",
            "clusters",
            "a",
            "-o",
            "jsonpath={.metadata.id}{\"=\"}{.spec.kubernetesversion}",
        ]),
        0
    );
    assert_eq!(h.stdout(), "a\n=\n1.32.0\n");
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["get", "clusters", "a", "-o", "jsonpath={.spec}"]),
        0
    );
    assert!(h.stdout().starts_with("{\n    \""), "{}", h.stdout());
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["get", "clusters", "-o", "jsonpath={.spec.nope}"]),
        1
    );
    assert_eq!(
        h.stderr(),
        "Error: error finding result for jsonpath: nope is not found\n"
    );
}

#[test]
fn delete_destroys_every_id_named_and_reports_on_stderr() {
    let h = TestHost::with_server(server);
    assert_eq!(
        h.run(&["delete", "clusters", "a", "gone", "c"]),
        0,
        "{}",
        h.stderr()
    );
    let ids: Vec<String> = h
        .calls
        .borrow()
        .iter()
        .filter(|(m, _)| m.ends_with("/TeardownAndDestroy"))
        .map(|(_, b)| b["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let err = h.stderr();
    assert!(
        err.contains("destroyed Clusters.omni.sidero.dev a\n"),
        "{err}"
    );
    assert!(
        err.contains("destroyed Clusters.omni.sidero.dev c\n"),
        "{err}"
    );
    assert!(!err.contains(" gone"), "{err}");
    assert_eq!(h.stdout(), "");
}

#[test]
fn delete_needs_ids_all_or_a_selector() {
    let h = TestHost::with_server(server);
    assert_eq!(h.run(&["delete", "clusters"]), 1);
    assert_eq!(
        h.stderr(),
        "Error: either resource ID or one of --all or --selector flags must be specified\n"
    );
    let h = TestHost::with_server(server);
    assert_eq!(h.run(&["delete", "clusters", "--all"]), 0, "{}", h.stderr());
    assert_eq!(h.stderr().lines().count(), 2, "{}", h.stderr());
    // --all=false is pflag's way of saying no
    let h = TestHost::with_server(server);
    assert_eq!(h.run(&["delete", "clusters", "--all=false"]), 1);
}

#[test]
fn without_credentials_the_error_says_what_to_set() {
    let h = TestHost::new();
    h.file(
        CONFIG,
        "contexts:\n    default:\n        url: https://a\ncontext: default\n",
    );
    assert_eq!(h.run(&["get", "clusters"]), 1);
    assert!(
        h.stderr().contains("OMNI_SERVICE_ACCOUNT_KEY"),
        "{}",
        h.stderr()
    );
}

// ---- kubeconfig.go, talosconfig.go ----------------------------------------------------------

fn kube(cluster: &str, server: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: {server}\n  name: {cluster}\ncontexts:\n- context:\n    cluster: {cluster}\n    user: {cluster}-u\n  name: {cluster}\ncurrent-context: {cluster}\nusers:\n- name: {cluster}-u\n  user:\n    token: t\n"
    )
}

const TALOS: &str = "context: prod\ncontexts:\n    prod:\n        endpoints:\n            - https://omni.example.org\n";

fn config_server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    match method {
        "/cosi.resource.State/Get" if body["id"] == "missing" => {
            Err(Error::status(Code::NotFound, "no"))
        }
        "/management.ManagementService/Kubeconfig" => Ok(vec![
            json!({"kubeconfig": b64(&kube("prod", "https://new"))}),
        ]),
        "/management.ManagementService/Talosconfig" => Ok(vec![json!({"talosconfig": b64(TALOS)})]),
        _ => server(method, body),
    }
}

#[test]
fn kubeconfig_merges_into_kubeconfig_or_home_kube_config_and_reports_renames_on_stdout() {
    let h = TestHost::with_server(config_server);
    h.file("/home/u/.kube/config", &kube("prod", "https://old"));
    assert_eq!(h.run(&["kubeconfig", "-c", "prod"]), 0, "{}", h.stderr());
    let text = h.files.borrow()["/home/u/.kube/config"].clone();
    assert!(
        text.contains("https://old") && text.contains("https://new"),
        "{text}"
    );
    assert!(
        h.stdout()
            .contains("renamed cluster \"prod\" -> \"prod-1\""),
        "{}",
        h.stdout()
    );
    // $KUBECONFIG names the file; two files are refused as go-kubeconfig's SinglePath does
    let mut h = TestHost::with_server(config_server);
    h.env.insert("KUBECONFIG".into(), "/k/a:/k/b".into());
    assert_eq!(h.run(&["kubeconfig", "-c", "prod"]), 1);
    assert_eq!(h.stderr(), "Error: multiple kubeconfig files defined\n");
}

#[test]
fn kubeconfig_without_merge_writes_to_the_working_directory_and_never_overwrites_unasked() {
    // kubeconfig.go: --merge=false without a path writes $PWD/kubeconfig, not ~/.kube/config
    let mut h = TestHost::with_server(config_server);
    h.dirs.push("/work".into());
    h.file("/home/u/.kube/config", "keep");
    assert_eq!(
        h.run(&["kubeconfig", "-c", "prod", "--merge=false"]),
        0,
        "{}",
        h.stderr()
    );
    assert!(h.files.borrow()["/work/kubeconfig"].contains("https://new"));
    assert_eq!(h.files.borrow()["/home/u/.kube/config"], "keep");
    // a second run refuses to overwrite without --force, before asking the server anything
    let before = h.calls.borrow().len();
    assert_eq!(h.run(&["kubeconfig", "-c", "prod", "--merge=false"]), 1);
    assert!(
        h.stderr().contains(
            "kubeconfig file already exists, use --force to overwrite: \"/work/kubeconfig\""
        ),
        "{}",
        h.stderr()
    );
    assert_eq!(h.calls.borrow().len(), before);
    // a directory argument stands for DIR/kubeconfig
    h.dirs.push("/out".into());
    assert_eq!(h.run(&["kubeconfig", "/out", "-c", "prod", "-m=false"]), 0);
    assert!(h.files.borrow().contains_key("/out/kubeconfig"));
}

#[test]
fn kubeconfig_checks_the_cluster_and_the_service_account_flags() {
    let h = TestHost::with_server(config_server);
    assert_eq!(h.run(&["kubeconfig", "-c", "missing", "/tmp/k"]), 1);
    assert_eq!(h.stderr(), "Error: cluster not found: \"missing\"\n");
    let h = TestHost::with_server(config_server);
    assert_eq!(
        h.run(&["kubeconfig", "-c", "prod", "--service-account", "/tmp/k"]),
        1
    );
    assert_eq!(
        h.stderr(),
        "Error: --user flag is required when --service-account is set to true\n"
    );
    assert!(h.methods().is_empty());
    // Go durations and omnictl's default group
    let h = TestHost::with_server(config_server);
    assert_eq!(
        h.run(&[
            "kubeconfig",
            "-c",
            "prod",
            "--service-account",
            "--user",
            "bot",
            "--ttl",
            "1h30m",
            "/tmp/k"
        ]),
        0,
        "{}",
        h.stderr()
    );
    let calls = h.calls.borrow();
    let (_, body) = calls
        .iter()
        .find(|(m, _)| m.ends_with("/Kubeconfig"))
        .unwrap();
    assert_eq!(body["service_account_ttl"], "5400s");
    assert_eq!(body["service_account_groups"], json!(["system:masters"]));
    drop(calls);
    let h = TestHost::with_server(config_server);
    assert_eq!(
        h.run(&[
            "kubeconfig",
            "-c",
            "prod",
            "--service-account",
            "--user",
            "b",
            "--ttl",
            "1d"
        ]),
        1
    );
    assert!(h.stderr().contains("unknown unit \"d\""), "{}", h.stderr());
}

#[test]
fn kubeconfig_on_a_terminal_asks_per_conflict() {
    let h = TestHost::with_server(config_server);
    h.file("/home/u/.kube/config", &kube("prod", "https://old"));
    // cluster: overwrite (after an answer that is not understood); user and context: rename
    for a in ["what", "o", "r", "rename"] {
        h.answers.borrow_mut().push_back(a.into());
    }
    assert_eq!(h.run(&["kubeconfig", "-c", "prod"]), 0, "{}", h.stderr());
    let out = h.stdout();
    assert_eq!(
        out.matches("cluster \"prod\" already exists [(r)ename/(o)verwrite]: ")
            .count(),
        2,
        "{out}"
    );
    let text = h.files.borrow()["/home/u/.kube/config"].clone();
    assert!(!text.contains("https://old"), "cluster overwritten: {text}");
}

#[test]
fn talosconfig_merges_into_home_talos_config_and_warns_about_an_unknown_cluster() {
    let h = TestHost::with_server(config_server);
    h.file("/home/u/.talos/config", TALOS);
    assert_eq!(
        h.run(&["talosconfig", "-c", "missing"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(h.stderr(), "warning: cluster \"missing\" does not exist\n");
    assert_eq!(
        h.stdout(),
        "renamed talosconfig context \"prod\" -> \"prod-1\"\n"
    );
    assert!(h.files.borrow()["/home/u/.talos/config"].contains("prod-1"));
    // without a file to merge into, the download is written as it came
    let h = TestHost::with_server(config_server);
    assert_eq!(h.run(&["talosconfig"]), 0, "{}", h.stderr());
    assert_eq!(h.files.borrow()["/home/u/.talos/config"], TALOS);
}

// ---- serviceaccount.go ----------------------------------------------------------------------

fn sa_server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    match method {
        "/management.ManagementService/CreateServiceAccount" => {
            Ok(vec![json!({"public_key_id": "abc123"})])
        }
        "/management.ManagementService/RenewServiceAccount" => {
            Ok(vec![json!({"public_key_id": "def456"})])
        }
        "/management.ManagementService/ListServiceAccounts" => {
            Ok(vec![json!({"service_accounts": [
                {"name": "bot", "role": "Reader", "last_active": "", "pgp_public_keys": [
                    {"id": "k1", "created": "2026-01-01T00:00:00.500Z", "expiration": "2027-01-01T00:00:00Z"},
                    {"id": "k2", "expiration": "2027-06-01T00:00:00Z", "last_used": "2026-02-01T10:00:00Z"}
                ]}
            ]})])
        }
        "/management.ManagementService/DestroyServiceAccount" if body["name"] == "nope" => {
            Err(Error::status(Code::NotFound, "service account not found"))
        }
        "/management.ManagementService/DestroyServiceAccount" => Ok(vec![json!({})]),
        other => Err(Error::status(Code::Unimplemented, other.to_string())),
    }
}

#[test]
fn serviceaccount_create_puts_only_the_env_lines_on_stdout() {
    let h = TestHost::with_server(sa_server);
    assert_eq!(
        h.run(&["sa", "create", "bot", "-t", "1h30m"]),
        0,
        "{}",
        h.stderr()
    );
    let out = h.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], "OMNI_ENDPOINT=https://omni.example.org");
    assert!(lines[1].starts_with("OMNI_SERVICE_ACCOUNT_KEY="), "{out}");
    assert_eq!(
        h.stderr(),
        "Created service account \"bot\" with public key ID \"abc123\"\n\nSet the following environment variables to use the service account:\n\nNote: Store the service account key securely, it will not be displayed again\n"
    );
    // omnictl's request: the caller's role unless --use-user-role=false
    let calls = h.calls.borrow();
    let (_, body) = calls
        .iter()
        .find(|(m, _)| m.ends_with("/CreateServiceAccount"))
        .unwrap();
    assert_eq!(body["use_user_role"], json!(true));
    assert!(body.get("role").is_none_or(|r| r == ""), "{body}");
    drop(calls);
    let h = TestHost::with_server(sa_server);
    assert_eq!(
        h.run(&["sa", "c", "bot", "-r", "Reader", "--use-user-role=false"]),
        0
    );
    let calls = h.calls.borrow();
    let (_, body) = calls
        .iter()
        .find(|(m, _)| m.ends_with("/CreateServiceAccount"))
        .unwrap();
    assert_eq!(body["role"], "Reader");
}

#[test]
fn serviceaccount_renew_list_and_destroy() {
    let h = TestHost::with_server(sa_server);
    assert_eq!(h.run(&["sa", "renew", "bot"]), 0, "{}", h.stderr());
    assert!(h.stderr().starts_with(
        "Renewed service account \"bot\" by adding a public key with ID \"def456\"\n"
    ));
    let h = TestHost::with_server(sa_server);
    assert_eq!(h.run(&["sa", "list"]), 0, "{}", h.stderr());
    assert_eq!(
        h.stdout(),
        "NAME   ROLE     LAST ACTIVE   PUBLIC KEY ID   KEY CREATED            KEY LAST ACTIVE        EXPIRATION\n\
         bot    Reader   Never         k1              2026-01-01T00:00:00Z   Never                  2027-01-01T00:00:00Z\n\
         \x20                             k2              -                      2026-02-01T10:00:00Z   2027-06-01T00:00:00Z\n"
    );
    let h = TestHost::with_server(sa_server);
    assert_eq!(h.run(&["sa", "d", "bot"]), 0);
    assert_eq!(h.stdout(), "destroyed service account: bot\n");
    let h = TestHost::with_server(sa_server);
    assert_eq!(h.run(&["sa", "destroy", "nope"]), 1);
    assert!(
        h.stderr()
            .starts_with("Error: failed to destroy service account: "),
        "{}",
        h.stderr()
    );
}

// ---- apply.go, edit.go ----------------------------------------------------------------------

const CLUSTER_A: &str = "metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: a\nspec:\n    kubernetesversion: 1.33.0\n";
const CLUSTER_NEW: &str = "metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: new\nspec:\n    kubernetesversion: 1.32.0\n";

fn apply_server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    match method {
        "/cosi.resource.State/Get" if body["id"] == "new" => {
            Err(Error::status(Code::NotFound, "no"))
        }
        "/cosi.resource.State/Create" => Ok(vec![json!({"resource": body["resource"].clone()})]),
        "/cosi.resource.State/Update" => {
            Ok(vec![json!({"resource": body["new_resource"].clone()})])
        }
        _ => server(method, body),
    }
}

fn writes(h: &TestHost) -> Vec<String> {
    h.calls
        .borrow()
        .iter()
        .filter(|(m, _)| m.ends_with("/Create") || m.ends_with("/Update"))
        .map(|(m, b)| {
            let r = if m.ends_with("/Update") {
                &b["new_resource"]
            } else {
                &b["resource"]
            };
            format!(
                "{} {}",
                m.rsplit('/').next().unwrap(),
                r["metadata"]["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn apply_walks_a_directory_for_yaml_files_and_is_quiet_unless_verbose() {
    let mut h = TestHost::with_server(apply_server);
    h.dirs.push("/r".into());
    h.file("/r/b/new.yml", CLUSTER_NEW);
    h.file("/r/a.yaml", CLUSTER_A);
    h.file("/r/notes.txt", "not yaml");
    assert_eq!(h.run(&["apply", "-f", "/r"]), 0, "{}", h.stderr());
    assert_eq!(writes(&h), ["Update a", "Create new"]);
    assert_eq!(h.stdout(), "", "apply.go prints only with -v");
    let mut h = TestHost::with_server(apply_server);
    h.dirs.push("/r".into());
    h.file("/r/a.yaml", CLUSTER_A);
    assert_eq!(h.run(&["apply", "-f", "/r", "-v"]), 0);
    let out = h.stdout();
    assert!(out.starts_with("Processing 1 resource file(s)\nApplying resources from: /r/a.yaml\nUpdating resource 'a'\n\n"), "{out}");
    assert!(out.contains("+    kubernetesversion: 1.33.0"), "{out}");
}

#[test]
fn apply_dry_run_writes_nothing_and_a_bad_file_stops_everything_before_any_write() {
    let h = TestHost::with_server(apply_server);
    h.file("/x.yaml", CLUSTER_NEW);
    assert_eq!(h.run(&["apply", "-f", "/x.yaml", "--dry-run"]), 0);
    assert!(writes(&h).is_empty());
    assert!(
        h.stdout().contains("Creating resource 'new'\n\nmetadata:"),
        "{}",
        h.stdout()
    );
    // the second file does not parse: the first is not applied either
    let mut h = TestHost::with_server(apply_server);
    h.dirs.push("/r".into());
    h.file("/r/1.yaml", CLUSTER_NEW);
    h.file("/r/2.yaml", "metadata: [\n");
    assert_eq!(h.run(&["apply", "-f", "/r"]), 1);
    assert!(
        h.stderr()
            .starts_with("Error: failed to apply resources from file \"/r/2.yaml\": line 2:1"),
        "{}",
        h.stderr()
    );
    assert!(writes(&h).is_empty());
    // missing -f, an empty directory
    let h = TestHost::with_server(apply_server);
    assert_eq!(h.run(&["apply"]), 1);
    let mut h = TestHost::with_server(apply_server);
    h.dirs.push("/empty".into());
    assert_eq!(h.run(&["apply", "-f", "/empty"]), 1);
    assert_eq!(h.stderr(), "Error: failed to discover yaml files from \"/empty\": no YAML files found in directory \"/empty\"\n");
}

#[test]
fn edit_updates_what_changed_with_the_version_read() {
    let h = TestHost::with_server(apply_server);
    h.editor
        .borrow_mut()
        .push_back(Box::new(|t: &str| t.replace("1.32.0", "1.33.0")));
    assert_eq!(h.run(&["edit", "clusters", "a"]), 0, "{}", h.stderr());
    assert!(
        h.edits.borrow()[0].starts_with("# Editing:\n#   Clusters.omni.sidero.dev/a\n"),
        "{}",
        h.edits.borrow()[0]
    );
    assert_eq!(writes(&h), ["Update a"]);
    let calls = h.calls.borrow();
    let (_, body) = calls.iter().find(|(m, _)| m.ends_with("/Update")).unwrap();
    assert_eq!(body["new_resource"]["metadata"]["version"], "3", "{body}");
    drop(calls);
    assert_eq!(h.stderr(), "Updated Clusters.omni.sidero.dev 'a'\n");
    // saved unchanged: nothing written
    let h = TestHost::with_server(apply_server);
    h.editor
        .borrow_mut()
        .push_back(Box::new(|t: &str| t.to_string()));
    assert_eq!(h.run(&["edit", "clusters", "a"]), 0);
    assert_eq!(h.stderr(), "Apply was skipped: no changes detected.\n");
    assert!(writes(&h).is_empty());
}

#[test]
fn edit_keeps_the_persons_text_when_it_does_not_parse() {
    let h = TestHost::with_server(apply_server);
    // first save: broken YAML; the editor reopens with the error above the SAME text
    h.editor.borrow_mut().push_back(Box::new(|t: &str| {
        t.replace("kubernetesversion: 1.32.0", "kubernetesversion: [1.33.0")
    }));
    h.editor
        .borrow_mut()
        .push_back(Box::new(|t: &str| t.replace("[1.33.0", "1.33.0")));
    assert_eq!(h.run(&["edit", "clusters", "a"]), 0, "{}", h.stderr());
    let second = h.edits.borrow()[1].clone();
    assert!(second.contains("# Edit Failed:\n# "), "{second}");
    assert!(
        second.contains("kubernetesversion: [1.33.0"),
        "the person's text is kept: {second}"
    );
    assert_eq!(writes(&h), ["Update a"]);
    // saving the broken text again ends with the error and where the copy is
    let h = TestHost::with_server(apply_server);
    h.editor.borrow_mut().push_back(Box::new(|t: &str| {
        t.replace("kubernetesversion: 1.32.0", "kubernetesversion: [x")
    }));
    h.editor
        .borrow_mut()
        .push_back(Box::new(|t: &str| t.to_string()));
    assert_eq!(h.run(&["edit", "clusters", "a"]), 1);
    let err = h.stderr();
    assert!(
        err.contains("A copy of your changes has been stored to \"/tmp/"),
        "{err}"
    );
    assert!(
        err.contains("Edit canceled, no valid changes were saved."),
        "{err}"
    );
    assert!(writes(&h).is_empty());
}

// ---- cluster/**.go --------------------------------------------------------------------------

/// The upstream template cases (tests/testdata/templates) as files of the host, under /t.
fn with_template_cases(h: &mut TestHost) {
    fn walk(dir: &std::path::Path, rel: &str, h: &TestHost) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let path = format!("{rel}/{name}");
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &path, h);
            } else {
                h.file(&path, &std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/templates");
    walk(&root, "/t", h);
    h.dirs.push("/t".into());
}

#[test]
fn cluster_template_validate_and_render_read_referenced_files_from_the_allowed_dir() {
    let mut h = TestHost::new();
    with_template_cases(&mut h);
    assert_eq!(
        h.run(&["cluster", "template", "validate", "-f", "/t/cluster1.yaml"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.run(&["c", "t", "render", "-f", "/t/cluster1.yaml"]),
        0,
        "{}",
        h.stderr()
    );
    let out = h.stdout();
    assert!(out.contains("type: ConfigPatches.omni.sidero.dev"), "{out}");
    // a referenced file outside the allowed root is refused
    let h = TestHost::new();
    h.file("/w/t.yaml", "kind: Cluster\nname: x\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.1\npatches:\n  - file: ../../etc/passwd\n");
    h.file("/etc/passwd", "root:x:0:0");
    assert_eq!(
        h.run(&["cluster", "template", "validate", "-f", "/w/t.yaml"]),
        1
    );
    assert!(
        h.stderr().contains("path escapes from parent"),
        "{}",
        h.stderr()
    );
    // --allowed-dir widens the root; relative to the template's directory
    let h = TestHost::new();
    h.file("/w/sub/t.yaml", "kind: Cluster\nname: x\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.1\npatches:\n  - file: p.yaml\n---\nkind: ControlPlane\nmachines:\n  - 430d882a-51a8-48b3-ae00-90c5b0b5b0b0\n");
    h.file("/w/p.yaml", "machine:\n  network:\n    hostname: a\n");
    assert_eq!(
        h.run(&[
            "cluster",
            "template",
            "render",
            "-f",
            "/w/sub/t.yaml",
            "--allowed-dir",
            ".."
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert!(h.stdout().contains("hostname: a"), "{}", h.stdout());
}

#[test]
fn cluster_template_errors_say_file_line_and_column() {
    let mut h = TestHost::new();
    with_template_cases(&mut h);
    assert_eq!(
        h.run(&[
            "cluster",
            "template",
            "validate",
            "-f",
            "/t/cluster-invalid1.yaml"
        ]),
        1
    );
    let err = h.stderr();
    assert!(err.starts_with("Error: /t/cluster-invalid1.yaml:"), "{err}");
    let second = err
        .lines()
        .next()
        .unwrap()
        .split(':')
        .nth(2)
        .unwrap()
        .to_string();
    assert!(
        second.chars().all(|c| c.is_ascii_digit()),
        "line number: {err}"
    );
    // the top-level `template` of the old JS CLI is not omnictl's: refused
    let h = TestHost::new();
    assert_eq!(
        h.run(&["template", "validate", "-f", "/t/cluster1.yaml"]),
        1
    );
}

fn cluster_server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    match method {
        "/cosi.resource.State/Get" if body["type"] == "ClusterMachines.omni.sidero.dev" => {
            Ok(vec![json!({"resource": {
                "metadata": {"namespace": "default", "type": "ClusterMachines.omni.sidero.dev", "id": body["id"], "version": "1", "phase": "running",
                             "labels": {"omni.sidero.dev/cluster": "c1"}},
                "spec": {"proto_spec": ""}
            }})])
        }
        "/management.ManagementService/KubernetesUpgradePreChecks" => Ok(vec![json!({"ok": true})]),
        _ => apply_server(method, body),
    }
}

#[test]
fn cluster_lock_reports_on_stderr_and_upgrade_pre_checks_is_silent_when_they_pass() {
    let h = TestHost::with_server(cluster_server);
    assert_eq!(h.run(&["cluster", "lock", "a"]), 0, "{}", h.stderr());
    assert_eq!(h.stderr(), "cluster \"a\" lock status: true\n");
    assert_eq!(writes(&h), ["Update a"]);
    let h = TestHost::with_server(cluster_server);
    assert_eq!(
        h.run(&["cluster", "k", "upgrade-pre-checks", "a", "--to", "1.33.0"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!((h.stdout(), h.stderr()), (String::new(), String::new()));
    // --to is required
    let h = TestHost::with_server(cluster_server);
    assert_eq!(
        h.run(&["cluster", "kubernetes", "upgrade-pre-checks", "a"]),
        1
    );
    assert!(h.methods().is_empty());
}

#[test]
fn cluster_machine_delete_asks_before_force_etcd_leave_and_force() {
    // machine.go: both flags ask unless -y; anything but y aborts before any write
    for flag in ["--force-etcd-leave", "--force"] {
        let h = TestHost::with_server(cluster_server);
        h.answers.borrow_mut().push_back("n".into());
        assert_eq!(
            h.run(&["cluster", "machine", "delete", "m1", flag]),
            0,
            "{}",
            h.stderr()
        );
        let err = h.stderr();
        assert!(err.starts_with("WARNING: "), "{err}");
        assert!(
            err.ends_with("Do you want to continue? (y/N): aborting machine deletion\n"),
            "{err}"
        );
        assert!(writes(&h).is_empty(), "{flag}");
        assert!(
            !h.methods().iter().any(|m| m.ends_with("/Teardown")),
            "{flag}"
        );
    }
}

#[test]
fn cluster_import_itself_is_refused_with_the_reason() {
    let h = TestHost::new();
    assert_eq!(h.run(&["cluster", "import", "-n", "10.0.0.1"]), 1);
    assert!(
        h.stderr().contains("needs direct Talos API access"),
        "{}",
        h.stderr()
    );
}

// ---- completion (cobra's generated command), docs.go --------------------------------------

#[test]
fn completion_prints_a_script_for_the_shell_and_docs_writes_the_reference() {
    let h = TestHost::new();
    assert_eq!(h.run(&["completion", "bash"]), 0);
    let out = h.stdout();
    assert!(
        out.contains("omni-wasm") && out.contains("complete"),
        "{out}"
    );
    assert!(
        out.contains("kubeconfig"),
        "subcommands are completed: {out}"
    );
    let h = TestHost::new();
    assert_eq!(h.run(&["completion", "tcsh"]), 1);
    let h = TestHost::new();
    assert_eq!(h.run(&["docs", "/out"]), 0, "{}", h.stderr());
    let md = h.files.borrow()["/out/cli.md"].clone();
    assert!(md.starts_with("---\ntitle: omni-wasm CLI\n"), "{md}");
    for section in [
        "## omni-wasm get\n",
        "## omni-wasm cluster template sync\n",
        "## omni-wasm serviceaccount create\n",
    ] {
        assert!(md.contains(section), "{section} missing");
    }
    assert!(
        !md.contains("## omni-wasm docs"),
        "the hidden command is not documented"
    );
}

// ---- machine/machine.go, configure/machine.go -----------------------------------------------

fn machine_server(method: &str, body: &Value) -> std::result::Result<Vec<Value>, Error> {
    match method {
        "/management.ManagementService/MachinePowerOff"
        | "/management.ManagementService/MachinePowerOn"
        | "/management.ManagementService/ResetNodeUniqueToken" => Ok(vec![json!({})]),
        "/management.ManagementService/MaintenanceLifecycle" => Ok(vec![
            json!({"message": "installing"}),
            json!({"message": ""}),
            json!({"message": "rebooting"}),
        ]),
        _ => server(method, body),
    }
}

#[test]
fn machine_power_and_lifecycle_report_on_stderr() {
    let h = TestHost::with_server(machine_server);
    assert_eq!(h.run(&["machine", "shutdown", "m1"]), 0, "{}", h.stderr());
    assert_eq!(h.stderr(), "machine \"m1\" is shutting down\n");
    let h = TestHost::with_server(machine_server);
    assert_eq!(h.run(&["machine", "power-on", "m1"]), 0);
    assert_eq!(h.stderr(), "machine \"m1\" power on requested\n");
    // install streams the installer's messages (empty ones skipped), then says where it went
    let h = TestHost::with_server(machine_server);
    assert_eq!(
        h.run(&["machine", "install", "m1", "--disk", "/dev/sda"]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stderr(),
        "installing\nrebooting\nmachine \"m1\": Talos installed to /dev/sda\n"
    );
    let calls = h.calls.borrow();
    let (_, body) = calls
        .iter()
        .find(|(m, _)| m.ends_with("/MaintenanceLifecycle"))
        .unwrap();
    assert_eq!(body["disk"], "/dev/sda");
    assert_eq!(body["machine_id"], "m1");
    drop(calls);
    // the required values are checked before anything is sent
    for (args, msg) in [
        (
            vec!["machine", "install", "m1"],
            "Error: --disk is required\n",
        ),
        (
            vec!["machine", "upgrade", "m1"],
            "Error: --version is required\n",
        ),
    ] {
        let h = TestHost::with_server(machine_server);
        assert_eq!(h.run(&args), 1);
        assert_eq!(h.stderr(), msg);
        assert!(h.methods().is_empty());
    }
}

#[test]
fn configure_machine_resets_tokens_and_refuses_unknown_modes() {
    let h = TestHost::with_server(machine_server);
    assert_eq!(
        h.run(&[
            "configure",
            "machine",
            "m1",
            "m2",
            "--reset-node-unique-token"
        ]),
        0,
        "{}",
        h.stderr()
    );
    assert_eq!(
        h.stdout(),
        "reset node unique token for machine m1\nreset node unique token for machine m2\n"
    );
    let h = TestHost::with_server(machine_server);
    assert_eq!(
        h.run(&[
            "configure",
            "m",
            "m1",
            "--siderolink-connection",
            "carrier-pigeon"
        ]),
        1
    );
    assert!(h.stderr().contains("carrier-pigeon"), "{}", h.stderr());
    assert!(h.methods().is_empty());
}
