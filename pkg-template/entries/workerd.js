// Cloudflare Workers / workerd entry: the .wasm import is a compiled WebAssembly.Module there.
import wasmModule from "./omni_wasm_bg.wasm";
import { initSync } from "./omni_wasm.js";

initSync({ module: wasmModule });

/** Ready at once here (the browser entry's resolves once its wasm is instantiated). */
export const ready = Promise.resolve();

export * from "./index.js";
