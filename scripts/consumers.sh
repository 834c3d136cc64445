#!/usr/bin/env bash
# The npm package as a third party meets it: installs the PACKED tarball (`npm pack` of pkg/) into
# the consumer apps of tests/consumers/ (their other dependencies from the npm registry, pinned by
# tests/consumers/package-lock.json), then:
#
# 1. checks the package: publint, and arethetypeswrong (ESM-only profile);
# 2. type-checks the strict Vite + TypeScript app with TypeScript 5.9 and 7, and with the TS < 5.7
#    declarations' counterpart; builds it with Vite 8 and the webpack 5 app;
# 3. starts a dev stack allowing the apps' origins and runs, against it: the apps in headless
#    Chromium (tests/consumers/browser.test.mjs), the package in Node as server-side code
#    (node/client.test.mjs), and the Node co-signer against the vectors and the live gatekeeper
#    (node/cosigner.test.mjs);
# 4. prints how long each step took.
#
# npm's cache makes a second run quick: `npm ci` is skipped when node_modules matches the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
source scripts/wasm-tools.sh
ensure_browser
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

started=$SECONDS
mark() { printf '==> consumers: %s (%ss)\n' "$1" $((SECONDS - started)); started=$SECONDS; }

[ -f pkg/index.js ] || bash scripts/build-pkg.sh
out="$PWD/target/consumers"
rm -rf "$out" && mkdir -p "$out"
tarball="$out/$(npm pack --silent "$root/pkg" --pack-destination "$out" | tail -n 1)"
printf 'packed %s (%s bytes)\n' "$(basename "$tarball")" "$(wc -c < "$tarball")"
mark "npm pack"

cd tests/consumers
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.s3gk-lock 2>/dev/null || true)" != "$lock_hash" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s' "$lock_hash" > node_modules/.s3gk-lock
fi
mark "npm ci (dependencies)"
npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error "$tarball"
install_done=$SECONDS
mark "npm install of the tarball"

npx --no-install publint run --strict node_modules/@s3-gatekeeper/client
npx --no-install attw --pack node_modules/@s3-gatekeeper/client --profile esm-only \
    --exclude-entrypoints ./web/s3_gatekeeper_client_bg.wasm
mark "publint, arethetypeswrong"

npx --no-install tsc -p vite-app/tsconfig.json
node node_modules/typescript7/bin/tsc -p vite-app/tsconfig.json
mark "type-check (TypeScript 5.9 and 7)"
(cd vite-app && npx --no-install vite build --outDir dist --emptyOutDir)
(cd webpack-app && npx --no-install webpack --config webpack.config.js >/dev/null && cp index.html dist/)
mark "builds (Vite 8, webpack 5)"

cargo build --quiet -p s3gk-devstack
source "$root/scripts/stacks.sh"
stacks_init
vite_port="$(free_port)"
webpack_port="$(free_port)"
start_stack stack "$CARGO_TARGET_DIR/debug/devstack" \
    --cors-origin "http://127.0.0.1:$vite_port" --cors-origin "http://127.0.0.1:$webpack_port" \
    --geo-db "$root/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
S3GK_DEVSTACK_JSON="$(stack_json stack)"
export S3GK_DEVSTACK_JSON CONSUMER_PORTS="vite=$vite_port,webpack=$webpack_port"
export S3GK_VECTORS="$root/vectors"
S3GK_VENDOR_SEED="$(python3 -c 'import base64, json, sys; print(base64.b64encode(bytes.fromhex(json.load(open(sys.argv[1]))["vendor_signing_seed"])).decode())' "$stacks_work/stack/keys.json" 2>/dev/null || true)"
export S3GK_VENDOR_SEED
mark "dev stack"

node --test browser.test.mjs node/
mark "browser and Node consumer tests"
printf 'a strict Vite app from npm install of the tarball to its first decrypted object: %ss plus the time in the page above\n' \
    $((SECONDS - install_done))
