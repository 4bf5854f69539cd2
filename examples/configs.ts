// Config downloads: a cluster's kubeconfig and talosconfig merged into existing files the way
// `omnictl kubeconfig` / `omnictl talosconfig` merge them (conflicting entries renamed), a
// service-account kubeconfig for CI (no browser login), and the omniconfig for this account,
// parsed and resolved as omnictl would.
//
// Writes into CONFIG_DIR (default: a new temporary directory), never into ~/.kube or ~/.talos.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… CLUSTER=prod npx tsx examples/configs.ts
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OmniClient, mergeKubeconfig, mergeTalosconfig, parseOmniconfig, resolveOmniconfig } from "omni-wasm";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

const omni = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY") });
const cluster = process.env.CLUSTER ?? (await omni.list("clusters"))[0]?.metadata.id;
check(cluster, "a cluster (set CLUSTER)");
const dir = process.env.CONFIG_DIR ?? (await mkdtemp(join(tmpdir(), "omni-configs-")));
await mkdir(dir, { recursive: true });

// kubeconfig: download, merge into the file's current text, write back
const kubeconfigPath = join(dir, "kubeconfig");
const kubeconfig = await omni.kubeconfig(cluster);
check(kubeconfig.startsWith("apiVersion: v1"), "a kubeconfig");
const merged = mergeKubeconfig(await readOrEmpty(kubeconfigPath), kubeconfig);
await writeFile(kubeconfigPath, merged.text, { mode: 0o600 });
console.log(`${kubeconfigPath}: current context ${merged.context}`);
// merging the same cluster again under a name of our choice keeps both entries
const again = mergeKubeconfig(await readOrEmpty(kubeconfigPath), kubeconfig, { forceContextName: `${cluster}-ci` });
for (const r of again.renamed) console.log(`  ${r.message}`);
await writeFile(kubeconfigPath, again.text, { mode: 0o600 });
check(again.context === `${cluster}-ci` && again.text.includes(`name: ${merged.context}`), "both contexts in the file");

// a kubeconfig for a robot: a service-account token with its own user and groups, valid 1 hour
const ci = await omni.kubeconfig(cluster, { serviceAccount: true, serviceAccountUser: "ci-deployer", serviceAccountGroups: ["system:masters"], serviceAccountTtlSeconds: 3600 });
await writeFile(join(dir, "kubeconfig-ci"), ci, { mode: 0o600 });
check(ci.includes("ci-deployer"), "a kubeconfig for the ci-deployer user");
console.log(`${join(dir, "kubeconfig-ci")}: service-account kubeconfig for ci-deployer`);

// talosconfig: for the cluster, merged into an existing talosconfig
const talosconfigPath = join(dir, "talosconfig");
const talos = mergeTalosconfig(await readOrEmpty(talosconfigPath), await omni.talosconfig(cluster));
await writeFile(talosconfigPath, talos.text, { mode: 0o600 });
check(talos.text.includes("contexts:") && talos.context, "a talosconfig with a context");
console.log(`${talosconfigPath}: current context ${talos.context}`);

// omniconfig: what `omnictl` would use for this instance
const omniconfig = await omni.omniconfig();
await writeFile(join(dir, "omniconfig"), omniconfig, { mode: 0o600 });
const parsed = parseOmniconfig(omniconfig);
const target = resolveOmniconfig(omniconfig, { env: {} });
console.log(`omniconfig: context ${parsed.context} → ${target.url} as ${target.identity}`);
check(new URL(target.url).host === new URL(env("OMNI_ENDPOINT")).host, "the omniconfig points at this Omni");
console.log("ok");
