// Browser entry: starts fetching and instantiating the wasm next to this file at import, without
// top-level `await` (bundlers' default targets, e.g. Vite's es2020, reject it). `await ready`
// before the first synchronous call; `OmniClient.connect` waits for it itself.
import init from "./omni_wasm.js";

export const ready = init({ module_or_path: new URL("./omni_wasm_bg.wasm", import.meta.url) }).then(() => undefined);

export * from "./index.js";
