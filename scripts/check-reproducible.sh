#!/usr/bin/env bash
# Checks that the npm package builds reproducibly: builds it a second time, clean (its own target
# directory), from a copy of this checkout's source files in another folder, with Cargo's home in
# yet another (as on a machine with another $HOME; the downloaded crates are shared through a link,
# nothing is fetched), and fails unless every file is byte-identical to pkg/ (built by
# scripts/build-pkg.sh). Prints the SHA-256 of both WebAssembly modules and the seconds the second
# build took.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/web/s3_gatekeeper_client_bg.wasm ] || { echo "no pkg/: run scripts/build-pkg.sh first" >&2; exit 1; }
start=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/elsewhere" "$work/cargo-home"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
for shared in registry git; do
    [ -e "$cargo_home/$shared" ] && ln -s "$cargo_home/$shared" "$work/cargo-home/$shared"
done
# The working tree's source files, tracked and new (not ignored): what pkg/ was built from.
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    tar --null -T - -cf - | tar -xf - -C "$work/elsewhere"
if ! (cd "$work/elsewhere" && CARGO_HOME="$work/cargo-home" S3GK_WASM_TARGET_DIR="$work/target" \
    bash scripts/build-pkg.sh) > "$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 1
fi
wasm=web/s3_gatekeeper_client_bg.wasm
printf 'wasm sha256, this build:  %s\n' "$(sha256sum < "pkg/$wasm" | cut -d' ' -f1)"
printf 'wasm sha256, clean build: %s\n' "$(sha256sum < "$work/elsewhere/pkg/$wasm" | cut -d' ' -f1)"
if ! diff -r pkg "$work/elsewhere/pkg"; then
    echo "not reproducible: the files above differ between the two builds" >&2
    exit 1
fi
printf 'reproducible: %s files identical; the second clean build took %ss\n' \
    "$(find pkg -type f | wc -l)" $((SECONDS - start))
