#!/usr/bin/env bash
# Crash consistency of the gatekeeper's audit log: the real `gatekeeper serve` process under
# concurrent authorize load, SIGKILLed at random moments and started again, ROUNDS times with the
# SQLite store and ROUNDS times with the PostgreSQL store (in some of those the PostgreSQL
# postmaster is SIGKILLed too and started again).
#
#   bash scripts/crash-test.sh [ROUNDS]          # default 20 (20 SQLite + 20 PostgreSQL rounds)
#   bash scripts/crash-test.sh --sqlite-rounds 4 --postgres-rounds 4
#
# After every restart: `gatekeeper audit verify` passes (with `--receipts` and every receipt
# received so far, when the binary has that option); every grant a client received is in the log
# as granted, with its seq, request bytes and signatures (compared through `gatekeeper audit
# export`); no seq is used twice; a sample of the granted bodies, sent again, is refused as a
# replay and that refusal is in the log. Prints rounds, grants checked and grants lost, and fails
# unless none was lost. The harness is crates/gatekeeper/examples/load.rs; everything listens on
# loopback only. S3GK_LOAD_PROFILE picks the cargo profile: default bench (optimized, as in
# docs/benchmarks.md; the first build takes minutes), or dev for a quicker build.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
profile="${S3GK_LOAD_PROFILE:-bench}"

args=()
case "${1:-}" in
    "") args=(--sqlite-rounds 20 --postgres-rounds 20) ;;
    *[!0-9]*) args=("$@") ;;
    *) args=(--sqlite-rounds "$1" --postgres-rounds "$1") ;;
esac

geo_db="${S3GK_GEO_DB:-$root/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb}"
if [ ! -f "$geo_db" ]; then
    echo "crash-test: no country database at $geo_db: run scripts/setup.sh (or set S3GK_GEO_DB)" >&2
    exit 2
fi

# Builds the gatekeeper, s3-local and the harness, and prints the three executables' paths as
# cargo reports them.
build() {
    cargo build --quiet --profile "$profile" --all-features -p s3gk-gatekeeper -p s3gk-s3-local \
        --bin gatekeeper --bin s3-local --example load --message-format json-render-diagnostics |
        python3 -c '
import json, sys
found = {}
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
        found[msg["target"]["name"]] = msg["executable"]
for name in ("gatekeeper", "s3-local", "load"):
    print(found[name])
'
}

mapfile -t built < <(build)
if [ "${#built[@]}" -ne 3 ]; then
    echo "crash-test: the build did not report the gatekeeper, s3-local and load executables" >&2
    exit 2
fi
# Run copies, so that a build of another checkout sharing CARGO_TARGET_DIR cannot replace them
# during the run.
bindir="$(mktemp -d)"
trap 'rm -rf "$bindir"' EXIT
cp "${built[@]}" "$bindir/"
bins=("$bindir/$(basename "${built[0]}")" "$bindir/$(basename "${built[1]}")" "$bindir/$(basename "${built[2]}")")
"${bins[2]}" crash --gatekeeper "${bins[0]}" --s3-local "${bins[1]}" --geo-db "$geo_db" "${args[@]}"
