export * from "./omni_wasm.js";
export { default as init, initSync } from "./omni_wasm.js";
