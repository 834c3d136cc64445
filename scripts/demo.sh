#!/usr/bin/env bash
# The demo, on embedded defaults: installs what is missing, builds the npm package, and starts one
# process with an S3-compatible store, the gatekeeper, a vendor co-signer with a demo login and the
# report page, seeded with a sample ticket. It prints the page URL and the demo logins.
# Data and keys live in .devstack/ and survive restarts. Stop it with Ctrl-C.
#
#   bash scripts/demo.sh            # page on http://127.0.0.1:8080/ (DEMO_PORT to change)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"

bash scripts/setup.sh demo
if [ ! -f pkg/viewer/parent.js ] || [ -n "$(find src crates/protocol/src viewer Cargo.toml pkg.json -newer pkg/web/s3_gatekeeper_client_bg.wasm -print -quit)" ]; then
    bash scripts/build-pkg.sh
fi
cargo build --quiet -p s3gk-devstack
exec "$CARGO_TARGET_DIR/debug/devstack" --data .devstack --seed --www www --pkg pkg --port-base "${DEMO_PORT:-8080}"
