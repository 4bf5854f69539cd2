// The omni-wasm CLI against omni-sim: get/apply/delete like omnictl, and template commands
// reading referenced files from disk relative to the template.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SIM, serviceAccount, uid, mutate } from "./helpers.mjs";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const cli = path.join(root, "pkg/cli.js");
const cases = path.resolve(root, "tests/testdata/templates");
let env;

async function omni(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

before(async () => {
  env = { ...process.env, OMNI_ENDPOINT: SIM, OMNI_SERVICE_ACCOUNT_KEY: await serviceAccount(uid("sa-cli")) };
});

test("apply, get (table, yaml, json), delete", async () => {
  const id = uid("cli");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-cli-"));
  const file = path.join(dir, "c.yaml");
  fs.writeFileSync(file, `metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: ${id}\nspec:\n    kubernetesversion: 1.32.0\n    talosversion: 1.9.1\n`);
  const dry = await omni("apply", "-f", file, "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  // apply.go: --dry-run implies --verbose, which shows each resource it would create
  assert.match(dry.stdout, new RegExp(`^Processing 1 resource file\\(s\\)\nApplying resources from: .*c\\.yaml\nCreating resource '${id}'\n\nmetadata:`));
  assert.equal((await omni("get", "cluster", id)).code, 1, "dry run wrote nothing");
  const real = await omni("apply", "-f", file);
  assert.equal(real.code, 0, real.stderr);
  const table = await omni("get", "clusters", id);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAMESPACE\s+TYPE\s+ID\s+VERSION/);
  assert.match(table.stdout, new RegExp(`default\\s+Cluster\\s+${id}\\s+1`));
  const yaml = await omni("get", "clusters", id, "-o", "yaml");
  assert.match(yaml.stdout, new RegExp(`^metadata:\\n {4}namespace: default\\n {4}type: Clusters.omni.sidero.dev\\n {4}id: ${id}\\n {4}version: 1\\n`));
  assert.match(yaml.stdout, /\nspec:\n {4}kubernetesversion: 1\.32\.0\n/);
  const json = JSON.parse((await omni("get", "clusters", id, "-o", "json")).stdout);
  assert.equal(json.metadata.id, id);
  // kubectl's JSONPath templates, each result on its own line (omnictl output/jsonpath.go)
  const jp = await omni("get", "clusters", id, "-o", "jsonpath={.metadata.id}{.spec.kubernetesversion}");
  assert.equal(jp.code, 0, jp.stderr);
  assert.equal(jp.stdout, `${id}\n1.32.0\n`);
  const sel = await omni("get", "clusters", "--id-match-regexp", `^${id}$`, "-o", "yaml");
  assert.equal(sel.stdout.split("\n---\n").length, 1);
  const del = await omni("delete", "clusters", id);
  // omnictl (resources/destroy.go) reports on stderr, keeping stdout for data
  assert.match(del.stderr, new RegExp(`destroyed Clusters.omni.sidero.dev ${id}`));
  assert.equal(del.stdout, "");
  assert.equal((await omni("get", "cluster", id)).code, 1);
});

test("cluster template validate prints file:line:column errors and fails; render reads patches from disk", async () => {
  const bad = await omni("cluster", "template", "validate", "-f", path.join(cases, "cluster-invalid1.yaml"));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cluster-invalid1\.yaml:\d+:\d+: /);
  const good = await omni("cluster", "template", "validate", "-f", path.join(cases, "cluster1.yaml"));
  assert.equal(good.code, 0, good.stderr);
  const render = await omni("c", "t", "render", "-f", path.join(cases, "cluster1.yaml"));
  assert.equal(render.code, 0, render.stderr);
  assert.match(render.stdout, /type: ConfigPatches\.omni\.sidero\.dev/);
});

test("template files may not escape the template's directory", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-cli-"));
  const file = path.join(dir, "t.yaml");
  fs.writeFileSync(file, "kind: Cluster\nname: x\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.1\npatches:\n  - file: ../../etc/passwd\n");
  const r = await omni("cluster", "template", "validate", "-f", file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /path escapes from parent/);
});

