// Browser entry: fetches and instantiates the wasm next to this file (top-level await).
import init from "./omni_wasm.js";

await init({ module_or_path: new URL("./omni_wasm_bg.wasm", import.meta.url) });

export * from "./index.js";
