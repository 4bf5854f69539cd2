// High-level API of the template-only build: everything the wasm exports, plus idioms.
export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";