test("usage errors exit 1 with cobra's Error: line (omnictl's main exits 1 on any error)", async () => {
  for (const args of [["frobnicate"], ["get"], ["get", "clusters", "--nope"], ["delete", "clusters", "--all", "-l", "a=b"]]) {
    const r = await omni(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, /^Error: /, args.join(" "));
  }
});

test("serviceaccount create prints the env lines; the key works; list and destroy", async () => {
  const name = uid("cli-sa");
  // serviceaccount.go: --role counts only with --use-user-role=false; Go durations for --ttl
  const created = await omni("serviceaccount", "create", name, "-r", "Reader", "--use-user-role=false", "-t", "1h30m");
  assert.equal(created.code, 0, created.stderr);
  // only the two KEY=value lines on stdout (`> sa.env`), the prose on stderr
  assert.deepEqual(created.stdout.trim().split("\n").map((l) => l.split("=")[0]), ["OMNI_ENDPOINT", "OMNI_SERVICE_ACCOUNT_KEY"]);
  assert.match(created.stderr, new RegExp(`Created service account "${name}" with public key ID "`));
  const key = /OMNI_SERVICE_ACCOUNT_KEY=(\S+)/.exec(created.stdout)[1];
  const asRobot = await run(process.execPath, [cli, "get", "clusters", "-o", "json"], { env: { ...env, OMNI_SERVICE_ACCOUNT_KEY: key } });
  assert.ok(asRobot.stdout !== undefined);
  const list = await omni("sa", "list");
  assert.match(list.stdout, new RegExp(`${name}\\s+Reader`));
  assert.equal((await omni("sa", "destroy", name)).code, 0);
});

/** The CLI with its own HOME (omniconfig, keys, kubeconfig land there). */
function isolated(extra = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "omni-home-"));
  const e = { ...env, HOME: home, KUBECONFIG: "", TALOSCONFIG: "", OMNICONFIG: "", SIDEROV1_KEYS_DIR: "", ...extra };
  const runIn = async (...args) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: e });
      return { code: 0, stdout, stderr };
    } catch (x) {
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };
  return { home, env: e, run: runIn };
}

test("kubeconfig merges into the existing file (renaming conflicts); talosconfig too", async () => {
  const t = isolated();
  const cluster = uid("kc");
  assert.equal((await omni("apply", "-f", writeTmp(`metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: ${cluster}\nspec:\n    kubernetesversion: 1.32.0\n    talosversion: 1.9.1\n`))).code, 0);
  const kc = path.join(t.home, ".kube", "config");
  fs.mkdirSync(path.dirname(kc), { recursive: true });
  fs.writeFileSync(kc, "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://other.example.org\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\nusers:\n- name: other\n  user:\n    token: abc\ncurrent-context: other\n");
  const r = await t.run("kubeconfig", "-c", cluster);
  assert.equal(r.code, 0, r.stderr);
  const merged = fs.readFileSync(kc, "utf8");
  assert.match(merged, /name: other\n/); // kept
  assert.match(merged, new RegExp(`current-context: .*${cluster}`)); // switched to the new one
  const again = await t.run("kubeconfig", "-c", cluster, "--force-context-name", "mine");
  assert.equal(again.code, 0, again.stderr);
  assert.match(fs.readFileSync(kc, "utf8"), /current-context: mine\n/);
  // --merge=false writes a new file (a directory stands for DIR/kubeconfig) and refuses to
  // replace one without --force (kubeconfig.go)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-kc-"));
  assert.equal((await t.run("kubeconfig", "-c", cluster, "--merge=false", dir)).code, 0);
  assert.match(fs.readFileSync(path.join(dir, "kubeconfig"), "utf8"), /^apiVersion: v1/m);
  const refused = await t.run("kubeconfig", "-c", cluster, "--merge=false", dir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already exists, use --force to overwrite/);
  const tc = await t.run("talosconfig", "-c", cluster);
  assert.equal(tc.code, 0, tc.stderr);
  const tc2 = await t.run("talosconfig", "-c", cluster);
  assert.match(tc2.stdout, /renamed talosconfig context/); // talosconfig.go prints it with fmt.Printf
  assert.ok(fs.existsSync(path.join(t.home, ".talos", "config")));
});

