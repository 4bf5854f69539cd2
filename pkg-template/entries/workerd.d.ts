export * from "./index.js";
/**
 * Resolves once the `.wasm` is instantiated: at once in Node and Workers; in a browser `await` it
 * before the first synchronous call (`OmniClient.connect` waits for it itself).
 */
export declare const ready: Promise<void>;
