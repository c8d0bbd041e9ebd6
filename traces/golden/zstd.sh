#!/bin/sh
# Writes traces/golden/zstd/<name>.trace: each golden binary trace re-encoded with compressed blocks
# (1.5: modelled blocks, layout 3, where smaller than zstd ones)
# (`coroscope-trace convert --to binary --zstd`). They seed the fuzzer and are checked by
# tests/traces_binary_test.cpp (same trace as the plain twin; bytes per event). regenerate.sh
# runs this after recording; run it alone after changing the block writer.
#
#   traces/golden/zstd.sh BUILD_DIR
set -eu
build=${1:?usage: traces/golden/zstd.sh BUILD_DIR}
tool="$(cd "$build/bin" && pwd)/coroscope-trace"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/zstd"
rm -f "$here"/zstd/*.trace
for trace in "$here"/*.trace; do
    name=$(basename "$trace")
    "$tool" convert "$trace" --to binary --zstd -o "$here/zstd/$name"
    printf '%-32s %6d bytes plain  %6d bytes zstd\n' "$name" "$(wc -c <"$trace")" "$(wc -c <"$here/zstd/$name")"
done
