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
