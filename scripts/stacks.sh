#!/usr/bin/env bash
# Dev stacks for the browser, end-to-end and benchmark scripts, sourced by them (not run alone):
#
#   source scripts/stacks.sh
#   stacks_init                      # a work folder and a cleanup trap for every stack started
#   free_port                        # prints a free loopback port (for a page whose origin the
#                                    # stacks must know before it exists)
#   start_stack NAME DEVSTACK ARGS…  # starts DEVSTACK --data WORK/NAME --port-base 0 --json ARGS…
#   stack_json NAME                  # waits for the stack's JSON line and prints it
#
# Stacks run in the caller's background, so the cleanup trap knows every pid; they listen on
# loopback only. Nothing here prints a key.

stacks_init() {
    stacks_work="$(mktemp -d)"
    stacks_pids=()
    trap stacks_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

stacks_cleanup() {
    local pid
    for pid in "${stacks_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${stacks_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$stacks_work"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_stack() {
    local name="$1" devstack="$2"
    shift 2
    "$devstack" --data "$stacks_work/$name" --port-base 0 --json "$@" \
        > "$stacks_work/$name.json" 2> "$stacks_work/$name.log" &
    stacks_pids+=("$!")
}

stack_json() {
    local name="$1" _
    for _ in $(seq 1 600); do
        if [ -s "$stacks_work/$name.json" ]; then
            head -n 1 "$stacks_work/$name.json"
            return 0
        fi
        sleep 0.1
    done
    echo "dev stack $name did not start:" >&2
    cat "$stacks_work/$name.log" >&2
    return 1
}
