#!/usr/bin/env bash
# Builds every artifact the simulator, the demo and the tests use, into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
[[ -f native-modules/build.sh ]] && bash native-modules/build.sh
[[ -f device/build.mjs ]] && node device/build.mjs
[[ -f boards/build.sh ]] && bash boards/build.sh
[[ -f host/train/wasm/build.sh ]] && bash host/train/wasm/build.sh
bash scripts/build-host.sh
true
