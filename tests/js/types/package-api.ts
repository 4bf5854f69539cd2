// Compile-time check of the package's public types (tsc --noEmit); not executed.
import { version, buildFlavor } from "omni-wasm";
import * as templates from "omni-wasm/templates";

const v: string = version();
const f: string = buildFlavor();
const t: string = templates.version();
export { v, f, t };

import { OmniClient as LiteClient, type Resource } from "omni-wasm/lite";
export async function liteList(endpoint: string, signer: import("omni-wasm/lite").Signer): Promise<Resource[]> {
  const c = await LiteClient.connect({ endpoint, signer });
  return c.list("clusters");
}

// The lite build has no OpenPGP: its types do not offer what it cannot do.
export async function liteHasNoServiceAccountKeys(c: LiteClient): Promise<void> {
  // @ts-expect-error createServiceAccount is full-build only
  await c.createServiceAccount("robot");
  // @ts-expect-error createInfraProvider is full-build only
  await c.createInfraProvider("p");
}

// A template error through the client carries every problem, typed.
import { OmniError } from "omni-wasm";
export function firstProblem(e: unknown): string | undefined {
  if (e instanceof OmniError && e.errors?.length) {
    const p = e.errors[0];
    return `${p.line ?? 0}:${p.column ?? 0}: ${p.message}`;
  }
  return undefined;
}
