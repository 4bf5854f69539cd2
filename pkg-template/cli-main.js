// The omni-wasm CLI: omnictl-style commands on the package's Node entry.
// Reads OMNI_ENDPOINT and OMNI_SERVICE_ACCOUNT_KEY (or SIDERO_SERVICE_ACCOUNT_KEY) like omnictl.
import fs from "node:fs";
import path from "node:path";
import * as omni from "./node.js";
import * as templates from "./templates/node.js";

const USAGE = `omni-wasm ${omni.version()} — omnictl-style commands on omni-wasm

Usage:
  omni-wasm get TYPE [ID] [-n NS] [-l SELECTOR] [--id-match-regexp RE] [-o table|yaml|json] [-w]
  omni-wasm apply -f FILE [--dry-run]
  omni-wasm delete TYPE [ID] [-n NS] [--all] [-l SELECTOR]
  omni-wasm edit TYPE [ID] [-n NS] [-l SELECTOR] [--dry-run]   (editor: $OMNI_EDITOR, $TALOS_EDITOR, $EDITOR)
  omni-wasm kubeconfig -c CLUSTER [FILE|-] [--merge=false] [-f] [--force-context-name N] [--service-account --user U [--groups G] [--ttl 8760h]] [--break-glass] [--grant-type T]
  omni-wasm talosconfig [-c CLUSTER] [FILE|-] [--merge=false] [-f] [--break-glass]
  omni-wasm config url|identity|context|add|new|merge|contexts|info
  omni-wasm template validate|render|diff|sync|delete -f FILE [--dry-run]
  omni-wasm template status -f FILE [-w 5m] [-q]   |   omni-wasm cluster status CLUSTER [-w 0]
  omni-wasm template export -c CLUSTER [-o FILE]
  omni-wasm serviceaccount create NAME [-r ROLE] [-t TTL] | renew NAME [-t TTL] [--replace-key-file F] | list | destroy NAME
  omni-wasm user create EMAIL -r ROLE | list | set-role EMAIL -r ROLE | delete EMAIL...
  omni-wasm cluster delete|lock|unlock CLUSTER | machine lock|unlock|delete MACHINE | import abort CLUSTER
  omni-wasm cluster kubernetes manifest-sync CLUSTER [--dry-run=false] | upgrade-pre-checks CLUSTER --to V
  omni-wasm cluster secret rotate talos-ca|kubernetes-ca|status -n CLUSTER [-w false]
  omni-wasm machine-logs MACHINE [-f] [--tail N] [--log-format raw|omni|dmesg]
  omni-wasm machine shutdown|power-on|install|upgrade MACHINE [--version V] [--disk D]
  omni-wasm configure machine MACHINE... [--siderolink-connection udp|http-tunnel|auto] [--reset-node-unique-token]
  omni-wasm support -c CLUSTER [-O FILE] [--no-encryption] | audit-log [START [END]] [-f] [filters]
  omni-wasm jointoken create|list|revoke|unrevoke|renew|make-default|delete|machine-config|kernel-args|omni-endpoint
  omni-wasm infraprovider create|renewkey|list|delete NAME
  omni-wasm media preset create|list|delete NAME [flags] | media download PRESET [--format iso|raw|qcow2|pxe]
  omni-wasm --version

Global flags:
  --endpoint URL            Omni endpoint (default: $OMNI_ENDPOINT, else the omniconfig context)
  --omniconfig FILE         (default: $OMNICONFIG, ~/.talos/omni/config)   --context NAME
  --siderov1-keys-dir DIR   where login keys are kept (default: $SIDEROV1_KEYS_DIR, ~/.talos/keys)
  --transport gateway|grpc-web   (default: gateway)
  --insecure-http           allow http:// to a non-loopback host

Environment: OMNI_ENDPOINT, OMNI_SERVICE_ACCOUNT_KEY (or SIDERO_SERVICE_ACCOUNT_KEY), OMNICONFIG,
SIDEROV1_KEYS_DIR, KUBECONFIG, TALOSCONFIG, as omnictl. Without a service-account key the
omniconfig identity logs in interactively (the login URL is printed) and its key is stored.
`;

/** Minimal flag parser: `--name value`, `--name=value`, `-x value`, booleans, positionals. */
function parse(argv, spec) {
  const out = { _: [] };
  for (const [k, v] of Object.entries(spec)) if (v.default !== undefined) out[k] = v.default;
  const byFlag = new Map();
  for (const [k, v] of Object.entries(spec)) for (const f of v.flags) byFlag.set(f, [k, v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { out._.push(...argv.slice(i + 1)); break; }
    if (a.startsWith("-") && a !== "-") {
      const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      const hit = byFlag.get(flag);
      if (!hit) throw new UsageError(`unknown flag ${flag}`);
      const [key, s] = hit;
      if (s.bool) { out[key] = inline === undefined ? true : inline !== "false"; continue; }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`flag ${flag} needs a value`);
      if (s.many) (out[key] ??= []).push(value); else out[key] = value;
    } else {
      out._.push(a);
    }
  }
  return out;
}

class UsageError extends Error {}

const GLOBAL = {
  endpoint: { flags: ["--endpoint"] },
  transport: { flags: ["--transport"], default: "gateway" },
  insecure: { flags: ["--insecure-http"], bool: true },
  omniconfig: { flags: ["--omniconfig"] },
  context: { flags: ["--context"] },
  keysDir: { flags: ["--siderov1-keys-dir"] },
};

let connectedTo = ""; // the endpoint of the last connect(), for the OMNI_ENDPOINT lines

const home = () => process.env.HOME ?? process.env.USERPROFILE ?? ".";

/** omnictl's omniconfig location: $OMNICONFIG, else ~/.talos/omni/config (legacy: $XDG_CONFIG_HOME/omni/config). */
function omniconfigPath(o) {
  if (o.omniconfig) return o.omniconfig;
  if (process.env.OMNICONFIG) return process.env.OMNICONFIG;
  const main = path.join(home(), ".talos", "omni", "config");
  const legacy = path.join(process.env.XDG_CONFIG_HOME || path.join(home(), ".config"), "omni", "config");
  return !fs.existsSync(main) && fs.existsSync(legacy) ? legacy : main;
}

function readOmniconfig(o) {
  const p = omniconfigPath(o);
  return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
}

