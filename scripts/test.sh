#!/usr/bin/env bash
# Runs every test of s3-gatekeeper. This is the command the README names and `.ci/run` calls.
# It installs what is missing first (scripts/setup.sh), so it works on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# Builds are slow on small machines: keep them outside the clone so later runs reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

passed=0
failed=0
failures=()
step() {
    local name="$1"
    shift
    printf '\n\033[1m==> %s\033[0m\n' "$name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        printf '==> %s: ok (%ss)\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf '==> %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
    fi
}

# A committed symbolic link resolves differently on every machine (an absolute one dangles or
# loops): none may be in the repository.
no_symlinks() {
    local links
    links="$(git ls-files -s | awk '$1 == "120000" { print $4 }')"
    [ -z "$links" ] || { printf 'committed symbolic links:\n%s\n' "$links"; return 1; }
}

vectors_unchanged() {
    cargo run --quiet -p s3gk-vectors -- generate vectors &&
        git diff --exit-code --stat -- vectors &&
        test -z "$(git status --porcelain --untracked-files=all -- vectors)"
}

interop() {
    local out
    out="$(mktemp -d)/interop-signature.txt"
    python3 scripts/interop.py --vectors vectors --sign "$out" &&
        cargo run --quiet -p s3gk-vectors -- check-interop "$out"
}

step "setup" bash scripts/setup.sh
step "no committed symbolic links" no_symlinks
step "no import cycles between modules" python3 scripts/check-import-cycles.py src crates/*/src
step "rustfmt" cargo fmt --all --check
step "clippy" cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
step "protocol builds for wasm32" cargo build --quiet -p s3gk-protocol --target wasm32-unknown-unknown
step "rustdoc (broken links denied)" env RUSTDOCFLAGS="-D warnings" cargo doc --quiet --workspace --no-deps
step "test vectors regenerate identically" vectors_unchanged
step "cargo test" cargo test --workspace --all-features
step "interop: python from the spec" interop
step "deployment template (cfn-lint)" cfn-lint deploy/template.yaml
step "vendor co-sign example against the vectors" bash -c 'python3 examples/vendor_cosign.py vectors/cosign-*.txt'
step "README examples are tested code" python3 scripts/check-readme.py
step "ERROR_CODES name every code a client can meet" python3 scripts/check-error-codes.py
step "npm package (web + bundler, gzipped size)" bash scripts/build-pkg.sh
step "npm package is reproducible (a second clean build elsewhere)" bash scripts/check-reproducible.sh
step "browser tests (wasm-pack test, headless Chromium)" bash scripts/browser-tests.sh
step "end-to-end page tests (Playwright, Chromium)" bash scripts/e2e.sh
step "npm consumers: the packed tarball in Vite, webpack and Node (publint, attw, TS 5.9 and 7)" bash scripts/consumers.sh
step "crash consistency (4 SQLite + 4 PostgreSQL rounds of SIGKILL under load)" bash scripts/crash-test.sh 4
step "soak (10 s at 500/s, then 10 s at 2000/s)" bash scripts/soak.sh 10
step "fuzz smoke (${FUZZ_SECONDS}s per target, coverage floors)" env FUZZ_SECONDS="$FUZZ_SECONDS" bash scripts/fuzz.sh smoke

printf '\n'
if [ "$failed" -ne 0 ]; then
    printf 'failed steps: %s\n' "${failures[*]}"
fi
printf 'steps: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
