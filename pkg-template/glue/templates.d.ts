export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";

// Optional options, as the functions accept them (the generated declarations make them required).
import type { TemplateOptions, TemplateIssue } from "./omni_wasm.js";
/**
 * A resource as the template functions take and return it (`spec` as protojson).
 * @inline
 */
type TemplateResource = { metadata: Record<string, unknown>; spec: Record<string, unknown> };
/** Validate a cluster template offline: `[]` when valid, else every problem with its position. */
export declare function validateTemplate(text: string, options?: TemplateOptions): TemplateIssue[];
/**
 * Check a Talos machine-config patch offline as Omni checks it on the server (`validateConfig`):
 * `[]` when Omni would accept it, else the problem with its document, line and column.
 */
export declare function validateConfigPatch(text: string): TemplateIssue[];
/** Render a template to `omnictl cluster template render`'s YAML; throws a TemplateError. */
export declare function renderTemplate(text: string, options?: TemplateOptions): string;
/** Render a template to resource objects `{ metadata, spec }`. */
export declare function renderTemplateResources(text: string, options?: TemplateOptions): TemplateResource[];
/** omnictl's diff of a template against given current resources (empty: no change). */
export declare function diffTemplate(text: string, options?: TemplateOptions & { current?: TemplateResource[] }): string;

/**
 * Resolves once the `.wasm` is instantiated: at once in Node and Workers; in a browser `await` it
 * before the first synchronous call (`OmniClient.connect` waits for it itself).
 */
export declare const ready: Promise<void>;
