#!/usr/bin/env bash
# Installs what the tests and the demo need, from package registries only. Idempotent: each step
# checks first and does nothing when its tool is already there.
#
#   bash scripts/setup.sh            # everything the tests need
set -euo pipefail

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

ensure_rust_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        log "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_python_packages() {
    # PyNaCl (libsodium) and cryptography for scripts/interop.py, the spec's second implementation.
    if ! python3 -c 'import nacl.signing, cryptography.hazmat.primitives.ciphers.aead' 2>/dev/null; then
        log "installing PyNaCl and cryptography from PyPI"
        python3 -m pip install --quiet --disable-pip-version-check 'pynacl>=1.5' 'cryptography>=42'
    fi
}

ensure_cargo_fuzz() {
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        log "installing cargo-fuzz from crates.io"
        cargo install --locked --quiet cargo-fuzz@0.13.2
    fi
}

ensure_rust_target
ensure_python_packages
ensure_cargo_fuzz
log "ready"