/** omnictl's key store: --siderov1-keys-dir, $SIDEROV1_KEYS_DIR, ~/.talos/keys (read-only fallback: $XDG_DATA_HOME/omni/keys). */
function keyPath(o, context, identity) {
  const name = `${context}-${identity}.pgp`;
  const dir = o.keysDir || process.env.SIDEROV1_KEYS_DIR || path.join(home(), ".talos", "keys");
  const main = path.join(dir, name);
  const legacy = path.join(process.env.XDG_DATA_HOME || path.join(home(), ".local", "share"), "omni", "keys", name);
  return { read: !fs.existsSync(main) && fs.existsSync(legacy) ? legacy : main, write: main };
}

/** `grpc://host:port` (omnictl's scheme for plain connections) → http. */
function httpUrl(url) {
  return url.replace(/^grpc:\/\//, "http://").replace(/^grpcs:\/\//, "https://");
}

/**
 * Resolve the endpoint and credentials as omnictl does: a service-account key from the
 * environment wins; otherwise the omniconfig context's identity signs with its stored key, and
 * without one the interactive login runs (register, print the URL, await the confirmation,
 * store the key as omnictl does).
 */
async function connect(o) {
  const env = { ...process.env };
  if (o.endpoint) env.OMNI_ENDPOINT = o.endpoint;
  const text = readOmniconfig(o);
  const r = omni.resolveOmniconfig(text, { context: o.context, env });
  const endpoint = httpUrl(o.endpoint ?? r.url);
  connectedTo = endpoint;
  const common = { endpoint, transport: o.transport, allowInsecureHttp: o.insecure };
  if (r.serviceAccountKey) return omni.OmniClient.connect({ ...common, serviceAccountKey: r.serviceAccountKey });
  if (!r.identity) throw new UsageError("no credentials: set OMNI_SERVICE_ACCOUNT_KEY, or an identity in the omniconfig context");
  const kp = keyPath(o, r.context, r.identity);
  if (fs.existsSync(kp.read)) {
    try {
      const signer = omni.Signer.fromArmoredKey(fs.readFileSync(kp.read, "utf8"), r.identity);
      return omni.OmniClient.connect({ ...common, signer });
    } catch {
      fs.rmSync(kp.read, { force: true }); // expired or unreadable: log in again
    }
  }
  const signer = omni.Signer.generatePgp(r.identity);
  const c = await omni.OmniClient.connect({ ...common, signer });
  const { loginUrl, publicKeyId } = await c.registerPublicKey(signer, r.identity);
  process.stderr.write(`Please visit the page below to log in to Omni as ${r.identity}:\n${loginUrl}\n`);
  for (;;) {
    try { await c.awaitConfirmation(publicKeyId); break; } catch (e) { if (e?.code !== "DEADLINE_EXCEEDED") throw e; }
  }
  fs.mkdirSync(path.dirname(kp.write), { recursive: true, mode: 0o700 });
  fs.writeFileSync(kp.write, signer.exportArmoredPrivateKey(), { mode: 0o600 });
  return c;
}

/** The files a template references, read relative to it; paths may not escape its folder. */
function templateFiles(file, text) {
  const dir = path.dirname(path.resolve(file));
  const files = {};
  for (const m of text.matchAll(/^\s*(?:-\s+)?file:\s*["']?([^"'\n#]+?)["']?\s*(?:#.*)?$/gm)) {
    const rel = m[1].trim();
    const abs = path.resolve(dir, rel);
    if (abs !== dir && !abs.startsWith(dir + path.sep)) {
      throw new UsageError(`file ${JSON.stringify(rel)} is outside the template's directory`);
    }
    if (fs.existsSync(abs)) files[rel] = fs.readFileSync(abs, "utf8");
  }
  return files;
}

/** Left-aligned columns, like Go's tabwriter with padding `pad`. */
function table(rows, pad = 3) {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => String(r[j] ?? "").length)));
  return rows.map((r) => r.map((v, j) => (j === r.length - 1 ? String(v ?? "") : String(v ?? "").padEnd(widths[j] + pad))).join("").trimEnd()).join("\n");
}

/** Ask on the terminal; `true` only for y/Y. */
async function confirm(question) {
  const rl = (await import("node:readline/promises")).createInterface({ input: process.stdin, output: process.stdout });
  try { return /^y$/i.test((await rl.question(question)).trim()); } finally { rl.close(); }
}

function abortOnSigint() {
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  return ac.signal;
}

function print(s) {
  process.stdout.write(s.endsWith("\n") || s === "" ? s : `${s}\n`);
}

async function cmdGet(argv) {
  const o = parse(argv, { ...GLOBAL,
    namespace: { flags: ["-n", "--namespace"] },
    selector: { flags: ["-l", "--selector"], many: true },
    idRe: { flags: ["--id-match-regexp"] },
    output: { flags: ["-o", "--output"], default: "table" },
    watch: { flags: ["-w", "--watch"], bool: true },
  });
  const [kind, id] = o._;
  if (!kind) throw new UsageError("get needs a resource TYPE");
  const c = await connect(o);
  const fmt = (items) => o.output === "yaml" ? omni.resourcesToYaml(items)
    : o.output === "json" ? omni.resourcesToJson(items)
      : c.formatTable(kind, items);
  if (o.watch) {
    const ac = new AbortController();
    process.once("SIGINT", () => ac.abort());
    for await (const ev of c.watch(kind, { id, namespace: o.namespace, selector: o.selector, idMatchRegexp: o.idRe, signal: ac.signal })) {
      if (!ev.resource || !["created", "updated", "destroyed"].includes(ev.type)) continue;
      if (o.output === "yaml") print(`event: ${ev.type}\n${omni.resourcesToYaml([ev.resource])}---`);
      else if (o.output === "json") print(JSON.stringify({ event: ev.type, ...ev.resource }, null, 4));
      else print(`${ev.type === "created" ? "+" : ev.type === "destroyed" ? "-" : " "} ${c.formatTable(kind, [ev.resource]).split("\n")[1] ?? ""}`);
    }
    return 0;
  }
  if (id) {
    const r = await c.get(kind, id, { namespace: o.namespace });
    if (!r) { process.stderr.write(`resource ${kind} ${id} not found\n`); return 1; }
    print(fmt([r]));
  } else {
    print(fmt(await c.list(kind, { namespace: o.namespace, selector: o.selector, idMatchRegexp: o.idRe })));
  }
  return 0;
}

