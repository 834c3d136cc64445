#!/usr/bin/env bash
# The browser benchmark (benches/browser_stack.rs), headless in Debian's Chromium, against a real
# dev stack. It prints figures; it never fails on timing.
#
# 1. makes sure the tools are there (scripts/wasm-tools.sh);
# 2. builds the dev stack with optimisations (`--profile bench`: S3 and the gatekeeper should not
#    be what is measured) and starts it on free loopback ports, allowing the page's origin;
# 3. runs `cargo bench --bench browser_stack` for wasm32 through wasm-bindgen-test-runner, handing
#    the stack's JSON line and its master key (a throwaway key of this run's stack) to the
#    benchmark at compile time (S3GK_DEVSTACK_JSON, S3GK_BENCH_MASTER_KEY);
# 4. prints the figures with the machine's state, and stops the stack whatever happened.
#
#   S3GK_BENCH_RUNS=7 S3GK_BENCH_SMALL_RUNS=20 bash scripts/bench-browser.sh   # the defaults
#
# Builds go to their own directories (S3GK_BENCH_NATIVE_TARGET_DIR, S3GK_BENCH_WASM_TARGET_DIR),
# so a benchmark never invalidates the test runs' builds, nor waits for their locks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools
ensure_browser

native_target="${S3GK_BENCH_NATIVE_TARGET_DIR:-$HOME/.cache/s3gk-bench-native-target}"
wasm_target="${S3GK_BENCH_WASM_TARGET_DIR:-$HOME/.cache/s3gk-wasm-bench-target}"
CARGO_TARGET_DIR="$native_target" cargo build --quiet --profile bench -p s3gk-devstack
devstack="$native_target/release/devstack"

source scripts/stacks.sh
stacks_init
# A free loopback port for the benchmark page (the stack must know its origin before it exists).
page_port="$(free_port)"
origin="http://127.0.0.1:$page_port"
start_stack stack "$devstack" --cors-origin "$origin" \
    --geo-db "$PWD/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
S3GK_DEVSTACK_JSON="$(stack_json stack)"
S3GK_BENCH_MASTER_KEY="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["master_key"])' \
    "$stacks_work/stack/keys.json")"
export S3GK_DEVSTACK_JSON S3GK_BENCH_MASTER_KEY

machine() {
    printf 'machine: %s cores, %s, load average %s\n' "$(nproc)" \
        "$(chromium --version 2>/dev/null | awk '{ print $1, $2 }')" "$(awk '{ print $1, $2, $3 }' /proc/loadavg)"
}

export CARGO_TARGET_DIR="$wasm_target"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$page_port"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-1800}"
# The page fetches the stack with CORS; cross-origin isolation (COEP) would only get in the way.
export WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION=1
# Build first, so the machine's load below is the run's, not the compiler's.
cargo bench --quiet --target wasm32-unknown-unknown --features test-hooks --bench browser_stack --no-run
before="$(machine)"
# The browser's resident memory (every chromium process), sampled while the benchmark runs.
( while sleep 0.2; do ps -eo rss=,args= | awk '$2 ~ /chrom/ { s += $1 } END { print s + 0 }'; done > "$stacks_work/rss.log" ) &
stacks_pids+=("$!")
cargo bench --target wasm32-unknown-unknown --features test-hooks --bench browser_stack 2>&1 | tee "$stacks_work/bench.log"

# The figures again, as one block: the benchmark's lines are the ones after its first heading.
printf '\n==== s3-gatekeeper browser benchmark (%s) ====\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%s (before)\n%s (after)\n' "$before" "$(machine)"
sed -n '/^64 MiB object/,/^    (fetch + decrypt)/p' "$stacks_work/bench.log"
sed -n '/MiB upload from a disk-backed File/,/progress callbacks/p' "$stacks_work/bench.log"
printf 'browser processes, resident memory: peak %s MiB over the run
' \
    "$(sort -n "$stacks_work/rss.log" | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }')"
