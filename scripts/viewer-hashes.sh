#!/usr/bin/env bash
# Prints the isolated viewer's hashes for this checkout: the SHA-384 of every file the viewer runs
# or loads (as the page's policy and integrity attributes write them), and the SHA-256 of the
# WebAssembly module. Compare them with a release's published hashes, or with what a running
# gatekeeper pins (`gatekeeper check-config` prints the same SHA-384s). Builds pkg/ if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/web/s3_gatekeeper_client_bg.wasm ] || bash scripts/build-pkg.sh >&2
files=(viewer/frame.js viewer/report.js viewer/viewer.css)
while IFS= read -r -d '' file; do files+=("$file"); done < <(find pkg/web -type f \( -name '*.js' -o -name '*.wasm' \) -print0 | sort -z)
python3 - "${files[@]}" <<'PY'
import base64, hashlib, sys
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    print(f"sha384-{base64.b64encode(hashlib.sha384(data).digest()).decode()}  {path}")
wasm = "pkg/web/s3_gatekeeper_client_bg.wasm"
print(f"sha256 {hashlib.sha256(open(wasm, 'rb').read()).hexdigest()}  {wasm}")
PY
