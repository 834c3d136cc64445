#!/usr/bin/env bash
# Builds the npm package @s3-gatekeeper/client into pkg/:
#
#   pkg/index.js      "." for bundlers (webpack, Vite, Rollup): the `--target bundler` glue in bundler/
#   pkg/node.js       "." and "./web" under the `node` condition: the web glue, instantiated from
#                     the .wasm read with `fs` (Node 20+, SSR)
#   pkg/web.js        "./web": the `--target web` glue in web/, loaded with `init()`
#   pkg/*.d.ts        the public types, written by hand in js/ (with TS < 5.7 copies in ts5.6/)
#   pkg/viewer/       the isolated viewer: mountViewer (parent.js, parent.d.ts) and the frame's files
#   pkg/package.json  wasm-pack's generated package.json with pkg.json merged over it
#   pkg/README.md     pkg-README.md (for consumers), LICENSE, CHANGELOG.md
#
# Release profile, then `wasm-opt -Oz` run here (wasm-pack is told not to download its own; see
# scripts/wasm-tools.sh for which wasm-opt), then a smoke test that the optimized module still
# instantiates, and the gzipped size of the .wasm. Installs missing tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools
ensure_wasm_opt
export CARGO_TARGET_DIR="$S3GK_WASM_TARGET_DIR"
# Size over speed for the modules only (the gatekeeper's release builds keep opt-level "s"):
# WebCrypto does the bulk work, so the module's own code is never the bottleneck.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
# The browser module's budget, gzipped (docs/benchmarks.md has the breakdown).
BUDGET_GZIP_BYTES=102400
# Reproducible: the module names source files (panic locations); map this machine's folders to
# fixed names, so two clean builds from different folders give the same bytes
# (scripts/check-reproducible.sh).
export CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"$'\x1f'"--remap-path-prefix=$PWD=/s3-gatekeeper"$'\x1f'"--remap-path-prefix=$CARGO_TARGET_DIR=/target"

name=s3_gatekeeper_client
# Built beside pkg/ and swapped in at the end, so a page serving pkg/ never sees half a package.
out=pkg.building
rm -rf "$out"
for target in web bundler; do
    wasm-pack --quiet build --release --target "$target" --out-dir "$out/$target" --out-name "$name" .
    wasm="$out/$target/${name}_bg.wasm"
    "${WASM_OPT[@]}" -Oz -o "$wasm.opt" "$wasm"
    mv "$wasm.opt" "$wasm"
done

# The vendor co-signer for Node: its own small module, so the browser's stays small.
wasm-pack --quiet build --release --target web --out-dir "$PWD/$out/cosigner" --out-name s3gk_cosigner crates/cosigner-wasm
"${WASM_OPT[@]}" -Oz -o "$out/cosigner/s3gk_cosigner_bg.wasm.opt" "$out/cosigner/s3gk_cosigner_bg.wasm"
mv "$out/cosigner/s3gk_cosigner_bg.wasm.opt" "$out/cosigner/s3gk_cosigner_bg.wasm"
rm -f "$out/cosigner/package.json" "$out/cosigner/README.md" "$out/cosigner/.gitignore" "$out/cosigner/"*.d.ts

# One package.json at the root: wasm-pack's (version, name) with pkg.json over it; the per-target
# copies, READMEs and .gitignore files go.
python3 - "$out/bundler/package.json" pkg.json "$out/package.json" <<'PY'
import json, sys
generated, overlay, out = sys.argv[1:]
with open(generated) as f:
    package = json.load(f)
with open(overlay) as f:
    extra = json.load(f)
for field in ("files", "main", "module", "types", "sideEffects", "exports", "collaborators", "repository", "homepage"):
    package.pop(field, None)
package.update(extra)
with open(out, "w") as f:
    json.dump(package, f, indent=2)
    f.write("\n")
PY
cp pkg-README.md "$out/README.md"
cp LICENSE CHANGELOG.md "$out/"
for target in web bundler; do
    rm -f "$out/$target/package.json" "$out/$target/README.md" "$out/$target/.gitignore" "$out/$target/LICENSE"* \
        "$out/$target/${name}.d.ts" "$out/$target/${name}_bg.wasm.d.ts"
