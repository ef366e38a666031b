#!/usr/bin/env bash
# The demo in one command: installs what is missing (Debian, as root: socat, clang, lld; npm ci),
# builds the wasm kernel and the device bundle, then runs `tbn demo` (train, pack, simulate, stream).
# Extra arguments go to `tbn demo`, e.g. scripts/demo.sh --epochs 20 --json
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in socat clang lld; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "demo: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "demo: missing Debian packages: ${missing[*]}; run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "demo: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[[ -f build/native/tbn.wasm && build/native/tbn.wasm -nt native-modules/core/tbn_run.c ]] || bash native-modules/build.sh >/dev/null
[[ -f host/train/wasm/build.sh ]] && bash host/train/wasm/build.sh >/dev/null
node device/build.mjs
bash scripts/build-host.sh
exec node bin/tbn.js demo "$@"
