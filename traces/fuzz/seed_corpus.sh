#!/bin/sh
# Fills DIR with a fresh copy of the fuzzer's seed corpus: every golden trace (binary, JSON Lines,
# zstd blocks, the format archives). libFuzzer adds what it finds to DIR, so the checked-in goldens
# are never touched.
#
#   traces/fuzz/seed_corpus.sh DIR
set -eu
dir=${1:?usage: traces/fuzz/seed_corpus.sh DIR}
golden=$(cd "$(dirname "$0")/../golden" && pwd)
rm -rf "$dir"
mkdir -p "$dir"
find "$golden" -type f \( -name '*.trace' -o -name '*.jsonl' \) | while read -r f; do
    rel=${f#"$golden"/}
    cp "$f" "$dir/$(echo "$rel" | tr '/' '_')"
done
echo "fuzz: $(ls "$dir" | wc -l) seed traces in $dir"
