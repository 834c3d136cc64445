# Sourced by scripts/build-pkg.sh and scripts/browser-tests.sh: makes sure the WebAssembly tools
# are there, each from a package registry (crates.io, Debian), never a downloaded binary.
# Idempotent: every step checks first.
#
#   ensure_wasm_tools      rustup target, wasm-pack, wasm-bindgen-cli of Cargo.lock's version
#   ensure_wasm_opt        sets WASM_OPT to a wasm-opt that keeps wasm-bindgen's output intact
#   ensure_browser         Debian's chromium and chromedriver
#
# WASM builds use their own target directory, so they never invalidate the native builds'.

S3GK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export S3GK_WASM_TARGET_DIR="${S3GK_WASM_TARGET_DIR:-$HOME/.cache/s3gk-wasm-target}"

wasm_log() { printf '\033[1mwasm-tools:\033[0m %s\n' "$*" >&2; }

# The wasm-bindgen version Cargo.lock pins: the CLI must be exactly this one.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$S3GK_ROOT/Cargo.lock"
}

# `cargo install`, locked to the crate's own lock file when that still resolves, else fresh.
cargo_install() {
    cargo install --locked --quiet "$@" 2>/dev/null || cargo install --quiet "$@"
}

ensure_wasm_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        wasm_log "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    if ! command -v wasm-pack >/dev/null 2>&1; then
        wasm_log "installing wasm-pack from crates.io (a few minutes)"
        cargo_install wasm-pack@0.15.1
    fi
    local want have
    want="$(wasm_bindgen_version)"
    have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
    if [ -z "$want" ]; then
        wasm_log "Cargo.lock pins no wasm-bindgen"
        return 1
    fi
    if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
        wasm_log "installing wasm-bindgen-cli $want from crates.io (about 4 minutes)"
        cargo_install wasm-bindgen-cli --version "$want"
    fi
}

# binaryen before version 116 (Debian bookworm ships 108) rewrites the externref table that
# wasm-bindgen emits into one JS cannot fill ("WebAssembly.Table.set(): Argument 1 is invalid"),
# even with no passes; and another version optimizes differently, so the package would not be
# reproducible. Use the system wasm-opt only if it is this exact version, else npm's `binaryen`
# (the same C++ compiled to WebAssembly, run by Node), installed once under ~/.cache.
BINARYEN_NPM_VERSION=132.0.0
ensure_wasm_opt() {
    local version
    version="$(wasm-opt --version 2>/dev/null | awk '{ print $3 }' || true)"
    if [ "$version" = "${BINARYEN_NPM_VERSION%%.*}" ]; then
        WASM_OPT=(wasm-opt)
        return 0
    fi
    local tools="$HOME/.cache/s3gk-tools"
    local bin="$tools/node_modules/binaryen/bin/wasm-opt"
    if ! node "$bin" --version 2>/dev/null | grep -q "version ${BINARYEN_NPM_VERSION%%.*}"; then
        wasm_log "installing binaryen@$BINARYEN_NPM_VERSION (wasm-opt) from npm into $tools"
        mkdir -p "$tools"
        npm install --prefix "$tools" --no-audit --no-fund --silent "binaryen@$BINARYEN_NPM_VERSION"
    fi
    WASM_OPT=(node "$bin")
}

ensure_browser() {
    if ! command -v chromium >/dev/null 2>&1 || [ ! -x /usr/bin/chromedriver ]; then
        wasm_log "installing chromium and chromium-driver from Debian"
        apt-get update -qq && apt-get install -y -qq chromium chromium-driver
    fi
}
