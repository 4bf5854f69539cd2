// The omni-wasm CLI: omnictl-style commands on the package's Node entry.
// Reads OMNI_ENDPOINT and OMNI_SERVICE_ACCOUNT_KEY (or SIDERO_SERVICE_ACCOUNT_KEY) like omnictl.
import fs from "node:fs";
import path from "node:path";
import * as omni from "./node.js";

const USAGE = `omni-wasm ${omni.version()} — omnictl-style commands on omni-wasm

Usage:
  omni-wasm get TYPE [ID] [-n NS] [-l SELECTOR] [--id-match-regexp RE] [-o table|yaml|json] [-w]
  omni-wasm apply -f FILE [--dry-run]
  omni-wasm delete TYPE [ID] [-n NS] [--all] [-l SELECTOR]
  omni-wasm kubeconfig -c CLUSTER [FILE]
  omni-wasm talosconfig [-c CLUSTER] [FILE]
  omni-wasm template validate|render|diff|sync|delete -f FILE [--dry-run]
  omni-wasm template status -f FILE [-w 5m] [-q]   |   omni-wasm cluster status CLUSTER [-w 0]
  omni-wasm template export -c CLUSTER [-o FILE]
  omni-wasm serviceaccount create NAME [-r ROLE] [-t TTL] | renew NAME [-t TTL] | list | destroy NAME
  omni-wasm --version

Global flags:
  --endpoint URL            Omni endpoint (default: $OMNI_ENDPOINT)
  --transport gateway|grpc-web   (default: gateway)
  --insecure-http           allow http:// to a non-loopback host

Environment: OMNI_ENDPOINT, OMNI_SERVICE_ACCOUNT_KEY (or SIDERO_SERVICE_ACCOUNT_KEY), as omnictl.
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
};

async function connect(o) {
  const endpoint = o.endpoint ?? process.env.OMNI_ENDPOINT;
  const key = process.env.SIDERO_SERVICE_ACCOUNT_KEY ?? process.env.OMNI_SERVICE_ACCOUNT_KEY;
  if (!endpoint) throw new UsageError("no endpoint: set OMNI_ENDPOINT or pass --endpoint");
  if (!key) throw new UsageError("no credentials: set OMNI_SERVICE_ACCOUNT_KEY");
  return omni.OmniClient.connect({ endpoint, serviceAccountKey: key, transport: o.transport, allowInsecureHttp: o.insecure });
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

async function cmdKubeconfig(argv) {
  const o = parse(argv, { ...GLOBAL, cluster: { flags: ["-c", "--cluster"] }, breakGlass: { flags: ["--break-glass"], bool: true } });
  if (!o.cluster) throw new UsageError("kubeconfig needs -c CLUSTER");
  const c = await connect(o);
  writeOrPrint(o._[0], await c.kubeconfig(o.cluster, { breakGlass: o.breakGlass }));
  return 0;
}

async function cmdTalosconfig(argv) {
  const o = parse(argv, { ...GLOBAL, cluster: { flags: ["-c", "--cluster"] }, breakGlass: { flags: ["--break-glass"], bool: true } });
  const c = await connect(o);
  writeOrPrint(o._[0], await c.talosconfig(o.cluster, { breakGlass: o.breakGlass }));
  return 0;
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
  const o = parse(rest, { ...GLOBAL, role: { flags: ["-r", "--role"] }, useUserRole: { flags: ["-u", "--use-user-role"], bool: true }, ttl: { flags: ["-t", "--ttl"] } });
  const c = await connect(o);
  const name = o._[0];
  const envLines = (key) => `OMNI_ENDPOINT=${o.endpoint ?? process.env.OMNI_ENDPOINT}\nOMNI_SERVICE_ACCOUNT_KEY=${key}`;
  switch (sub) {
    case "create": case "c": {
      if (!name) throw new UsageError("serviceaccount create needs a NAME");
      const key = await c.createServiceAccount(name, { role: o.role, useUserRole: o.role ? false : (o.useUserRole ?? true), ttlSeconds: ttlSeconds(o.ttl) });
      print(`Created service account "${name}"\n\nSet the following environment variables to use the service account:\n${envLines(key)}\n\nNote: Store the service account key securely, it will not be displayed again`);
      return 0;
    }
    case "renew": case "r": {
      if (!name) throw new UsageError("serviceaccount renew needs a NAME");
      const key = await c.renewServiceAccount(name, { ttlSeconds: ttlSeconds(o.ttl) });
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
  const o = parse(rest, { ...GLOBAL, wait: { flags: ["-w", "--wait"] }, quiet: { flags: ["-q", "--quiet"], bool: true } });
  if (sub !== "status") throw new UsageError(`unknown cluster command ${JSON.stringify(sub)}`);
  if (!o._[0]) throw new UsageError("cluster status needs a CLUSTER");
  const c = await connect(o);
  return waitStatus(() => c.clusterStatus(o._[0]), o);
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
      const issues = omni.validateTemplate(text, { files });
      if (!issues.length) return 0;
      for (const i of issues) process.stderr.write(`${o.file}:${i.line ?? 0}:${i.column ?? 0}: ${i.message.trimEnd()}\n`);
      return 1;
    }
    case "render":
      print(omni.renderTemplate(text, { files, timestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") }));
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
      case "delete": return await cmdDelete(rest);
      case "kubeconfig": return await cmdKubeconfig(rest);
      case "talosconfig": return await cmdTalosconfig(rest);
      case "template": case "t": return await cmdTemplate(rest);
      case "serviceaccount": case "sa": return await cmdServiceAccount(rest);
      case "cluster": case "c": return await cmdCluster(rest);
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
    process.stderr.write(`error: ${e?.code ? `${e.code}: ` : ""}${e?.message ?? e}\n`);
    return 1;
  }
}
