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

args=()
case "${1:-}" in
    "") args=(--sqlite-rounds 20 --postgres-rounds 20) ;;
    *[!0-9]*) args=("$@") ;;
    *) args=(--sqlite-rounds "$1" --postgres-rounds "$1") ;;
esac

source scripts/load-harness.sh
harness_ready crash-test
"${bins[2]}" crash --gatekeeper "${bins[0]}" --s3-local "${bins[1]}" --geo-db "$geo_db" "${args[@]}"
