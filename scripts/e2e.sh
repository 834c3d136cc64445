#!/usr/bin/env bash
# End-to-end tests of the report page: builds the npm package, starts two dev stacks (one that
# allows this machine and one whose ACL denies it), runs e2e/*.test.mjs in headless Chromium with
# playwright-core, and stops the stacks. Screenshots land in target/e2e-artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
source scripts/wasm-tools.sh
ensure_browser
bash scripts/setup.sh >/dev/null

[ -f pkg/web/s3_gatekeeper_client.js ] || bash scripts/build-pkg.sh
cargo build --quiet -p s3gk-devstack
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a dev stack in the background (its pid recorded here, in the main shell, for cleanup).
start_stack() {
    local name="$1"
    shift
    "$CARGO_TARGET_DIR/debug/devstack" --data "$work/$name" --port-base 0 --www www --pkg pkg --json "$@" \
        > "$work/$name.json" 2> "$work/$name.log" &
    pids+=("$!")
}

# Waits for a stack's JSON line and prints it.
stack_json() {
    local name="$1"
    for _ in $(seq 1 600); do
        if [ -s "$work/$name.json" ]; then
            head -n 1 "$work/$name.json"
            return 0
        fi
        sleep 0.2
    done
    echo "dev stack $name did not start:" >&2
    cat "$work/$name.log" >&2
    return 1
}

start_stack allow --seed
start_stack deny --seed --deny-local
E2E_STACK="$(stack_json allow)"
E2E_DENY_STACK="$(stack_json deny)"
export E2E_STACK E2E_DENY_STACK
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$PWD/target/e2e-artifacts}"
node --test e2e/