async function cmdApply(argv) {
  const o = parse(argv, { ...GLOBAL, file: { flags: ["-f", "--file"] }, dryRun: { flags: ["-d", "--dry-run"], bool: true } });
  if (!o.file) throw new UsageError("apply needs -f FILE");
  const c = await connect(o);
  const results = await c.apply(fs.readFileSync(o.file, "utf8"), { dryRun: o.dryRun });
  for (const r of results) {
    const m = r.resource.metadata;
    if (o.dryRun && r.diff) print(r.diff);
    print(`${r.action === "create" ? "Created" : r.action === "update" ? "Updated" : "Unchanged"} ${m.type}(${m.namespace}/${m.id})${o.dryRun ? " (dry run)" : ""}`);
  }
  return 0;
}

/** `omnictl edit`: the resources as YAML in $OMNI_EDITOR/$TALOS_EDITOR/$EDITOR, then an update of every changed one with the version it had. */
async function cmdEdit(argv) {
  const o = parse(argv, { ...GLOBAL, namespace: { flags: ["-n", "--namespace"] }, selector: { flags: ["-l", "--selector"], many: true },
    idRe: { flags: ["--id-match-regexp"] }, dryRun: { flags: ["-d", "--dry-run"], bool: true }, verbose: { flags: ["-v", "--verbose"], bool: true } });
  const [kind, id] = o._;
  if (!kind) throw new UsageError("edit needs a resource TYPE");
  const c = await connect(o);
  const items = id ? [await c.get(kind, id, { namespace: o.namespace })].filter(Boolean)
    : await c.list(kind, { namespace: o.namespace, selector: o.selector, idMatchRegexp: o.idRe });
  if (!items.length) { process.stderr.write(`no ${kind} resources found\n`); return 1; }
  const before = omni.resourcesToYaml(items);
  const dir = fs.mkdtempSync(path.join((await import("node:os")).tmpdir(), "omni-edit-"));
  const file = path.join(dir, "edit.yaml");
  fs.writeFileSync(file, before, { mode: 0o600 });
  const editor = process.env.OMNI_EDITOR || process.env.TALOS_EDITOR || process.env.EDITOR || "vi";
  const { spawnSync } = await import("node:child_process");
  const [bin, ...args] = editor.split(/\s+/).filter(Boolean);
  const r = spawnSync(bin, [...args, file], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`editor ${JSON.stringify(editor)} failed`);
  const after = fs.readFileSync(file, "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  if (after === before) { process.stderr.write("Edit cancelled, no changes made.\n"); return 0; }
  const edited = omni.resourcesFromYaml(after); // an invalid edit fails here, before any write
  for (const e of edited) {
    const orig = items.find((x) => x.metadata.type === e.metadata.type && x.metadata.id === e.metadata.id && x.metadata.namespace === e.metadata.namespace);
    if (!orig) throw new Error(`${e.metadata.type}(${e.metadata.id}) was not being edited`);
    if (omni.resourcesToYaml([e]) === omni.resourcesToYaml([orig])) continue;
    e.metadata.version = orig.metadata.version;
    const label = `${e.metadata.type}(${e.metadata.namespace}/${e.metadata.id})`;
    if (o.dryRun) { print(`would update ${label}`); continue; }
    await c.update(e);
    print(`updated ${label}`);
  }
  return 0;
}

async function cmdDelete(argv) {
  const o = parse(argv, { ...GLOBAL, namespace: { flags: ["-n", "--namespace"] }, all: { flags: ["--all"], bool: true }, selector: { flags: ["-l", "--selector"], many: true } });
  const [kind, id] = o._;
  if (!kind) throw new UsageError("delete needs a resource TYPE");
  if (!id && !o.all && !o.selector) throw new UsageError("delete needs an ID, --all or -l SELECTOR");
  const c = await connect(o);
  const res = id ? await c.delete(kind, id, { namespace: o.namespace }) : await c.delete(kind, { namespace: o.namespace, all: o.all, selector: o.selector });
  for (const r of res) if (r.destroyed) print(`destroyed ${r.type} ${r.id}`);
  return 0;
}

function writeOrPrint(file, text) {
  if (file) { fs.writeFileSync(file, text); process.stderr.write(`wrote ${file}\n`); } else print(text);
}

/** The default kubeconfig: the first entry of $KUBECONFIG, else ~/.kube/config. */
function defaultKubeconfig() {
  const first = (process.env.KUBECONFIG ?? "").split(path.delimiter).find(Boolean);
  return first ?? path.join(home(), ".kube", "config");
}

/** Write a downloaded config: merged into an existing file (default), or replacing it with --force / --merge=false. */
function writeConfig(file, text, o, merge) {
  if (file === "-") { print(text); return; }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (fs.existsSync(file) && o.merge !== false) {
    const r = merge(fs.readFileSync(file, "utf8"), text);
    for (const x of r.renamed) process.stderr.write(`${x.message}\n`);
    fs.writeFileSync(file, r.text, { mode: 0o600 });
  } else {
    if (fs.existsSync(file) && !o.force && o.merge === false) throw new UsageError(`${file} exists: use --force to overwrite or --merge`);
    fs.writeFileSync(file, o.forceContextName ? merge("", text).text : text, { mode: 0o600 });
  }
  process.stderr.write(`wrote ${file}\n`);
}

async function cmdKubeconfig(argv) {
  const o = parse(argv, { ...GLOBAL, cluster: { flags: ["-c", "--cluster"] }, breakGlass: { flags: ["--break-glass"], bool: true },
    force: { flags: ["-f", "--force"], bool: true }, forceContextName: { flags: ["--force-context-name"] }, merge: { flags: ["-m", "--merge"], bool: true, default: true },
    serviceAccount: { flags: ["--service-account"], bool: true }, user: { flags: ["--user"] }, groups: { flags: ["--groups"], many: true },
    ttl: { flags: ["--ttl"] }, grantType: { flags: ["--grant-type"] }, oidcDir: { flags: ["--oidc-cache-base-dir"] }, oidcIsolation: { flags: ["--oidc-cache-isolation"], bool: true } });
  if (!o.cluster) throw new UsageError("kubeconfig needs -c CLUSTER");
  if (o.serviceAccount && !o.user) throw new UsageError("--user is required with --service-account");
  const c = await connect(o);
  const text = await c.kubeconfig(o.cluster, {
    breakGlass: o.breakGlass, serviceAccount: o.serviceAccount, serviceAccountUser: o.user,
    serviceAccountGroups: o.serviceAccount ? (o.groups ?? ["system:masters"]) : undefined,
    serviceAccountTtlSeconds: o.serviceAccount ? ttlSeconds(o.ttl ?? "8760h") : undefined, grantType: o.grantType, oidcCacheBaseDir: o.oidcDir, oidcCacheIsolation: o.oidcIsolation,
  });
  writeConfig(o._[0] ?? defaultKubeconfig(), text, o, (existing, incoming) => omni.mergeKubeconfig(existing, incoming, { force: o.force, forceContextName: o.forceContextName }));
  return 0;
}

async function cmdTalosconfig(argv) {
  const o = parse(argv, { ...GLOBAL, cluster: { flags: ["-c", "--cluster"] }, breakGlass: { flags: ["--break-glass"], bool: true },
    force: { flags: ["-f", "--force"], bool: true }, merge: { flags: ["-m", "--merge"], bool: true, default: true } });
  const c = await connect(o);
  const text = await c.talosconfig(o.cluster, { breakGlass: o.breakGlass });
  const file = o._[0] ?? (process.env.TALOSCONFIG || path.join(home(), ".talos", "config"));
  writeConfig(file, text, o, (existing, incoming) => omni.mergeTalosconfig(existing, incoming));
  return 0;
}

/** `omnictl config ...`: local omniconfig editing (no server calls). */
async function cmdConfig(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, url: { flags: ["--url"] }, identity: { flags: ["--identity"] } });
  const file = omniconfigPath(o);
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  const save = (r) => { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, r.text, { mode: 0o600 }); for (const x of r.renamed ?? []) print(x.message); };
  const cfg = () => omni.parseOmniconfig(text ?? omni.editOmniconfig(undefined, { op: "new" }).text);
  switch (sub) {
    case "url": save(omni.editOmniconfig(text, { op: "setUrl", url: o._[0], context: o.context })); return 0;
    case "identity": save(omni.editOmniconfig(text, { op: "setIdentity", identity: o._[0], context: o.context })); return 0;
    case "context": case "use-context": save(omni.editOmniconfig(text, { op: "useContext", name: o._[0] })); return 0;
    case "add": save(omni.editOmniconfig(text, { op: "add", name: o._[0], url: o.url, identity: o.identity })); return 0;
    case "new": save(omni.editOmniconfig(undefined, { op: "new", url: o.url, identity: o.identity })); return 0;
    case "merge": save(omni.editOmniconfig(text, { op: "merge", from: fs.readFileSync(o._[0], "utf8") })); return 0;
    case "contexts": case "get-contexts": {
      const c = cfg();
      print(table([["CURRENT", "NAME", "URL"], ...Object.entries(c.contexts).map(([n, x]) => [n === c.context ? "*" : "", n, x.url])]));
      return 0;
    }
    case "info": {
      const c = cfg();
      const cur = c.contexts[o.context ?? c.context] ?? {};
      print(`Current context:     ${o.context ?? c.context}\nURL:                 ${cur.url ?? ""}\nIdentity:            ${cur.identity ?? ""}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown config command ${JSON.stringify(sub)}`);
  }
}

