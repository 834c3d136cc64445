#!/usr/bin/env bash
# Browser tests of the WASM client (tests/web.rs), headless in Debian's Chromium:
#
# 1. makes sure the tools are there (scripts/wasm-tools.sh: wasm-pack, wasm-bindgen-cli of
#    Cargo.lock's version, chromium and chromedriver);
# 2. builds and starts two dev stacks on free loopback ports, one normal and one whose gatekeeper
#    ACL denies loopback clients (--deny-local), each allowing the test page's origin;
# 3. runs `wasm-pack test --headless --chrome`, handing the stacks' JSON lines to the tests at
#    compile time (S3GK_DEVSTACK_JSON, S3GK_DEVSTACK_DENY_JSON);
# 4. stops the stacks, whatever happened.
#
# Extra arguments go to the test binary, e.g. `bash scripts/browser-tests.sh vectors::`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools
ensure_browser

native_target="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
CARGO_TARGET_DIR="$native_target" cargo build --quiet -p s3gk-devstack

source scripts/stacks.sh
stacks_init
# A free loopback port for the test page (the stacks must know its origin before it exists).
page_port="$(free_port)"
origin="http://127.0.0.1:$page_port"
start_stack allow "$native_target/debug/devstack" --cors-origin "$origin"
start_stack deny "$native_target/debug/devstack" --cors-origin "$origin" --deny-local
S3GK_DEVSTACK_JSON="$(stack_json allow)"
S3GK_DEVSTACK_DENY_JSON="$(stack_json deny)"
export S3GK_DEVSTACK_JSON S3GK_DEVSTACK_DENY_JSON

export CARGO_TARGET_DIR="$S3GK_WASM_TARGET_DIR"
export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$page_port"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"
# The page fetches the stacks with CORS; cross-origin isolation (COEP) would only get in the way.
export WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION=1
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --features test-hooks "$@"
