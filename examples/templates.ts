// Offline template preview with the template-only build. Type-checked by `make test-types`.
import { validateTemplate, renderTemplate, type TemplateIssue } from "omni-wasm/templates";

export function preview(text: string, files: Record<string, string>): { issues: TemplateIssue[]; yaml?: string } {
  const issues = validateTemplate(text, { files });
  if (issues.length) return { issues };
  return { issues, yaml: renderTemplate(text, { files }) };
}