/** `--ttl 8760h` / `90m` / `3600s` / `30d` → seconds. */
function ttlSeconds(v) {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h|d)?$/.exec(v);
  if (!m) throw new UsageError(`bad --ttl ${JSON.stringify(v)} (use e.g. 8760h)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? "s"];
}

async function cmdServiceAccount(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, role: { flags: ["-r", "--role"] }, useUserRole: { flags: ["-u", "--use-user-role"], bool: true }, ttl: { flags: ["-t", "--ttl"] }, replaceKeyFile: { flags: ["--replace-key-file"] } });
  const c = await connect(o);
  const name = o._[0];
  const envLines = (key) => `OMNI_ENDPOINT=${connectedTo}\nOMNI_SERVICE_ACCOUNT_KEY=${key}`;
  switch (sub) {
    case "create": case "c": {
      if (!name) throw new UsageError("serviceaccount create needs a NAME");
      const key = await c.createServiceAccount(name, { role: o.role, useUserRole: o.role ? false : (o.useUserRole ?? true), ttlSeconds: ttlSeconds(o.ttl) });
      print(`Created service account "${name}"\n\nSet the following environment variables to use the service account:\n${envLines(key)}\n\nNote: Store the service account key securely, it will not be displayed again`);
      return 0;
    }
    case "renew": case "r": {
      if (!name) throw new UsageError("serviceaccount renew needs a NAME");
      // --replace-key-file FILE: the account's old key string, revoked once the new key exists
      const old = o.replaceKeyFile ? fs.readFileSync(o.replaceKeyFile, "utf8").trim() : undefined;
      const key = await c.renewServiceAccount(name, { ttlSeconds: ttlSeconds(o.ttl), replaceKey: old });
      print(`Renewed service account "${name}"\n\n${envLines(key)}`);
      return 0;
    }
    case "list": case "l": {
      const rows = [["NAME", "ROLE", "LAST ACTIVE", "PUBLIC KEY ID", "KEY CREATED", "KEY LAST ACTIVE", "EXPIRATION"]];
      for (const s of await c.listServiceAccounts()) {
        for (const [i, k] of (s.keys.length ? s.keys : [{}]).entries()) {
          rows.push([i ? "" : s.name, i ? "" : s.role, i ? "" : s.lastActive, k.id ?? "", k.created ?? "", k.lastUsed ?? "", k.expiration ?? ""]);
        }
      }
      const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
      print(rows.map((r) => r.map((v, j) => (j === r.length - 1 ? v : v.padEnd(widths[j] + 3))).join("").trimEnd()).join("\n"));
      return 0;
    }
    case "destroy": case "d": {
      if (!name) throw new UsageError("serviceaccount destroy needs a NAME");
      await c.destroyServiceAccount(name);
      print(`destroyed service account "${name}"`);
      return 0;
    }
    default:
      throw new UsageError(`unknown serviceaccount command ${JSON.stringify(sub)}`);
  }
}

/** Print the status tree until healthy or `--wait` runs out (0 = print once). */
async function waitStatus(snapshot, o) {
  const waitSecs = ttlSeconds(o.wait ?? "5m");
  const deadline = Date.now() + waitSecs * 1000;
  let last = "";
  for (;;) {
    const st = await snapshot();
    if (st && st.tree !== last && !o.quiet) { print(st.tree); last = st.tree; }
    if (st?.healthy) return 0;
    if (st && waitSecs === 0) { process.stderr.write("error: cluster is not healthy\n"); return 1; }
    if (Date.now() >= deadline) { process.stderr.write("error: context deadline exceeded\n"); return 1; }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function cmdCluster(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, wait: { flags: ["-w", "--wait"] }, quiet: { flags: ["-q", "--quiet"], bool: true },
    dryRun: { flags: ["-d", "--dry-run"], bool: true }, verbose: { flags: ["-v", "--verbose"], bool: true },
    destroyDisconnected: { flags: ["--destroy-disconnected-machines"], bool: true },
    force: { flags: ["-f", "--force", "--force-etcd-leave"], bool: true }, yes: { flags: ["-y", "--yes-i-am-really-sure"], bool: true },
    timeout: { flags: ["-t", "--timeout", "--wait-timeout"] }, to: { flags: ["--to"] }, name: { flags: ["-n", "--name"] } });
  const c = await connect(o);
  const arg = (what) => { if (!o._[0]) throw new UsageError(`cluster ${sub} needs ${what}`); return o._[0]; };
  switch (sub) {
    case "status": return waitStatus(() => c.clusterStatus(arg("a CLUSTER")), o);
    case "delete": {
      const r = await c.deleteCluster(arg("a CLUSTER"), { dryRun: o.dryRun, destroyDisconnectedMachines: o.destroyDisconnected });
      if ((o.verbose || o.dryRun) && r.diff) print(r.diff);
      for (const a of r.actions) print(a);
      return 0;
    }
    case "lock": case "unlock": {
      const id = arg("a CLUSTER");
      await c.setClusterLocked(id, sub === "lock");
      process.stderr.write(`cluster ${JSON.stringify(id)} lock status: ${sub === "lock"}\n`);
      return 0;
    }
    case "machine": {
      const [op, id] = o._;
      if (!id) throw new UsageError(`cluster machine ${op ?? ""} needs a MACHINE`);
      if (op === "lock" || op === "unlock") { await c.setMachineLocked(id, op === "lock"); return 0; }
      if (op === "delete" || op === "rm" || op === "destroy") {
        const lines = await c.deleteClusterMachine(id, { force: o.force, timeoutMs: (ttlSeconds(o.timeout ?? "5m")) * 1000 });
        for (const l of lines) process.stderr.write(`${l}\n`);
        return 0;
      }
      throw new UsageError(`unknown cluster machine command ${JSON.stringify(op)}`);
    }
    case "kubernetes": case "k": {
      const [op, cluster] = o._;
      if (!cluster) throw new UsageError(`cluster kubernetes ${op ?? ""} needs a CLUSTER`);
      if (op === "upgrade-pre-checks") {
        if (!o.to) throw new UsageError("upgrade-pre-checks needs --to VERSION");
        await c.kubernetesUpgradePreChecks(cluster, o.to);
        print("pre-checks passed");
        return 0;
      }
      if (op === "manifest-sync") {
        // omnictl's default is a dry run; --dry-run=false applies
        const dryRun = !rest.some((a) => a === "--dry-run=false");
        for await (const ev of c.syncManifests(cluster, { dryRun, signal: abortOnSigint() })) {
          if (ev.type === "rollout") { print(` > waiting for ${ev.path}`); continue; }
          print(` > processing manifest ${ev.path}`);
          if (ev.skipped) { print(" < no changes"); continue; }
          print(ev.diff);
          print(dryRun ? " < dry run, change skipped" : " < applied successfully");
        }
        return 0;
      }
      throw new UsageError(`unknown cluster kubernetes command ${JSON.stringify(op)}`);
    }
    case "import": {
      if (o._[0] !== "abort" || !o._[1]) {
        throw new UsageError("cluster import needs direct Talos API access to the nodes, which omni-wasm does not have; only `cluster import abort CLUSTER` is available");
      }
      for (const l of await c.abortClusterImport(o._[1])) process.stderr.write(`${l}\n`);
      return 0;
    }
    case "secret": {
      const [rot, what] = o._;
      if (rot !== "rotate" || !what) throw new UsageError("cluster secret rotate talos-ca|kubernetes-ca|status -n CLUSTER");
      if (!o.name) throw new UsageError("cluster secret rotate needs -n CLUSTER");
      const wait = o.wait === undefined || o.wait === "true";
      if (what !== "status") {
        const st = await c.rotateSecret(o.name, what);
        if (st.phase === "OK") print(`starting to rotate ${what === "talos-ca" ? "Talos CA" : "Kubernetes CA"} for the cluster ${JSON.stringify(o.name)}`);
      }
      const deadline = Date.now() + ttlSeconds(o.timeout ?? "5m") * 1000;
      let st = await c.secretRotationStatus(o.name);
      if (st.phase === "OK" && what !== "status" && wait) {
        // wait for the rotation to start, then for it to finish
        while (st.phase === "OK" && Date.now() < deadline) { await new Promise((r) => setTimeout(r, 500)); st = await c.secretRotationStatus(o.name); }
      }
      if (st.phase === "OK") { print(`no ongoing secret rotation for the cluster ${JSON.stringify(o.name)}`); return 0; }
      if (!wait) { print(`rotation for ${JSON.stringify(st.component)} is in progress(${JSON.stringify(st.phase)}) for the cluster ${JSON.stringify(o.name)}`); return 0; }
      print(`rotation for ${st.component} is in progress ...`);
      while (Date.now() < deadline) {
        st = await c.secretRotationStatus(o.name);
        if (st.phase === "OK") { print(`rotation is completed`); return 0; }
        if (st.step || st.status) print(`${st.status}: ${st.step}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      process.stderr.write("error: timed out waiting for the rotation to complete\n");
      return 1;
    }
    default:
      throw new UsageError(`unknown cluster command ${JSON.stringify(sub)}`);
  }
}

