#!/usr/bin/env bash
# Compiles host/ (and the device protocol it imports) to JavaScript + .d.ts in dist/, what bin/tbn.js and the
# package's exports run. Incremental: a second run with nothing changed takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.build.json
cp host/flash/espruino-worker.cjs dist/host/flash/espruino-worker.cjs
# bin/tbn.js compares this stamp with the sources to tell a stale dist/ in a checkout.
touch dist/.built
