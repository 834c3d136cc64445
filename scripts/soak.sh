#!/usr/bin/env bash
# Soak of the gatekeeper process: open-loop load at a constant rate for DURATION seconds at each
# RATE (requests per second; default 500, then 2000), each rate against a fresh `gatekeeper serve`
# with the SQLite store.
#
#   bash scripts/soak.sh DURATION [RATE…]        # e.g. bash scripts/soak.sh 600
#
# The mix: grants (get, put, prefix read), denials (a client address the ACL refuses, a bad vendor
# co-signature, replays) and malformed input (not JSON, bad base64, the wrong media type, a body
# over the limit). Latency is measured from each request's intended send time, so a stall counts
# against every request it delayed. Prints, per rate: requests sent, errors (an answer other than
# its kind's, a 5xx or a transport error), p50/p99/p99.9 latency, the gatekeeper's RSS after the
# warm-up and at the end with the drift, and `gatekeeper audit verify`. Fails on any error or a
# failed verify, and on an RSS drift of 10% or more when DURATION is 300 s or longer. The harness
# is crates/gatekeeper/examples/load.rs; everything listens on loopback only (the denied client
# sends from 127.0.0.2). S3GK_LOAD_PROFILE picks the cargo profile: default bench (optimized, as in
# docs/benchmarks.md; the first build takes minutes), or dev for a quicker build.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
profile="${S3GK_LOAD_PROFILE:-bench}"

if [ "$#" -lt 1 ] || [[ ! "$1" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
    echo "usage: bash scripts/soak.sh DURATION [RATE…]   (seconds at each rate; rates per second, default 500 2000)" >&2
    exit 2
fi
duration="$1"
shift
args=(--duration "$duration")
for rate in "$@"; do
    [[ "$rate" =~ ^[1-9][0-9]*$ ]] || { echo "soak: not a rate: $rate" >&2; exit 2; }
    args+=(--rate "$rate")
done
if [ "$duration" -ge 300 ]; then
    args+=(--fail-on-drift)
fi

geo_db="${S3GK_GEO_DB:-$root/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb}"
if [ ! -f "$geo_db" ]; then
    echo "soak: no country database at $geo_db: run scripts/setup.sh (or set S3GK_GEO_DB)" >&2
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
    echo "soak: the build did not report the gatekeeper, s3-local and load executables" >&2
    exit 2
fi
# Run copies, so that a build of another checkout sharing CARGO_TARGET_DIR cannot replace them
# during the run.
bindir="$(mktemp -d)"
trap 'rm -rf "$bindir"' EXIT
cp "${built[@]}" "$bindir/"
bins=("$bindir/$(basename "${built[0]}")" "$bindir/$(basename "${built[1]}")" "$bindir/$(basename "${built[2]}")")
echo "soak: $duration s at each rate, profile $profile, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
"${bins[2]}" soak --gatekeeper "${bins[0]}" --s3-local "${bins[1]}" --geo-db "$geo_db" "${args[@]}"
