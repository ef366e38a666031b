#!/usr/bin/env bash
# Builds the trainer's WebAssembly SIMD matmul (host/train/wasm/gemm.c) into
# build/train/gemm.wasm. Needs clang and lld (wasm-ld). The trainer falls back
# to plain JS loops when the file is missing (slower, the same bits). The memory is imported and shared
# (-matomics, --shared-memory: a SharedArrayBuffer), so growing it keeps the trainer's views valid; no atomics
# are used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
mkdir -p "$root/build/train"
clang --target=wasm32 -O3 -msimd128 -mbulk-memory -matomics -ffreestanding -nostdlib -ffp-contract=off \
  -Wall -Wextra -Werror -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -o "$root/build/train/gemm.wasm" "$here/gemm.c"
echo "built $root/build/train/gemm.wasm"