function writeTmp(text) {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "omni-cli-")), "r.yaml");
  fs.writeFileSync(f, text);
  return f;
}

test("omniconfig identity: interactive login prints the URL, stores the key, later runs reuse it", async () => {
  const email = `${uid("person")}@example.org`;
  assert.equal((await omni("user", "create", email, "--role", "Reader")).code, 0);
  const t = isolated({ OMNI_SERVICE_ACCOUNT_KEY: "", SIDERO_SERVICE_ACCOUNT_KEY: "", OMNI_ENDPOINT: "" });
  delete t.env.OMNI_SERVICE_ACCOUNT_KEY;
  delete t.env.SIDERO_SERVICE_ACCOUNT_KEY;
  delete t.env.OMNI_ENDPOINT;
  assert.equal((await t.run("config", "new", "--url", SIM, "--identity", email)).code, 0);
  assert.match((await t.run("config", "info")).stdout, new RegExp(`Identity:\\s+${email.replace(".", "\\.")}`));
  // first run: the CLI waits for the confirmation; confirm it the way the browser login would
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [cli, "get", "clusters", "-o", "json"], { env: t.env });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (d) => { stdout += d; });
  const confirmed = new Promise((resolve, reject) => {
    child.stderr.on("data", async (d) => {
      stderr += d;
      const m = /public-key-id=([0-9a-fA-F]+)/.exec(stderr);
      if (m && !confirmed.done) {
        confirmed.done = true;
        const r = await fetch(`${SIM}/_sim/confirm?public_key_id=${m[1]}`, { method: "POST" });
        r.ok ? resolve() : reject(new Error(await r.text()));
      }
    });
  });
  const code = await new Promise((resolve) => child.on("exit", resolve));
  await confirmed;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /log in to Omni as /);
  const keyFile = path.join(t.home, ".talos", "keys", `default-${email}.pgp`);
  assert.ok(fs.existsSync(keyFile));
  assert.equal(fs.statSync(keyFile).mode & 0o077, 0, "key file readable by others");
  assert.match(fs.readFileSync(keyFile, "utf8"), /BEGIN PGP PRIVATE KEY BLOCK/);
  // second run: no login
  const second = await t.run("get", "clusters", "-o", "json");
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /log in/);
});

test("config: add, contexts, use-context, merge", async () => {
  const t = isolated();
  assert.equal((await t.run("config", "new", "--url", "https://a.example.org")).code, 0);
  assert.equal((await t.run("config", "add", "b", "--url", "https://b.example.org", "--identity", "me@example.org")).code, 0);
  assert.equal((await t.run("config", "context", "b")).code, 0);
  const list = await t.run("config", "contexts");
  assert.match(list.stdout, /\*\s+b\s+https:\/\/b\.example\.org/);
  const other = writeTmp("context: b\ncontexts:\n  b:\n    url: https://c.example.org\n");
  const m = await t.run("config", "merge", other);
  assert.match(m.stdout, /renamed omniconfig context b -> b-1/);
});

