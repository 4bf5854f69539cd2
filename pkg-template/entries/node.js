// Node entry: instantiates the wasm synchronously from the file next to this one.
import { readFileSync } from "node:fs";
import { initSync } from "./omni_wasm.js";

initSync({ module: readFileSync(new URL("./omni_wasm_bg.wasm", import.meta.url)) });

/** Ready at once here (the browser entry's resolves once its wasm is instantiated). */
export const ready = Promise.resolve();

export * from "./index.js";