async function cmdUser(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, role: { flags: ["-r", "--role"] } });
  const c = await connect(o);
  switch (sub) {
    case "create":
      if (!o._[0] || !o.role) throw new UsageError("user create EMAIL --role ROLE");
      await c.createUser(o._[0], o.role);
      return 0;
    case "set-role":
      if (!o._[0] || !o.role) throw new UsageError("user set-role EMAIL --role ROLE");
      await c.setUserRole(o._[0], o.role);
      return 0;
    case "delete":
      if (!o._.length) throw new UsageError("user delete EMAIL...");
      for (const e of o._) { await c.deleteUser(e); print(`destroyed user ${e}`); }
      return 0;
    case "list": {
      const rows = [["ID", "EMAIL", "ROLE", "LAST ACTIVE", "LABELS"]];
      for (const u of await c.listUsers()) {
        rows.push([u.id, u.email, u.role, u.lastActive || "Never", Object.entries(u.samlLabels).map(([k, v]) => `${k}=${v}`).sort().join(", ")]);
      }
      print(table(rows));
      return 0;
    }
    default:
      throw new UsageError(`unknown user command ${JSON.stringify(sub)}`);
  }
}

async function cmdMachineLogs(argv) {
  const o = parse(argv, { ...GLOBAL, follow: { flags: ["-f", "--follow"], bool: true }, tail: { flags: ["--tail"], default: "-1" }, format: { flags: ["--log-format"], default: "raw" } });
  if (!o._[0]) throw new UsageError("machine-logs needs a MACHINE");
  const c = await connect(o);
  for await (const line of c.machineLogs(o._[0], { follow: o.follow, tailLines: Number(o.tail), format: o.format, signal: abortOnSigint() })) {
    process.stdout.write(`${line}\n`);
  }
  return 0;
}

