#!/usr/bin/env bash
# npm run test:engines: builds Espruino and JerryScript with the tbn module through
# `tbn firmware` from your checkouts, then runs the contract suite, the device stream,
# `tbn flash` into Espruino for Linux, and the STM32F405 JerryScript firmware under QEMU
# (source and snapshot); prints one table and the image sizes (test/firmware/engines.ts).
#   TBN_ESPRUINO_DIR=/path/to/Espruino (commit c5ff787b)
#   TBN_JERRY_DIR=/path/to/jerryscript (tag v3.0.0)
#   TBN_ENGINES_OUT=build/engines (where the builds go)
# Nothing is downloaded: without a checkout its columns are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TBN_ESPRUINO_DIR:-}" ] && [ -z "${TBN_JERRY_DIR:-}" ]; then
  echo "test:engines: set TBN_ESPRUINO_DIR and/or TBN_JERRY_DIR to engine checkouts (docs/engines.md); every engine case is reported as skipped" >&2
fi
[ -f build/device/app.js ] || node device/build.mjs
exec npx tsx test/firmware/engines.ts
