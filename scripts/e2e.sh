#!/usr/bin/env bash
# End-to-end tests of the report page, in both modes: builds the npm package and the gatekeeper's
# CLI (which checks the page's exported receipts against a stack's audit log), starts two dev stacks
# (one that allows this machine, with two vendor renderers pinned for the isolated viewer's tests,
# and one whose ACL denies it), runs e2e/*.test.mjs in headless Chromium with playwright-core, and
# stops the stacks. Screenshots land in target/e2e-artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
source scripts/wasm-tools.sh
ensure_browser
bash scripts/setup.sh >/dev/null

[ -f pkg/web/s3_gatekeeper_client.js ] && [ -d pkg/viewer ] || bash scripts/build-pkg.sh
# The viewer's files as build-pkg.sh copies them, current even when the module was built earlier.
cp viewer/*.js viewer/*.d.ts viewer/viewer.css pkg/viewer/
cargo build --quiet -p s3gk-devstack
source scripts/stacks.sh
stacks_init
# The gatekeeper's CLI, for `audit verify --receipts` on the page's exported receipts; copied as
# soon as it is built, since another checkout sharing CARGO_TARGET_DIR may replace its target/debug/.
cargo build --quiet -p s3gk-gatekeeper --bin gatekeeper
cp "$CARGO_TARGET_DIR/debug/gatekeeper" "$stacks_work/gatekeeper"
export E2E_GATEKEEPER="$stacks_work/gatekeeper"
devstack="$CARGO_TARGET_DIR/debug/devstack"
start_stack allow "$devstack" --www www --pkg pkg --seed \
    --renderer plain=e2e/renderers/plain.js --renderer leaky=e2e/renderers/leaky.js
start_stack deny "$devstack" --www www --pkg pkg --seed --deny-local
E2E_STACK="$(stack_json allow)"
E2E_DENY_STACK="$(stack_json deny)"
export E2E_STACK E2E_DENY_STACK
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$PWD/target/e2e-artifacts}"
node --test e2e/