async function cmdMachine(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, version: { flags: ["--version"] }, disk: { flags: ["--disk"] } });
  const id = o._[0];
  if (!id) throw new UsageError(`machine ${sub ?? ""} needs a MACHINE`);
  const c = await connect(o);
  switch (sub) {
    case "shutdown": await c.machinePowerOff(id); process.stderr.write(`machine ${JSON.stringify(id)} is shutting down\n`); return 0;
    case "power-on": await c.machinePowerOn(id); process.stderr.write(`machine ${JSON.stringify(id)} power on requested\n`); return 0;
    case "install": case "upgrade": {
      if (sub === "install" && !o.disk) throw new UsageError("--disk is required");
      if (sub === "upgrade" && !o.version) throw new UsageError("--version is required");
      for await (const m of c.maintenanceLifecycle(id, { operation: sub, version: o.version ?? "", disk: o.disk ?? "", signal: abortOnSigint() })) {
        if (m) process.stderr.write(`${m}\n`);
      }
      process.stderr.write(sub === "install" ? `machine ${JSON.stringify(id)}: Talos installed to ${o.disk}\n` : `machine ${JSON.stringify(id)}: Talos upgraded\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown machine command ${JSON.stringify(sub)}`);
  }
}

async function cmdConfigure(argv) {
  const [sub, ...rest] = argv;
  if (sub !== "machine" && sub !== "m") throw new UsageError(`unknown configure command ${JSON.stringify(sub)}`);
  const o = parse(rest, { ...GLOBAL, conn: { flags: ["--siderolink-connection"] }, reset: { flags: ["--reset-node-unique-token"], bool: true } });
  if (!o._.length) throw new UsageError("configure machine needs MACHINE ids");
  const c = await connect(o);
  for (const id of o._) {
    if (o.conn) { const msg = await c.setSiderolinkConnection(id, o.conn); if (msg) print(msg); }
    if (o.reset) { await c.resetNodeUniqueToken(id); print(`reset node unique token for machine ${id}`); }
  }
  return 0;
}

async function cmdSupport(argv) {
  const o = parse(argv, { ...GLOBAL, cluster: { flags: ["-c", "--cluster"] }, output: { flags: ["-O", "--output"] }, verbose: { flags: ["-v", "--verbose"], bool: true },
    noEnc: { flags: ["--no-encryption"], bool: true }, recipients: { flags: ["--encryption-recipients"], many: true }, noDefault: { flags: ["--encryption-no-default-recipients"], bool: true } });
  if (!o.cluster) throw new UsageError("support needs -c CLUSTER");
  if (o.noEnc && (o.recipients || o.noDefault)) throw new UsageError("encryption flags cannot be combined with --no-encryption");
  const out = o._[0] ?? o.output ?? (o.noEnc ? "support.zip" : "support.zip.age");
  const c = await connect(o);
  const errors = [];
  let recipients = [];
  for await (const ev of c.supportBundle(o.cluster, { encrypt: !o.noEnc, encryptionRecipients: o.recipients ?? [], noDefaultRecipients: o.noDefault, signal: abortOnSigint() })) {
    if (ev.type === "progress") {
      if (ev.error) errors.push([ev.source, ev.error]);
      if (o.verbose) process.stderr.write(`${ev.source}: ${ev.state} (${ev.value}/${ev.total})\n`);
    } else if (ev.type === "recipients") recipients = ev.recipients;
    else if (ev.type === "bundle") fs.writeFileSync(out, ev.data);
  }
  if (errors.length) process.stderr.write(`Processed with errors:\n${table([["", "SOURCE", "ERROR"], ...errors.map(([s, e]) => ["", s, e])], 1)}\n`);
  if (recipients.length) process.stderr.write(`Support bundle encrypted to the following recipients:\n${recipients.map((r) => `  - ${r}`).join("\n")}\n`);
  process.stderr.write(`wrote ${out}\n`);
  return 0;
}

async function cmdAuditLog(argv) {
  const o = parse(argv, { ...GLOBAL, search: { flags: ["--search"] }, eventType: { flags: ["--event-type"] }, field: { flags: ["--order-by-field"] }, dir: { flags: ["--order-by-dir"] },
    resourceType: { flags: ["--resource-type"] }, resourceId: { flags: ["--resource-id"] }, clusterId: { flags: ["--cluster-id"] }, actor: { flags: ["--actor"] },
    follow: { flags: ["-f", "--follow"], bool: true }, since: { flags: ["--since"] } });
  const [start, end] = o._;
  if (o.since && start) throw new UsageError("--since cannot be combined with the start argument");
  const enumOf = (prefix, v) => v === undefined ? undefined : `${prefix}_${v.toUpperCase()}`;
  const field = o.field === "event_ts_ms" ? "date" : o.field;
  const c = await connect(o);
  const req = {
    start_time: start, end_time: end, search: o.search, event_type: enumOf("AUDIT_LOG_EVENT_TYPE", o.eventType),
    order_by_field: enumOf("AUDIT_LOG_ORDER_BY_FIELD", field), order_by_dir: enumOf("AUDIT_LOG_ORDER_BY_DIR", o.dir),
    resource_type: o.resourceType, resource_id: o.resourceId, cluster_id: o.clusterId, actor: o.actor, follow: o.follow,
    start_ts_ms: o.since ? Date.now() - ttlSeconds(o.since) * 1000 : undefined, signal: abortOnSigint(),
  };
  for await (const chunk of c.auditLog(req)) process.stdout.write(chunk.data);
  return 0;
}

