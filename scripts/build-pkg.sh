#!/usr/bin/env bash
# Builds the npm package @s3-gatekeeper/client into pkg/:
#
#   pkg/web/       `--target web`: ES module with an `init()` default export (plain <script type=module>)
#   pkg/bundler/   `--target bundler`: for webpack, Vite, Rollup (the package's "." export)
#   pkg/package.json  wasm-pack's generated package.json with pkg.json merged over it
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

# One package.json at the root: wasm-pack's (version, name) with pkg.json over it; the per-target
# copies, READMEs and .gitignore files go.
python3 - "$out/bundler/package.json" pkg.json "$out/package.json" <<'PY'
import json, sys
generated, overlay, out = sys.argv[1:]
with open(generated) as f:
    package = json.load(f)
with open(overlay) as f:
    extra = json.load(f)
for field in ("files", "main", "module", "types", "sideEffects", "exports", "collaborators"):
    package.pop(field, None)
package.update(extra)
with open(out, "w") as f:
    json.dump(package, f, indent=2)
    f.write("\n")
PY
cp README.md "$out/README.md"
for target in web bundler; do
    rm -f "$out/$target/package.json" "$out/$target/README.md" "$out/$target/.gitignore" "$out/$target/LICENSE"*
done
printf '*\n' > "$out/.gitignore"

# The optimized module must still instantiate, and its errors must carry their codes.
node --input-type=module - "$PWD/$out/web/$name.js" "$PWD/$out/web/${name}_bg.wasm" <<'JS'
import { readFileSync } from "node:fs";
const [glue, wasm] = process.argv.slice(2);
const { initSync, GatekeeperClient } = await import(glue);
initSync({ module: readFileSync(wasm) });
try {
    new GatekeeperClient({});
    throw new Error("an empty configuration was accepted");
} catch (error) {
    if (error.code !== "invalid_config") throw error;
}
console.log("smoke test: the optimized module instantiates and reports error codes");
JS

rm -rf pkg.old
[ -d pkg ] && mv pkg pkg.old
mv "$out" pkg
rm -rf pkg.old

for target in web bundler; do
    wasm="pkg/$target/${name}_bg.wasm"
    printf '%s: %s bytes, %s bytes gzipped (gzip -9)\n' "$wasm" "$(wc -c < "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
done