done
printf '*\n' > "$out/.gitignore"
# The isolated viewer: mountViewer for the vendor's page, and the frame's own files (which the
# gatekeeper serves from its binary; the same bytes).
mkdir -p "$out/viewer"
cp viewer/*.js viewer/*.d.ts viewer/viewer.css "$out/viewer/"

# The entries re-export the glue's classes and the error module the glue imports (a snippet, under
# a directory named after the crate's hash), so `instanceof GatekeeperError` holds.
snippet() {
    local found
    found="$(cd "$out/$1" && ls -d snippets/*/js/errors.js)"
    [ "$(printf '%s\n' "$found" | wc -l)" = 1 ] || { echo "expected one errors.js snippet in $1: $found" >&2; return 1; }
    printf '%s' "$found"
}
bundler_errors="$(snippet bundler)"
web_errors="$(snippet web)"
cat > "$out/index.js" <<JS
// @s3-gatekeeper/client for bundlers (the WebAssembly module is imported as an ES module).
export { GatekeeperClient, ObjectHandle } from "./bundler/${name}.js";
export { GatekeeperError, ERROR_CODES } from "./bundler/${bundler_errors}";
JS
cat > "$out/web.js" <<JS
// @s3-gatekeeper/client/web: call (and await) the default export, init(), once before anything else.
export { default, initSync, GatekeeperClient, ObjectHandle } from "./web/${name}.js";
export { GatekeeperError, ERROR_CODES } from "./web/${web_errors}";
JS
cat > "$out/node.js" <<JS
// @s3-gatekeeper/client in Node 20+ (and server-side rendering): the module is read from disk and
// instantiated when this file is imported; fetch and WebCrypto are Node's own.
import { readFileSync } from "node:fs";
import { initSync } from "./web/${name}.js";

initSync({ module: readFileSync(new URL("./web/${name}_bg.wasm", import.meta.url)) });

export { GatekeeperClient, ObjectHandle } from "./web/${name}.js";
export { GatekeeperError, ERROR_CODES } from "./web/${web_errors}";

// For "./web" code run in Node: the module is ready once this file is imported.
export { initSync };
export default async function init() {}
JS
cat > "$out/cosigner.js" <<JS
// @s3-gatekeeper/client/cosigner: the vendor co-signer (docs/protocol.md 4.1) for Node, built from
// the protocol crate. Refusals are GatekeeperErrors with the protocol's codes.
import { readFileSync } from "node:fs";
import { initSync, Cosigner as Checked } from "./cosigner/s3gk_cosigner.js";
import { GatekeeperError } from "./web/${web_errors}";

initSync({ module: readFileSync(new URL("./cosigner/s3gk_cosigner_bg.wasm", import.meta.url)) });

function coded(run) {
  try {
    return run();
  } catch (error) {
    if (error && typeof error.code === "string") throw new GatekeeperError(error.message, error.code);
    throw error;
  }
}

export class Cosigner {
  #inner;
  constructor(config) {
    this.#inner = coded(() => new Checked(config));
  }
  get publicKey() {
    return this.#inner.publicKey;
  }
  check(request, now) {
    return coded(() => this.#inner.check(request, now));
  }
  free() {
    this.#inner.free();
  }
}
export { GatekeeperError, ERROR_CODES } from "./web/${web_errors}";
JS
cp js/index.d.ts js/web.d.ts js/cosigner.d.ts "$out/"
# TypeScript before 5.7 has no generic Uint8Array: the same declarations without the argument.
mkdir -p "$out/ts5.6"
for file in index.d.ts web.d.ts cosigner.d.ts; do
    sed 's/Uint8Array<ArrayBuffer>/Uint8Array/g' "js/$file" > "$out/ts5.6/$file"
done

# The optimized module must still instantiate, and its errors must carry their codes.
node --input-type=module - "$PWD/$out/web/$name.js" "$PWD/$out/web/${name}_bg.wasm" <<'JS'
import { readFileSync } from "node:fs";
const [glue, wasm] = process.argv.slice(2);
const { initSync, GatekeeperClient } = await import(glue);
const { GatekeeperError } = await import(new URL("../node.js", new URL(glue, "file://")).href);
initSync({ module: readFileSync(wasm) });
try {
    new GatekeeperClient({});
    throw new Error("an empty configuration was accepted");
} catch (error) {
    if (error.code !== "invalid_config" || !(error instanceof GatekeeperError)) throw error;
}
console.log("smoke test: the optimized module instantiates and reports error codes as GatekeeperErrors");
JS

rm -rf pkg.old
[ -d pkg ] && mv pkg pkg.old
mv "$out" pkg
rm -rf pkg.old

for target in web bundler; do
    wasm="pkg/$target/${name}_bg.wasm"
    printf '%s: %s bytes, %s bytes gzipped (gzip -9)\n' "$wasm" "$(wc -c < "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
done
wasm="pkg/cosigner/s3gk_cosigner_bg.wasm"
printf '%s (Node only): %s bytes, %s bytes gzipped\n' "$wasm" "$(wc -c < "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
size="$(gzip -9 -c "pkg/web/${name}_bg.wasm" | wc -c)"
if [ "$size" -gt "$BUDGET_GZIP_BYTES" ]; then
    echo "the browser module is $size bytes gzipped, over its budget of $BUDGET_GZIP_BYTES" >&2
    exit 1
fi
