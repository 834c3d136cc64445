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

source scripts/load-harness.sh
harness_ready soak
echo "soak: $duration s at each rate"
"${bins[2]}" soak --gatekeeper "${bins[0]}" --s3-local "${bins[1]}" --geo-db "$geo_db" "${args[@]}"