async function cmdJoinToken(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, ttl: { flags: ["-t", "--ttl"] }, force: { flags: ["-f", "--force"], bool: true }, tokenId: { flags: ["--token-id"] }, tokenName: { flags: ["--token-name"] }, tunnel: { flags: ["--use-grpc-tunnel"], bool: true } });
  const c = await connect(o);
  const id = o._[0];
  const need = () => { if (!id) throw new UsageError(`jointoken ${sub} needs an ID`); return id; };
  const warn = async (op) => {
    const t = await c.getJoinToken(need());
    if (!t.warnings.length || o.force) return;
    process.stderr.write(`WARNING: ${t.warnings.length} of ${t.useCount} machine${t.useCount === 1 ? "" : "s"} won't be able to connect if the token is ${op}d\n`);
    print(table([["MACHINE", "DETAILS"], ...t.warnings.map((w) => [w.machine, w.message])]));
    if (!(await confirm(`Do you still want to ${op} the token? [y/N]: `))) throw new Error("operation was aborted");
  };
  switch (sub) {
    case "create": case "c": print(await c.createJoinToken(need(), { ttlSeconds: ttlSeconds(o.ttl) })); return 0;
    case "list": case "l": {
      const rows = [["ID", "NAME", "STATE", "EXPIRATION", "USE COUNT", "DEFAULT"]];
      for (const t of await c.listJoinTokens()) rows.push([t.id, t.name, t.state, t.expiration ?? "never", String(t.useCount), t.isDefault ? "*" : ""]);
      print(table(rows));
      return 0;
    }
    case "revoke": await warn("revoke"); await c.setJoinTokenRevoked(id, true); print(`token ${JSON.stringify(id)} was revoked`); return 0;
    case "unrevoke": case "ur": await c.setJoinTokenRevoked(need(), false); print(`token ${JSON.stringify(id)} was unrevoked`); return 0;
    case "renew": {
      if (!o.ttl || !ttlSeconds(o.ttl)) throw new UsageError("ttl should be greater than 0");
      await c.renewJoinToken(need(), ttlSeconds(o.ttl));
      print(`token ${JSON.stringify(id)} was renewed, new ttl is ${o.ttl}`);
      return 0;
    }
    case "make-default": case "md": await c.makeDefaultJoinToken(need()); print(`token ${JSON.stringify(id)} is now default`); return 0;
    case "delete": case "d": await warn("delete"); await c.deleteJoinToken(id); print(`deleted join token: ${id}`); return 0;
    case "machine-config": case "mc": case "kernel-args": case "ka": {
      const token = await c.resolveJoinToken({ tokenId: o.tokenId, tokenName: o.tokenName });
      const r = await c.getMachineJoinConfig({ joinToken: token, useGrpcTunnel: o.tunnel });
      print(sub === "machine-config" || sub === "mc" ? r.config : r.kernel_args.join(" "));
      return 0;
    }
    case "omni-endpoint": case "oe": {
      const token = await c.resolveJoinToken({ tokenId: o.tokenId, tokenName: o.tokenName });
      print(await c.joinEndpoint(token));
      return 0;
    }
    default:
      throw new UsageError(`unknown jointoken command ${JSON.stringify(sub)}`);
  }
}

async function cmdInfraProvider(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, ttl: { flags: ["-t", "--ttl"] } });
  const c = await connect(o);
  const name = o._[0];
  const need = () => { if (!name) throw new UsageError(`infraprovider ${sub} needs a NAME`); return name; };
  const env = (key) => `Set the following environment variables to use the service account:\nOMNI_ENDPOINT=${connectedTo}\nOMNI_SERVICE_ACCOUNT_KEY=${key}\n\nNote: Store the service account key securely, it will not be displayed again`;
  switch (sub) {
    case "create": case "c": {
      const key = await c.createInfraProvider(need(), { ttlSeconds: ttlSeconds(o.ttl) });
      print(`Your infra provider ${JSON.stringify(name)} is ready to use\nCreated infra provider service account "infra-provider:${name}"\n\n${env(key)}\nPlease use the endpoint and the service account key to set up the infra provider`);
      return 0;
    }
    case "renewkey": case "r": {
      const key = await c.renewInfraProviderKey(need(), { ttlSeconds: ttlSeconds(o.ttl) });
      print(`Renewed service account "infra-provider:${name}"\n\n${env(key)}`);
      return 0;
    }
    case "list": case "l": {
      const rows = [["ID", "NAME", "VERSION", "DESCRIPTION", "CONNECTED", "ERROR"]];
      for (const p of await c.listInfraProviders()) rows.push([p.id, p.name, p.version, p.description, String(p.connected), p.error]);
      print(table(rows, 4));
      return 0;
    }
    case "delete": case "d": await c.deleteInfraProvider(need()); print(`deleted infra provider: ${name}`); return 0;
    default:
      throw new UsageError(`unknown infraprovider command ${JSON.stringify(sub)}`);
  }
}

