#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --toolchains
bash scripts/build.sh
mkdir -p build
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