test("user, jointoken, machine-logs, audit-log, support, cluster lock and delete through the CLI", async () => {
  const email = `${uid("cli-user")}@example.org`;
  assert.equal((await omni("user", "create", email, "-r", "Reader")).code, 0);
  assert.match((await omni("user", "list")).stdout, new RegExp(`${email.replace(".", "\\.")}\\s+Reader\\s+Never`));
  assert.equal((await omni("user", "set-role", email, "-r", "Operator")).code, 0);
  assert.match((await omni("user", "delete", email)).stdout, new RegExp(`destroyed user ${email}`));

  const tok = (await omni("jointoken", "create", "cli-tok", "-t", "1h")).stdout.trim();
  assert.match(tok, /^[0-9a-f]{32}$/);
  assert.match((await omni("jt", "list")).stdout, new RegExp(`${tok}\\s+cli-tok\\s+ACTIVE`));
  assert.match((await omni("jt", "revoke", tok, "--force")).stdout, /was revoked/);
  assert.match((await omni("jt", "kernel-args", "--token-id", tok)).stdout, new RegExp(`jointoken=${tok}`));
  assert.match((await omni("jt", "delete", tok, "--force")).stdout, new RegExp(`deleted join token: ${tok}`));

  const machine = uid("cli-m");
  await mutate({ type: "MachineStatuses.omni.sidero.dev", id: machine, create: true });
  const logs = await omni("machine-logs", machine, "--tail", "3", "--log-format", "dmesg");
  assert.equal(logs.code, 0, logs.stderr);
  assert.deepEqual(logs.stdout.trimEnd().split("\n").map((l) => /^\[\s*(\d+)\./.exec(l)[1]), ["47", "48", "49"]);

  const cluster = uid("cli-c");
  assert.equal((await omni("apply", "-f", writeTmp(`metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: ${cluster}\nspec:\n    kubernetesversion: 1.32.0\n    talosversion: 1.9.1\n`))).code, 0);
  const audit = await omni("audit-log", "--search", cluster);
  assert.match(audit.stdout, new RegExp(cluster));
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "omni-cli-")), "bundle.zip");
  const support = await omni("support", "-c", cluster, "--no-encryption", "-O", out);
  assert.equal(support.code, 0, support.stderr);
  assert.equal(fs.readFileSync(out).subarray(0, 2).toString(), "PK");
  assert.match((await omni("cluster", "lock", cluster)).stderr, /lock status: true/);
  assert.match((await omni("cluster", "kubernetes", "manifest-sync", cluster)).stdout, / < dry run, change skipped| < no changes/);
  const del = await omni("cluster", "delete", cluster);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /destroyed/);
  assert.equal((await omni("get", "cluster", cluster)).code, 1);
});

test("edit: the editor's change is written with the original version; an invalid edit writes nothing", async () => {
  const id = uid("edit");
  assert.equal((await omni("apply", "-f", writeTmp(`metadata:\n    namespace: default\n    type: Clusters.omni.sidero.dev\n    id: ${id}\nspec:\n    kubernetesversion: 1.32.0\n    talosversion: 1.9.1\n`))).code, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-editor-"));
  const editor = path.join(dir, "ed.mjs");
  fs.writeFileSync(editor, `import fs from "node:fs"; const f = process.argv[2]; fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(process.env.FROM, process.env.TO));\n`);
  const edit = async (from, to) => {
    try {
      const r = await run(process.execPath, [cli, "edit", "cluster", id], { env: { ...env, OMNI_EDITOR: `${process.execPath} ${editor}`, FROM: from, TO: to } });
      return { code: 0, ...r };
    } catch (e) { return { code: e.code, stdout: e.stdout, stderr: e.stderr }; }
  };
  const ok = await edit("kubernetesversion: 1.32.0", "kubernetesversion: 1.33.0");
  assert.equal(ok.code, 0, ok.stderr);
  // edit.go reports each update on stderr
  assert.match(ok.stderr, new RegExp(`Updated Clusters.omni.sidero.dev '${id}'`));
  assert.match((await omni("get", "cluster", id, "-o", "yaml")).stdout, /kubernetesversion: 1\.33\.0/);
  // a text that does not parse reopens the editor with the error above it; saving it unchanged
  // (this editor finds nothing more to replace) ends the edit and says where the text is kept
  const bad = await edit("talosversion: 1.9.1", "talosversion: [1.9.1");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /A copy of your changes has been stored to .*\nEdit canceled, no valid changes were saved\./);
  assert.match((await omni("get", "cluster", id, "-o", "yaml")).stdout, /talosversion: 1\.9\.1/);
  const none = await edit("nothing-to-replace", "x");
  assert.match(none.stderr, /Apply was skipped: no changes detected\./);
});
