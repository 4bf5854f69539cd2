// Backup and recovery of cluster definitions: export clusters of one Omni as cluster templates
// (`omnictl cluster template export`) into a directory, then restore them into another Omni
// instance — a fresh one after losing the first, or one in another region: validate each
// template offline, check its machines have registered with the new instance, sync it, wait
// until it is healthy, and check it matches the backup.
//
//   OMNI_ENDPOINT=https://old.omni… OMNI_SERVICE_ACCOUNT_KEY=… \
//   OMNI_TARGET_ENDPOINT=https://new.omni… OMNI_TARGET_SERVICE_ACCOUNT_KEY=… \
//   BACKUP_SELECTOR=env=production BACKUP_DIR=./backup npx tsx examples/backup-restore.ts
//
// BACKUP_SELECTOR (a label selector on clusters) is optional: all clusters by default.
// BACKUP_DIR defaults to a new temporary directory.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { OmniClient } from "omni-wasm";
import { renderTemplateResources, validateTemplate } from "omni-wasm/templates";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// ---- backup: read-only on the source ---------------------------------------------------------
const source = await OmniClient.connect({ endpoint: env("OMNI_ENDPOINT"), serviceAccountKey: env("OMNI_SERVICE_ACCOUNT_KEY"), readOnly: true });
const dir = process.env.BACKUP_DIR ?? (await mkdtemp(join(tmpdir(), "omni-backup-")));
await mkdir(dir, { recursive: true });
const selector = env("BACKUP_SELECTOR", "");
const clusters = await source.list("clusters", selector ? { selector } : {});
check(clusters.length > 0, `clusters to back up${selector ? ` (${selector})` : ""}`);

const backedUp = new Map<string, string>();
for (const c of clusters) {
  const text = await source.templateExport(c.metadata.id);
  await writeFile(join(dir, `${c.metadata.id}.yaml`), text);
  backedUp.set(c.metadata.id, text);
  console.log(`backed up ${c.metadata.id} → ${join(dir, `${c.metadata.id}.yaml`)} (${text.split("\n").length} lines)`);
}

// ---- restore into the target ------------------------------------------------------------------
const target = await OmniClient.connect({ endpoint: env("OMNI_TARGET_ENDPOINT"), serviceAccountKey: env("OMNI_TARGET_SERVICE_ACCOUNT_KEY") });
const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();

// check everything before writing anything
const restore: Array<{ name: string; text: string }> = [];
for (const f of files) {
  const text = await readFile(join(dir, f), "utf8");
  const issues = validateTemplate(text);
  if (issues.length) throw new Error(`${f}:${issues[0].line}:${issues[0].column}: ${issues[0].message}`);
  const name = basename(f, ".yaml");
  if (await target.get("clusters", name)) throw new Error(`${name} already exists on the target: not overwriting it`);
  // the machines must have registered with the new instance (they keep their UUIDs)
  const machines = renderTemplateResources(text).filter((r) => r.metadata.type === "MachineSetNodes.omni.sidero.dev").map((r) => String(r.metadata.id));
  const missing = [];
  for (const m of machines) if (!(await target.get("machinestatuses", m))) missing.push(m);
  if (missing.length) throw new Error(`${name}: machines not registered with the target yet: ${missing.join(", ")}`);
  restore.push({ name, text });
}

await Promise.all(restore.map(async ({ name, text }) => {
  const report = await target.templateSync(text);
  console.log(`restored ${name}: ${report.actions.length} resources created`);
  for await (const s of target.templateStatusUpdates(text, { intervalMs: 500, timeoutMs: 30 * 60_000 })) {
    if (s?.healthy) console.log(`${name}: healthy on the target\n${s.tree}`);
  }
}));

// ---- verify: the target holds what the backup says, and exports to the same templates --------
for (const { name, text } of restore) {
  check((await target.templateDiff(text)) === "", `${name} on the target matches the backup`);
  check((await target.templateExport(name)) === backedUp.get(name), `${name} exports the same template from both instances`);
  const [was, now] = [await source.get("clusters", name), await target.get("clusters", name)];
  check(was?.spec.kubernetes_version === now?.spec.kubernetes_version && was?.spec.talos_version === now?.spec.talos_version, `${name} versions`);
}
console.log(`restored ${restore.length} clusters: ${restore.map((r) => r.name).join(", ")}`);
console.log("ok");
