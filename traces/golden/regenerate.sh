#!/bin/sh
# Regenerates the golden traces: traces/golden/<name>.trace (binary, as the program recorded it),
# <name>.jsonl (its JSON Lines twin, by `coroscope-trace convert`) and zstd/<name>.trace (the same
# with zstd blocks, by zstd.sh), for the samples that end
# quickly, with a fixed schedule (COROSCOPE_SCHEDULE=random:1) and small arguments.
#
#   traces/golden/regenerate.sh BUILD_DIR        e.g. traces/golden/regenerate.sh build
#
# traces/golden/v1.0/ to v1.4/ are NOT touched: the archives of formats 1.0 to 1.4, kept loadable forever.
set -eu

build=${1:?usage: traces/golden/regenerate.sh BUILD_DIR}
bin=$(cd "$build/bin" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tool="$bin/coroscope-trace"

# name | program arguments | expected exit code   (plain philosophers: > 50 KB as JSON Lines, left out)
samples='
nested||0
pipeline|--seed 1 --items 6|0
timers|--seed 1|0
echo|--clients 2 --messages 3 --seed 1|0
subprocess|--lines 3|0
philosophers-deadlock|--deadlock --seed 1|2
bugs|--seed 1|0
'

echo "$samples" | while IFS='|' read -r name args expect; do
    [ -n "$name" ] || continue
    program="sample-${name%%-*}"
    if [ ! -x "$bin/$program" ]; then
        echo "regenerate: $bin/$program missing; skipped" >&2
        continue
    fi
    trace="$here/$name.trace"
    rm -f "$trace" "$here/$name.jsonl"
    # Timing-sensitive samples (sleep sort) can miss on a busy machine: up to 3 tries.
    for try in 1 2 3; do
        set +e
        # shellcheck disable=SC2086
        COROSCOPE_SCHEDULE=random:1 COROSCOPE_TRACE="$trace" "$bin/$program" $args >/dev/null 2>&1
        code=$?
        set -e
        [ "$code" != "$expect" ] || break
    done
    if [ "$code" != "$expect" ]; then
        echo "regenerate: $program $args exited with $code, expected $expect" >&2
        exit 1
    fi
    "$tool" convert "$trace" --to jsonl -o "$here/$name.jsonl"
    "$tool" validate "$trace" >/dev/null || { "$tool" validate "$trace"; exit 1; }
    printf '%-24s %6d bytes  %6d bytes jsonl\n' "$name" "$(wc -c <"$trace")" "$(wc -c <"$here/$name.jsonl")"
done

# The zstd-block twins (traces/golden/zstd/), from the traces just recorded.
"$here/zstd.sh" "$build"
