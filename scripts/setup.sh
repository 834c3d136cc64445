#!/usr/bin/env bash
# Installs what the tests and the demo need, from package registries only. Idempotent: each step
# checks first and does nothing when its tool is already there.
#
#   bash scripts/setup.sh            # everything the tests need
#   bash scripts/setup.sh demo       # only what the demo needs (no fuzzer, no PostgreSQL, no linters)
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

ensure_cfn_lint() {
    # Validates deploy/template.yaml (the SAM/CloudFormation deployment).
    if ! command -v cfn-lint >/dev/null 2>&1; then
        log "installing cfn-lint from PyPI"
        python3 -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1.20'
    fi
}

ensure_cargo_fuzz() {
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        log "installing cargo-fuzz from crates.io"
        cargo install --locked --quiet cargo-fuzz@0.13.2
    fi
}

ensure_postgresql() {
    # The PostgreSQL server the gatekeeper's PostgreSQL tests start on a loopback port, from Debian.
    if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
        log "installing PostgreSQL from Debian"
        apt-get update -qq && apt-get install -y -qq postgresql
    fi
}

# Whether node_modules holds package $2 at exactly the version package.json pins.
npm_package_pinned() {
    python3 - "$1" "$2" <<'PY'
import json, sys
root, name = sys.argv[1:]
try:
    wanted = json.load(open(f"{root}/package.json"))["devDependencies"][name]
    have = json.load(open(f"{root}/node_modules/{name}/package.json"))["version"]
except (OSError, KeyError, ValueError):
    sys.exit(1)
sys.exit(0 if have == wanted else 1)
PY
}

ensure_npm_packages() {
    # From package.json and package-lock.json (pinned): the country database the gatekeeper and
    # the dev stack read (@ip-location-db/geo-whois-asn-country-mmdb), playwright-core, which
    # drives Debian's Chromium in the end-to-end tests (it never downloads a browser of its own),
    # and axe-core, which checks the page's accessibility there. An existing node_modules missing
    # any of them, or holding another version of one than package.json pins, is installed afresh.
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ ! -f "$root/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb" ] ||
        ! npm_package_pinned "$root" playwright-core || ! npm_package_pinned "$root" axe-core; then
        if ! command -v npm >/dev/null 2>&1; then
            log "installing Node.js and npm from Debian"
            apt-get update -qq && apt-get install -y -qq nodejs npm
        fi
        log "installing npm packages (country database, playwright-core, axe-core)"
        (cd "$root" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    fi
}

ensure_rust_target
ensure_npm_packages
if [ "${1:-}" != "demo" ]; then
    ensure_python_packages
    ensure_cargo_fuzz
    ensure_cfn_lint
    ensure_postgresql
fi
log "ready"
