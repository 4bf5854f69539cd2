// Cluster templates offline, with the template-only build (`omni-wasm/templates`: no network, no
// keys): validate with positions (what an editor marks), render to exactly what
// `omnictl cluster template render` prints, diff a change against resources, and export
// resources back to a template. Nothing here talks to Omni; it runs in Node, a page or a Worker.
//
//   npx tsx examples/templates.ts
import {
  validateTemplate,
  renderTemplate,
  renderTemplateResources,
  diffTemplate,
  exportTemplate,
  type TemplateIssue,
} from "omni-wasm/templates";

/** Validate, and render when valid: what a template editor shows next to the text. */
export function preview(text: string, files: Record<string, string>): { issues: TemplateIssue[]; yaml?: string } {
  const issues = validateTemplate(text, { files });
  if (issues.length) return { issues };
  return { issues, yaml: renderTemplate(text, { files }) };
}

function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const template = (kubernetes: string, workers: string[]) => `kind: Cluster
name: edge-1
kubernetes:
  version: v${kubernetes}
talos:
  version: v1.9.1
patches:
  - file: patches/ntp.yaml
---
kind: ControlPlane
machines:
  - 4c4c4544-0042-3510-8052-b4c04f4e3332
---
kind: Workers
machines:
${workers.map((w) => `  - ${w}`).join("\n")}
patches:
  - name: worker-labels
    inline:
      machine:
        nodeLabels:
          role: edge
`;
// files the template references, keyed by the path written in it (read from disk in a real tool)
const files = { "patches/ntp.yaml": "machine:\n  time:\n    servers:\n      - time.cloudflare.com\n" };
const v1 = template("1.31.4", ["4c4c4544-0042-3510-8052-b4c04f4e3333"]);

// 1. a broken template: the problems of each document (omnictl's texts) with a line and column
const broken = v1.replace("v1.31.4", "latest").replace("patches/ntp.yaml", "patches/missing.yaml");
const { issues } = preview(broken, files);
for (const i of issues) console.log(`cluster.yaml:${i.line}:${i.column}: ${i.message.trimEnd()}`);
const all = issues.map((i) => i.message).join("\n");
check(all.includes("Kubernetes version") && all.includes("patches/missing.yaml"), "both problems reported");
check(issues.every((i) => typeof i.line === "number" && typeof i.column === "number"), "with positions");

// 2. the valid template renders to omnictl's YAML
const { issues: none, yaml } = preview(v1, files);
check(none.length === 0 && yaml, "valid");
console.log(yaml.split("\n").slice(0, 12).join("\n") + "\n…");
const resources = renderTemplateResources(v1, { files });
console.log(`renders to ${resources.length} resources: ${[...new Set(resources.map((r) => String(r.metadata.type)))].join(", ")}`);
check(yaml.includes("type: Clusters.omni.sidero.dev") && resources.length >= 5, "rendered");

// 3. what a change would do to those resources: a Kubernetes upgrade and one more worker
const v2 = template("1.32.0", ["4c4c4544-0042-3510-8052-b4c04f4e3333", "4c4c4544-0042-3510-8052-b4c04f4e3334"]);
const diff = diffTemplate(v2, { files, current: resources });
console.log(diff);
check(diff.includes("kubernetesversion: 1.32.0") && diff.includes("4c4c4544-0042-3510-8052-b4c04f4e3334"), "the diff shows both changes");
check(diffTemplate(v1, { files, current: resources }) === "", "no change, no diff");

// 4. export: resources (e.g. listed from Omni) back to a template, which renders to the same resources
const exported = exportTemplate(resources, { cluster: "edge-1" });
check(diffTemplate(exported, { current: resources }) === "", "the exported template matches the resources");
console.log(`exported template: ${exported.split("\n").length} lines, renders to the same resources`);
console.log("ok");
