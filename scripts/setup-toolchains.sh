#!/usr/bin/env bash
# Installs the cross compilers, QEMU and valgrind that the board tests and the board
# benchmark need. As root on Debian/Ubuntu it installs only the missing packages with
# --no-install-recommends; elsewhere it prints exactly what to install and exits 1.
set -euo pipefail

PACKAGES=(
  gcc                       # host compiler for the QEMU instruction-count plugin
  gcc-arm-none-eabi         # Cortex-M4 (stm32f405)
  libnewlib-arm-none-eabi
  qemu-system-arm           # -M netduinoplus2
  qemu-system-misc          # qemu-system-riscv32 (-M virt), qemu-system-xtensa (-M sim -cpu lx106)
  gcc-riscv64-unknown-elf   # RV32IMC (esp32c3)
  gcc-xtensa-lx106          # Xtensa lx106 (esp8266)
  valgrind
)
names=()
for entry in "${PACKAGES[@]}"; do names+=("${entry%% *}"); done

missing=()
if command -v dpkg-query >/dev/null; then
  for pkg in "${names[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
else
  # Not Debian: check the commands themselves.
  for cmd in gcc arm-none-eabi-gcc qemu-system-arm qemu-system-riscv32 qemu-system-xtensa \
             riscv64-unknown-elf-gcc xtensa-lx106-elf-gcc valgrind; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  if ((${#missing[@]})); then
    echo "setup-toolchains: missing commands: ${missing[*]}" >&2
    echo "setup-toolchains: on Debian 12 install: apt-get install --no-install-recommends ${names[*]}" >&2
    exit 1
  fi
  exit 0
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "setup-toolchains: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup-toolchains: missing Debian packages: ${missing[*]}" >&2
  echo "setup-toolchains: run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
