#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) and checks their coverage floors.
#
#   bash scripts/fuzz.sh smoke [TARGET...]   each target FUZZ_SECONDS (default 20) from its seeds
#                                            alone; fails if a target crashes or ends below the
#                                            edge count fuzz/floors.txt gives it (the test command)
#   bash scripts/fuzz.sh long [TARGET...]    each target until FUZZ_LONG_RUNS executions (default
#                                            10 million) or FUZZ_LONG_SECONDS (default 1800), with
#                                            a corpus kept in fuzz/corpus/TARGET between runs
#
# Both first regenerate the seed corpora and dictionaries into fuzz/seeds/ from vectors/ and the
# shipped configuration files (`s3gk-vectors fuzz-seeds`), so they always match the current
# vectors and input formats. A crash leaves its input in fuzz/artifacts/TARGET/ and fails the run;
# each target's libFuzzer output is kept in fuzz/logs/MODE-TARGET.log. docs/fuzzing.md describes
# the targets, their oracles and how to raise a floor.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

mode="${1:-smoke}"
shift || true
case "$mode" in
    smoke | long) ;;
    *)
        echo "usage: bash scripts/fuzz.sh smoke|long [TARGET...]" >&2
        exit 2
        ;;
esac

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/s3gk-target}"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
FUZZ_LONG_SECONDS="${FUZZ_LONG_SECONDS:-1800}"
FUZZ_LONG_RUNS="${FUZZ_LONG_RUNS:-10000000}"

# cargo-fuzz needs nightly features: use the nightly toolchain if present, else let the stable
# compiler accept them for these builds only.
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

floors="$root/fuzz/floors.txt"
floor_of() { awk -v t="$1" '$1 == t { print $2 }' "$floors"; }
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(awk '!/^#/ && NF { print $1 }' "$floors")
fi

cargo run --quiet -p s3gk-vectors -- fuzz-seeds . fuzz/seeds
(cd fuzz && cargo "${toolchain[@]}" fuzz build --sanitizer none)
mkdir -p fuzz/logs

# The last number libFuzzer printed after `$2:` (0 if none).
last_number() { grep -o "$2: *[0-9]*" "$1" | tail -1 | grep -o '[0-9]*$' || echo 0; }

# start_cov: coverage once the corpus is loaded (the seeds alone in smoke mode); cov: at the end.
failed=()
printf '%-16s %9s %9s %7s %12s %9s\n' target start_cov cov floor execs exec/s >fuzz/logs/$mode-summary.txt
for target in "${targets[@]}"; do
    floor="$(floor_of "$target")"
    if [ -z "$floor" ]; then
        echo "fuzz: no floor for $target in fuzz/floors.txt" >&2
        failed+=("$target")
        continue
    fi
    log="$root/fuzz/logs/$mode-$target.log"
    if [ "$mode" = smoke ]; then
        # A fresh corpus each time: the run starts from the seeds alone, so its coverage does not
        # depend on earlier runs.
        corpus="$(mktemp -d)"
        budget=(-max_total_time="$FUZZ_SECONDS")
    else
        corpus="$root/fuzz/corpus/$target"
        mkdir -p "$corpus"
        budget=(-max_total_time="$FUZZ_LONG_SECONDS" -runs="$FUZZ_LONG_RUNS")
    fi
    mkdir -p "fuzz/artifacts/$target"
    status=0
    (cd fuzz && cargo "${toolchain[@]}" fuzz run --sanitizer none "$target" "$corpus" "$root/fuzz/seeds/$target" -- \
        "${budget[@]}" -dict="$root/fuzz/seeds/$target.dict" -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -timeout=20 -print_final_stats=1 -artifact_prefix="$root/fuzz/artifacts/$target/") >"$log" 2>&1 || status=$?
    [ "$mode" = smoke ] && rm -rf "$corpus"
    seeded="$(grep -m1 'INITED' "$log" | grep -o 'cov: *[0-9]*' | grep -o '[0-9]*$' || echo 0)"
    cov="$(last_number "$log" cov)"
    execs="$(last_number "$log" 'stat::number_of_executed_units')"
    rate="$(last_number "$log" 'stat::average_exec_per_sec')"
    printf '%-16s %9s %9s %7s %12s %9s\n' "$target" "$seeded" "$cov" "$floor" "$execs" "$rate" >>fuzz/logs/$mode-summary.txt
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target failed (exit $status); the end of $log:" >&2
        tail -40 "$log" >&2
        failed+=("$target")
    elif [ "$cov" -lt "$floor" ]; then
        echo "fuzz: $target reached $cov edges, below its floor of $floor (fuzz/floors.txt)" >&2
        failed+=("$target")
    fi
done
cat fuzz/logs/$mode-summary.txt
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
