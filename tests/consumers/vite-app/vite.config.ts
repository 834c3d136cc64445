// Vite 8 builds the package without plugins; `vite dev` needs vite-plugin-wasm (see the
// package README), which this config uses so both work.
import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

export default defineConfig({
  plugins: [wasm()],
  build: { target: "es2022" },
  logLevel: "warn",
});
