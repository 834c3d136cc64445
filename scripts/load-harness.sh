# The load harness's set-up, sourced by scripts/crash-test.sh and scripts/soak.sh (not run alone):
#
#   source scripts/load-harness.sh
#   harness_ready NAME      # sets geo_db and bins=(gatekeeper s3-local load), or exits 2
#
# It finds the country database (scripts/setup.sh installs it; $S3GK_GEO_DB overrides), builds the
# gatekeeper, s3-local and the harness (crates/gatekeeper/examples/load.rs) with the cargo profile
# $S3GK_LOAD_PROFILE (default bench: optimized, as in docs/benchmarks.md; dev builds quicker), and
# copies the three executables to a folder of their own, removed on exit, so that a build of
# another checkout sharing CARGO_TARGET_DIR cannot replace them during the run.

harness_ready() {
    local name="$1" profile="${S3GK_LOAD_PROFILE:-bench}" built
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
    geo_db="${S3GK_GEO_DB:-$PWD/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb}"
    if [ ! -f "$geo_db" ]; then
        echo "$name: no country database at $geo_db: run scripts/setup.sh (or set S3GK_GEO_DB)" >&2
        exit 2
    fi
    # The executables' paths as cargo reports them.
    mapfile -t built < <(
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
    )
    if [ "${#built[@]}" -ne 3 ]; then
        echo "$name: the build did not report the gatekeeper, s3-local and load executables" >&2
        exit 2
    fi
    harness_bindir="$(mktemp -d)"
    trap 'rm -rf "$harness_bindir"' EXIT
    cp "${built[@]}" "$harness_bindir/"
    bins=()
    local b
    for b in "${built[@]}"; do bins+=("$harness_bindir/$(basename "$b")"); done
    echo "$name: profile $profile, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
}
