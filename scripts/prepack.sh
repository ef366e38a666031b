#!/usr/bin/env bash
# Builds what the npm package ships (npm pack / npm publish run this as `prepack`): the wasm kernel, the
# training wasm, the prebuilt device bundle and host/ compiled to dist/; then checks each one is there.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/native/tbn.wasm && build/native/tbn.wasm -nt native-modules/core/tbn_run.c && build/native/tbn.wasm -nt native-modules/core/tbn_open.c ]] \
  || bash native-modules/build.sh >/dev/null
[[ -f build/train/gemm.wasm && build/train/gemm.wasm -nt host/train/wasm/gemm.c ]] || bash host/train/wasm/build.sh >/dev/null
node device/build.mjs >/dev/null
bash scripts/build-host.sh
for f in build/native/tbn.wasm build/train/gemm.wasm build/device/app.js dist/host/cli.js dist/host/index.js dist/host/index.d.ts dist/host/flash/espruino-worker.cjs; do
  [[ -s $f ]] || { echo "prepack: $f was not built" >&2; exit 1; }
done
