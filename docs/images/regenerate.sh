#!/bin/sh
# Regenerates every screenshot the READMEs show (README.md, gui/README.md) with the app's own
# --screenshot, on the golden traces, under a virtual X server of the window's default size.
# A fresh XDG_CONFIG_HOME keeps the user's layout and recent files out of the pictures.
# Usage: docs/images/regenerate.sh [BUILD_DIR]   (default: build; needs coroscope and the samples)
# Look at each PNG before committing it.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
bin=$(cd "$build/bin" && pwd)
out=$root/docs/images
golden=$root/traces/golden
config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT

# shot NAME ARGS...: coroscope ARGS --screenshot docs/images/NAME.png
shot() {
    name=$1
    shift
    XDG_CONFIG_HOME=$config xvfb-run -a -s "-screen 0 1600x1000x24" \
        "$bin/coroscope" "$@" --screenshot "$out/$name.png" --frames 6
    echo "docs/images/$name.png: coroscope $*"
}

# README.md: the window on the default sample, task 5 selected at step 12.
shot nested open "$golden/nested.trace" --select-task 5 --seek 12
# One picture per tab of the answers area (README.md's table, gui/README.md).
shot panel-graph open "$golden/philosophers-deadlock.trace" --panel graph --select-task 2 --seek 13
shot panel-spawn-tree open "$golden/nested.trace" --panel spawn-tree --select-task 5 --seek 12
shot panel-resources open "$golden/echo.trace" --panel resources --select-task 3 --seek 20
shot panel-events open "$golden/pipeline.trace" --panel events --select-task 3 --seek 30
shot panel-stats open "$golden/timers.trace" --panel stats --select-task 2 --seek 40
shot panel-lints open "$golden/bugs.trace" --panel lints --select-task 13 --seek 33
# The launcher, started bare: the samples next to coroscope and, as recent traces, those opened above.
shot launcher
