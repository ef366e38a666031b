#!/usr/bin/env bash
# Installs what the demo and the tests need on Debian/Ubuntu (as root), then npm packages.
# Elsewhere it prints the exact packages to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(clang lld libclang-rt-14-dev socat valgrind dataset-fashion-mnist chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ "${1:-}" == "--toolchains" && -f scripts/setup-toolchains.sh ]]; then
  bash scripts/setup-toolchains.sh
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
