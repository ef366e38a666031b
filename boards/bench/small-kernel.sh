#!/usr/bin/env bash
# Builds the emulated boards around the -DTBN_SMALL kernel (into build/boards-small/)
# and runs the boards benchmark on it: text sizes and instructions per inference
# of the size-first variant (native-modules/core/README.md, "Size-first build").
#
#   bash boards/bench/small-kernel.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WRAP="$ROOT/build/small-kernel"
mkdir -p "$WRAP"
for f in tbn_open tbn_run; do
  printf '/* native-modules/core/%s.c built with TBN_SMALL */\n#define TBN_SMALL 1\n#include "../../native-modules/core/%s.c"\n' "$f" "$f" >"$WRAP/$f.c"
done
export TBN_BOARDS_OUT="$ROOT/build/boards-small"
TBN_KERNEL_DIR="$WRAP" bash "$ROOT/boards/build.sh"
cd "$ROOT" && npm run bench -- boards
