// webpack 5 needs asyncWebAssembly for the package's WebAssembly ES module (see its README).
import { fileURLToPath } from "node:url";

export default {
  mode: "production",
  entry: "./src/index.js",
  output: { path: fileURLToPath(new URL("./dist", import.meta.url)), clean: true, publicPath: "/" },
  experiments: { asyncWebAssembly: true },
  performance: { hints: false },
};