async function cmdMedia(argv) {
  const [sub, ...rest0] = argv;
  const preset = sub === "preset";
  const op = preset ? rest0[0] : sub;
  const rest = preset ? rest0.slice(1) : rest0;
  const o = parse(rest, { ...GLOBAL, arch: { flags: ["--arch"] }, talosVersion: { flags: ["--talos-version"] }, extensions: { flags: ["--extensions"], many: true },
    kernelArgs: { flags: ["--extra-kernel-args"], many: true }, labels: { flags: ["--initial-labels"], many: true }, platform: { flags: ["--platform"] },
    overlay: { flags: ["--overlay"] }, overlayOptions: { flags: ["--overlay-options"] }, secureboot: { flags: ["--secureboot"], bool: true },
    joinToken: { flags: ["--join-token"] }, bootloader: { flags: ["--bootloader"] }, machineConfig: { flags: ["--embedded-machine-config-file"] },
    tunnel: { flags: ["--use-siderolink-grpc-tunnel"] }, output: { flags: ["-o", "--output"] }, format: { flags: ["--format"] } });
  const c = await connect(o);
  const name = o._[0];
  if (preset && op === "create") {
    if (!name) throw new UsageError("media preset create needs a NAME");
    const split = (xs) => xs?.flatMap((x) => x.split(",")).filter(Boolean);
    await c.createMediaPreset(name, { arch: o.arch, talosVersion: o.talosVersion, extensions: split(o.extensions), extraKernelArgs: o.kernelArgs,
      initialLabels: split(o.labels), platform: o.platform, overlay: o.overlay, overlayOptions: o.overlayOptions, secureBoot: o.secureboot,
      joinToken: o.joinToken, bootloader: o.bootloader, embeddedMachineConfig: o.machineConfig ? fs.readFileSync(o.machineConfig === "-" ? 0 : o.machineConfig, "utf8") : undefined,
      useSiderolinkGrpcTunnel: o.tunnel === undefined ? undefined : o.tunnel !== "false" });
    print(`Created installation media preset ${JSON.stringify(name)}`);
    return 0;
  }
  if (preset && (op === "list" || op === "ls")) {
    const wide = o.output === "wide";
    if (o.output && !wide) throw new UsageError(`invalid --output value ${JSON.stringify(o.output)}, only "wide" is supported`);
    const head = ["NAME", "ARCH", "TALOS VERSION", "TYPE", "PLATFORM/OVERLAY"];
    const rows = [wide ? [...head, "SECURE BOOT", "EXTENSIONS", "LABELS", "BOOTLOADER", "GRPC TUNNEL", "KERNEL ARGS", "EMBEDDED CONFIG"] : head];
    for (const p of await c.listMediaPresets()) {
      const base = [p.name, p.arch, p.talosVersion, p.kind, p.platformOrOverlay];
      rows.push(wide ? [...base, String(p.secureBoot), p.extensions.join(" ") || "-", Object.entries(p.labels).map(([k, v]) => (v ? `${k}=${v}` : k)).join(" ") || "-",
        p.bootloader, p.grpcTunnel, p.kernelArgs || "-", p.embeddedConfig ? "yes" : "-"] : base);
    }
    print(table(rows));
    return 0;
  }
  if (preset && op === "delete") {
    if (!name) throw new UsageError("media preset delete needs a NAME");
    await c.deleteMediaPreset(name);
    print(`Deleted installation media preset ${JSON.stringify(name)}`);
    return 0;
  }
  if (!preset && op === "download") {
    if (!name) throw new UsageError("media download needs a PRESET");
    const d = await c.mediaDownloadUrl(name, { format: o.format });
    if (d.pxe) { print(d.url); return 0; }
    process.stderr.write("Generating the image...\n");
    const out = o.output && path.extname(o.output) ? o.output : path.join(o.output ?? ".", `${name}-${d.talosVersion}-${d.schematicId.slice(0, 6)}${path.extname(d.fileName)}`);
    const res = await fetch(d.url, { headers: d.authorization ? { authorization: d.authorization } : {} });
    if (res.status >= 400) throw new Error(`failed to download the installation media, error code: ${res.status}, message: ${await res.text()}`);
    process.stderr.write(`Downloading to ${out}\n`);
    fs.writeFileSync(out, Buffer.from(await res.arrayBuffer()));
    process.stderr.write(`Downloaded to ${out}\n`);
    return 0;
  }
  throw new UsageError(`unknown media command ${JSON.stringify([sub, op].join(" "))}`);
}

async function cmdTemplate(argv) {
  const [sub, ...rest] = argv;
  const o = parse(rest, { ...GLOBAL, file: { flags: ["-f", "--file"] }, dryRun: { flags: ["-d", "--dry-run"], bool: true }, cluster: { flags: ["-c", "--cluster"] }, output: { flags: ["-o", "--output"] }, verbose: { flags: ["-v", "--verbose"], bool: true }, wait: { flags: ["-w", "--wait"] }, quiet: { flags: ["-q", "--quiet"], bool: true } });
  if (sub === "export") {
    if (!o.cluster) throw new UsageError("template export needs -c CLUSTER");
    const c = await connect(o);
    writeOrPrint(o.output, await c.templateExport(o.cluster));
    return 0;
  }
  if (!o.file) throw new UsageError(`template ${sub ?? ""} needs -f FILE`);
  const text = fs.readFileSync(o.file, "utf8");
  const files = templateFiles(o.file, text);
  switch (sub) {
    case "validate": {
      const issues = templates.validateTemplate(text, { files });
      if (!issues.length) return 0;
      for (const i of issues) process.stderr.write(`${o.file}:${i.line ?? 0}:${i.column ?? 0}: ${i.message.trimEnd()}\n`);
      return 1;
    }
    case "render":
      print(templates.renderTemplate(text, { files, timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") }));
      return 0;
    case "diff": {
      const c = await connect(o);
      print(await c.templateDiff(text, { files }));
      return 0;
    }
    case "status": {
      const c = await connect(o);
      return waitStatus(() => c.templateStatus(text, { files }), o);
    }
    case "sync":
    case "delete": {
      const c = await connect(o);
      const r = sub === "sync" ? await c.templateSync(text, { files, dryRun: o.dryRun }) : await c.templateDelete(text, { files, dryRun: o.dryRun });
      if (o.verbose && r.diff) print(r.diff);
      for (const a of r.actions) print(a);
      return 0;
    }
    default:
      throw new UsageError(`unknown template command ${JSON.stringify(sub)}`);
  }
}

export async function main(argv) {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "--version": case "-v": case "version":
        print(`omni-wasm ${omni.version()} (${omni.buildFlavor()})`);
        return 0;
      case undefined: case "help": case "--help": case "-h":
        print(USAGE);
        return 0;
      case "get": return await cmdGet(rest);
      case "apply": return await cmdApply(rest);
      case "delete": case "d": return await cmdDelete(rest);
      case "edit": return await cmdEdit(rest);
      case "kubeconfig": return await cmdKubeconfig(rest);
      case "talosconfig": return await cmdTalosconfig(rest);
      case "template": case "t": return await cmdTemplate(rest);
      case "serviceaccount": case "sa": return await cmdServiceAccount(rest);
      case "cluster": case "c": return await cmdCluster(rest);
      case "user": case "u": return await cmdUser(rest);
      case "machine-logs": case "l": return await cmdMachineLogs(rest);
      case "machine": return await cmdMachine(rest);
      case "configure": return await cmdConfigure(rest);
      case "support": return await cmdSupport(rest);
      case "audit-log": return await cmdAuditLog(rest);
      case "config": return await cmdConfig(rest);
      case "jointoken": case "jt": return await cmdJoinToken(rest);
      case "infraprovider": case "ip": return await cmdInfraProvider(rest);
      case "media": case "installation-media": case "im": return await cmdMedia(rest);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e?.name === "TemplateError" && Array.isArray(e.errors)) {
      process.stderr.write(`error: ${e.message.trimEnd()}\n`);
      return 1;
    }
    const msg = String(e?.message ?? e);
    process.stderr.write(`error: ${e?.code && !msg.startsWith(e.code) ? `${e.code}: ` : ""}${msg}\n`);
    return 1;
  }
}
