#!/usr/bin/env bash
# Before/after check for speed work that must not change what is read: runs two `agentstat`
# binaries over the same transcripts and compares, byte for byte,
#   - `scan --json` (every session's telemetry and counts),
#   - `scan --max-warnings 100000` (the summary: records read, skipped, ignored by reason, and
#     every warning with its file and line),
# and, when two `session_json` example binaries are given, every session in full (events, texts,
# tool inputs and outputs; compared by hash, never printed).
#
#   scripts/bench/same_scan.sh BEFORE_BIN AFTER_BIN [BEFORE_SESSION_JSON AFTER_SESSION_JSON] [-- PATH…]
#
# Build the "before" binaries from the base commit first (and copy them away), e.g.
#   cargo build --release -p agentstat && cp target/release/agentstat /tmp/agentstat_before
#   cargo build --release -p agentstat-ingest --example session_json \
#     && cp target/release/examples/session_json /tmp/session_json_before
# PATHs default to the real corpus (../shared/corpus from the project root) and each of its
# public-checkpoints folders. A fake HOME and a fixed salt keep the runs hermetic.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
before="$1"
after="$2"
shift 2
sj_before=""
sj_after=""
if [[ $# -ge 2 && "$1" != "--" ]]; then
    sj_before="$1"
    sj_after="$2"
    shift 2
fi
[[ "${1:-}" == "--" ]] && shift
paths=("$@")
if [[ ${#paths[@]} -eq 0 ]]; then
    corpus="$root/../shared/corpus"
    paths=("$corpus")
    for d in "$corpus"/public-checkpoints/*/; do
        paths+=("${d%/}")
    done
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home/.config"
run() {
    env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" \
        AGENTSTAT_SALT=same-scan "$@"
}

fail=0
compare() {
    local what="$1" a="$2" b="$3"
    if cmp -s "$a" "$b"; then
        echo "same: $what ($(wc -c <"$a") bytes)"
    else
        echo "DIFFERENT: $what"
        fail=1
    fi
}

for p in "${paths[@]}"; do
    run "$before" scan --json "$p" >"$tmp/b.json" 2>"$tmp/b.err" || true
    run "$after" scan --json "$p" >"$tmp/a.json" 2>"$tmp/a.err" || true
    compare "scan --json $p" "$tmp/b.json" "$tmp/a.json"
    compare "scan --json stderr $p" "$tmp/b.err" "$tmp/a.err"
    run "$before" scan --max-warnings 100000 "$p" >"$tmp/b.txt" 2>&1 || true
    run "$after" scan --max-warnings 100000 "$p" >"$tmp/a.txt" 2>&1 || true
    compare "scan summary and warnings $p" "$tmp/b.txt" "$tmp/a.txt"
    if [[ -n "$sj_before" ]]; then
        run "$sj_before" "$p" | sha256sum >"$tmp/b.sj"
        run "$sj_after" "$p" | sha256sum >"$tmp/a.sj"
        compare "every session in full (session_json) $p" "$tmp/b.sj" "$tmp/a.sj"
    fi
done
if [[ $fail -ne 0 ]]; then
    echo "outputs differ"
    exit 1
fi
echo "all outputs identical"
