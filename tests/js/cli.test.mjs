// The omni-wasm CLI against omni-sim: get/apply/delete like omnictl, and template commands
// reading referenced files from disk relative to the template.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SIM, serviceAccount, uid } from "./helpers.mjs";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const cli = path.join(root, "pkg/cli.js");
const cases = path.resolve(root, "../shared/testdata/templates");
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
  assert.match(dry.stdout, /Created Clusters\.omni\.sidero\.dev\(default\/.*\) \(dry run\)/);
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
  const sel = await omni("get", "clusters", "--id-match-regexp", `^${id}$`, "-o", "yaml");
  assert.equal(sel.stdout.split("\n---\n").length, 1);
  const del = await omni("delete", "clusters", id);
  assert.match(del.stdout, new RegExp(`destroyed Clusters.omni.sidero.dev ${id}`));
  assert.equal((await omni("get", "cluster", id)).code, 1);
});

test("template validate prints file:line:column errors and fails; render reads patches from disk", async () => {
  const bad = await omni("template", "validate", "-f", path.join(cases, "cluster-invalid1.yaml"));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cluster-invalid1\.yaml:\d+:\d+: /);
  const good = await omni("template", "validate", "-f", path.join(cases, "cluster1.yaml"));
  assert.equal(good.code, 0, good.stderr);
  const render = await omni("template", "render", "-f", path.join(cases, "cluster1.yaml"));
  assert.equal(render.code, 0, render.stderr);
  assert.match(render.stdout, /type: ConfigPatches\.omni\.sidero\.dev/);
});

test("template files may not escape the template's directory", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "omni-cli-"));
  const file = path.join(dir, "t.yaml");
  fs.writeFileSync(file, "kind: Cluster\nname: x\nkubernetes:\n  version: v1.32.0\ntalos:\n  version: v1.9.1\npatches:\n  - file: ../../etc/passwd\n");
  const r = await omni("template", "validate", "-f", file);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /outside the template's directory/);
});

test("usage errors exit 2", async () => {
  assert.equal((await omni("frobnicate")).code, 2);
  assert.equal((await omni("get")).code, 2);
});

test("serviceaccount create prints the env lines; the key works; list and destroy", async () => {
  const name = uid("cli-sa");
  const created = await omni("serviceaccount", "create", name, "-r", "Reader", "-t", "24h");
  assert.equal(created.code, 0, created.stderr);
  const key = /OMNI_SERVICE_ACCOUNT_KEY=(\S+)/.exec(created.stdout)[1];
  const asRobot = await run(process.execPath, [cli, "get", "clusters", "-o", "json"], { env: { ...env, OMNI_SERVICE_ACCOUNT_KEY: key } });
  assert.ok(asRobot.stdout !== undefined);
  const list = await omni("sa", "list");
  assert.match(list.stdout, new RegExp(`${name}\\s+Reader`));
  assert.equal((await omni("sa", "destroy", name)).code, 0);
});
