// The `./web` entry: the same API, loaded by an explicit `init()` (no bundler needed).
export * from "./index.js";

/** What `init` accepts: the module's URL or bytes (default: the `.wasm` beside this file). */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Loads and instantiates the WebAssembly module; call (and await) it once before anything else. */
export default function init(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<unknown>;

/** Instantiates the module synchronously from its bytes or a compiled module. */
export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
